/*
 * am_arc_tag.c - the DKIM tag-list grammar (RFC 6376 3.2) that ARC-Seal,
 * ARC-Message-Signature and key records share, the colon-separated
 * values of their h= and s= tags, and base64 with folding white space.
 * Strict on purpose: a malformed field fails the chain (RFC 8617 5.2),
 * and the parser is what hostile input meets first, so it
 * only reads within the string and never allocates.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "am_arc_int.h"

/* Folding white space as it appears in a field value. */
static bool is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* ASCII letter. */
static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* RFC 6376 VALCHAR: printable ASCII but ';'. */
static bool is_valchar(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != ';';
}

/* Parse one tag-spec in [s, end); fill t. 0, or -1 with the reason. */
static int parse_spec(const char *base, const char *s, const char *end, struct am_arc_tag *t,
		      char *err, size_t errlen)
{
	const char *p = s;

	while (p < end && is_fws(*p))
		p++;
	if (p == end || !is_alpha(*p)) {
		snprintf(err, errlen, p == end ? "empty tag" : "bad tag name");
		return -1;
	}
	t->name = p;
	while (p < end && (is_alpha(*p) || (*p >= '0' && *p <= '9') || *p == '_'))
		p++;
	t->nlen = (size_t)(p - t->name);
	while (p < end && is_fws(*p))
		p++;
	if (p == end || *p != '=') {
		snprintf(err, errlen, "tag %.*s: no '='", (int)(t->nlen > 16 ? 16 : t->nlen), t->name);
		return -1;
	}
	p++;
	t->raw_start = (size_t)(p - base);
	t->raw_end = (size_t)(end - base);
	while (p < end && is_fws(*p))
		p++;
	t->val = p;
	const char *last = p;
	for (; p < end; p++) {
		if (is_fws(*p))
			continue;
		if (!is_valchar((unsigned char)*p)) {
			snprintf(err, errlen, "tag %.*s: bad character in value",
				 (int)(t->nlen > 16 ? 16 : t->nlen), t->name);
			return -1;
		}
		last = p + 1;
	}
	t->vlen = (size_t)(last - t->val);
	return 0;
}

/* Split a tag-list at each ";" and parse every tag-spec. */
int am_arc_tags_parse(const char *s, struct am_arc_tags *out, char *err, size_t errlen)
{
	const char *p = s;

	out->n = 0;
	for (;;) {
		const char *semi = strchr(p, ';');
		const char *end = semi ? semi : p + strlen(p);
		const char *q = p;

		while (q < end && is_fws(*q))
			q++;
		if (q == end && semi == NULL && out->n > 0)
			return 0;   /* white space after a trailing ';' */
		if (out->n == AM_ARC_MAX_TAGS) {
			snprintf(err, errlen, "more than %d tags", AM_ARC_MAX_TAGS);
			return -1;
		}
		struct am_arc_tag *t = &out->t[out->n];
		if (parse_spec(s, p, end, t, err, errlen) != 0)
			return -1;
		for (size_t i = 0; i < out->n; i++) {
			if (out->t[i].nlen == t->nlen && memcmp(out->t[i].name, t->name, t->nlen) == 0) {
				snprintf(err, errlen, "duplicate tag %.*s", (int)(t->nlen > 16 ? 16 : t->nlen),
					 t->name);
				return -1;
			}
		}
		out->n++;
		if (semi == NULL)
			return 0;
		p = semi + 1;
	}
}

/* The tag called name, or NULL. */
const struct am_arc_tag *am_arc_tag_get(const struct am_arc_tags *t, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < t->n; i++)
		if (t->t[i].nlen == len && memcmp(t->t[i].name, name, len) == 0)
			return &t->t[i];
	return NULL;
}

/* Does the tag's value equal s exactly? */
bool am_arc_tag_is(const struct am_arc_tag *t, const char *s)
{
	return t != NULL && strlen(s) == t->vlen && memcmp(t->val, s, t->vlen) == 0;
}

/* Copy the tag's value as a C string. */
int am_arc_tag_copy(const struct am_arc_tag *t, char *out, size_t outlen)
{
	if (t->vlen >= outlen)
		return -1;
	memcpy(out, t->val, t->vlen);
	out[t->vlen] = '\0';
	return 0;
}

/* Separates the elements of a colon-separated value. */
static bool is_list_sep(char c)
{
	return c == ':' || is_fws(c);
}

/* The element after *pos of a colon-separated value (see am_arc_int.h). */
bool am_arc_tag_list_next(const struct am_arc_tag *t, size_t *pos, const char **elem, size_t *len)
{
	size_t i = *pos, start;

	while (i < t->vlen && is_list_sep(t->val[i]))
		i++;
	start = i;
	while (i < t->vlen && !is_list_sep(t->val[i]))
		i++;
	*pos = i;
	*elem = t->val + start;
	*len = i - start;
	return *len > 0;
}

/* Is word (any case) an element of the colon-separated value? */
bool am_arc_tag_list_has(const struct am_arc_tag *t, const char *word)
{
	size_t pos = 0, len, wlen = strlen(word);
	const char *elem;

	while (am_arc_tag_list_next(t, &pos, &elem, &len))
		if (len == wlen && strncasecmp(elem, word, wlen) == 0)
			return true;
	return false;
}

/* Value of one base64 character, or -1. */
static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decode base64, skipping folding white space, strict about padding. */
int am_arc_base64(const char *in, size_t len, unsigned char *out, size_t outlen, size_t *n)
{
	unsigned long acc = 0;
	unsigned bits = 0, chars = 0, pad = 0;

	*n = 0;
	for (size_t i = 0; i < len; i++) {
		int v;
		if (is_fws(in[i]))
			continue;
		if (in[i] == '=') {
			pad++;
			chars++;
			continue;
		}
		if (pad > 0 || (v = b64val(in[i])) < 0)
			return -1;
		chars++;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (*n == outlen)
				return -1;
			out[(*n)++] = (unsigned char)(acc >> bits);
			acc &= (1ul << bits) - 1;
		}
	}
	return chars % 4 == 0 && pad <= 2 && chars > 0 ? 0 : -1;
}
