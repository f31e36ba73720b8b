/*
 * am_log_json.c - the JSON form of the decision line ([log] format = json)
 * for log pipelines: one object a message, rendered from the same field
 * list the key=value form prints (am_log.c collects it once), so a field
 * added there appears in both forms. Values are JSON strings (numbers for
 * the counters), escaped as RFC 8259 wants; bytes that are not UTF-8 become
 * U+FFFD. A field that does not fit is left out, never cut: the object
 * always closes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am_log.h"

/* The output: a fixed buffer that remembers overflow. */
struct jbuf {
	char *buf;
	size_t len, cap;
	bool overflow;   /* the last put did not fit (it was undone) */
	bool full;       /* a member was dropped: add no more */
};

static void put(struct jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append formatted text, or nothing and overflow when it does not fit. */
static void put(struct jbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->overflow || b->cap <= b->len)
		return (void)(b->overflow = true);
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len) {
		b->buf[b->len] = '\0';
		b->overflow = true;
		return;
	}
	b->len += (size_t)n;
}

/* Keys whose values are numbers in JSON. */
static bool numeric_key(const char *key, size_t len)
{
	static const char *const keys[] = {"score", "ms", "dkim_unverified"};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i]) == len && strncmp(key, keys[i], len) == 0)
			return true;
	return false;
}

/* Length of the valid UTF-8 sequence at p (0 if it is not one). */
static size_t utf8_len(const unsigned char *p, size_t avail)
{
	size_t n = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 && p[0] < 0xe0 ? 2 : 0;

	if (n == 0 || n > avail)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||   /* overlong, surrogates */
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
		return 0;
	return n;
}

/* Append raw bytes in[0..len) as the inside of a JSON string. */
static void json_chars(struct jbuf *b, const unsigned char *in, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		size_t n;
		if (in[i] == '"' || in[i] == '\\')
			put(b, "\\%c", in[i]);
		else if (in[i] < 0x20 || in[i] == 0x7f)
			put(b, "\\u%04x", in[i]);
		else if (in[i] < 0x80)
			put(b, "%c", in[i]);
		else if ((n = utf8_len(in + i, len - i)) > 0) {
			put(b, "%.*s", (int)n, (const char *)in + i);
			i += n - 1;
		} else
			put(b, "\\ufffd");
	}
}

/* Decode one value of the key=value form at *p (bare, or "quoted" with
 * \" \\ \xNN) into out; returns its length and moves *p past it. */
static size_t kv_value(const char **p, unsigned char *out, size_t outlen)
{
	const char *s = *p;
	size_t o = 0;

	if (*s != '"') {
		while (*s && *s != ' ' && o < outlen)
			out[o++] = (unsigned char)*s++;
		*p = s;
		return o;
	}
	for (s++; *s && *s != '"' && o < outlen; s++) {
		unsigned x;
		if (s[0] == '\\' && s[1] == 'x' && sscanf(s + 2, "%2x", &x) == 1) {
			out[o++] = (unsigned char)x;
			s += 3;
		} else if (s[0] == '\\' && s[1]) {
			out[o++] = (unsigned char)*++s;
		} else {
			out[o++] = (unsigned char)*s;
		}
	}
	*p = *s == '"' ? s + 1 : s;
	return o;
}

/* One "key":value member, dropped whole when it does not fit. */
static void member(struct jbuf *b, const char *key, size_t klen, const unsigned char *v,
		   size_t vlen)
{
	size_t mark = b->len;

	put(b, ",\"%.*s\":", (int)klen, key);
	if (numeric_key(key, klen) && vlen > 0 && strspn((const char *)v, "-0123456789") >= vlen &&
	    vlen < 20)
		put(b, "%.*s", (int)vlen, (const char *)v);
	else {
		put(b, "\"");
		json_chars(b, v, vlen);
		put(b, "\"");
	}
	if (b->overflow) {   /* leave room for the closing brace */
		b->len = mark;
		b->buf[mark] = '\0';
		b->overflow = false;
		b->full = true;
	}
}

/* Render; see am_log.h. */
void am_log_json(const char *queue_id, const char *list, char *out, size_t outlen)
{
	struct jbuf b = {.buf = out, .cap = outlen > 1 ? outlen - 1 : 0};
	unsigned char *v = malloc(strlen(list) + 1);
	const char *p = list;

	if (outlen < 3 || v == NULL) {
		snprintf(out, outlen, outlen >= 3 ? "{}" : "");
		free(v);
		return;
	}
	out[0] = '\0';
	put(&b, "{\"queue_id\":\"");
	json_chars(&b, (const unsigned char *)queue_id, strlen(queue_id));
	put(&b, "\"");
	while (*p == ' ' && !b.full && !b.overflow) {
		const char *key = ++p;
		size_t klen = strcspn(p, "= ");
		size_t vlen;
		if (p[klen] != '=')
			break;
		p += klen + 1;
		vlen = kv_value(&p, v, strlen(list));
		v[vlen] = '\0';
		member(&b, key, klen, v, vlen);
	}
	free(v);
	b.cap = outlen;   /* the brace always fits: one byte was kept back */
	b.overflow = false;
	put(&b, "}");
}
