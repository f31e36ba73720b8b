/*
 * am_header.c - header field helpers shared by the checks: unfolding,
 * sanitising wire text, CRLF copies, and name comparison.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "am_arena.h"
#include "am_header.h"

/* Unfold and trim value into out. */
bool am_header_unfold(const char *value, char *out, size_t outlen)
{
	size_t o = 0;
	bool complete = true;

	if (outlen == 0)
		return false;
	while (*value == ' ' || *value == '\t' || *value == '\r' || *value == '\n')
		value++;
	for (const char *p = value; *p; p++) {
		if (*p == '\r' || *p == '\n')
			continue;
		if (o + 1 >= outlen) {
			complete = false;
			break;
		}
		out[o++] = *p;
	}
	while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t'))
		o--;
	out[o] = '\0';
	return complete;
}

/* Replace control bytes so the text is one safe line. */
void am_header_sanitize(const char *s, char *out, size_t outlen)
{
	size_t o = 0;

	if (outlen == 0)
		return;
	for (; s && *s && o + 1 < outlen; s++) {
		unsigned char c = (unsigned char)*s;
		out[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[o] = '\0';
}

/* Is value[i] an LF with no CR before it? */
static bool bare_lf(const char *value, size_t i)
{
	return value[i] == '\n' && (i == 0 || value[i - 1] != '\r');
}

/* Offset of the first LF in value[from..vlen), or vlen. */
static size_t next_lf(const char *value, size_t vlen, size_t from)
{
	const char *lf = memchr(value + from, '\n', vlen - from);

	return lf ? (size_t)(lf - value) : vlen;
}

/* Copy ["name:"]value with bare LFs made CRLF (see am_header.h). The
 * runs between line ends are copied whole: a header has few of them. */
char *am_header_crlf(struct am_arena *arena, const char *name, size_t nlen, const char *value,
		     size_t *len)
{
	size_t vlen = strlen(value), bare = 0, o = 0, from = 0, at;
	char *out;

	for (at = next_lf(value, vlen, 0); at < vlen; at = next_lf(value, vlen, at + 1))
		bare += bare_lf(value, at);
	if ((out = am_arena_alloc(arena, (name ? nlen + 1 : 0) + vlen + bare + 1)) == NULL)
		return NULL;
	if (name != NULL) {
		memcpy(out, name, nlen);
		out[nlen] = ':';
		o = nlen + 1;
	}
	for (at = next_lf(value, vlen, 0); bare > 0 && at < vlen; at = next_lf(value, vlen, at + 1)) {
		if (!bare_lf(value, at))
			continue;
		memcpy(out + o, value + from, at - from);
		o += at - from;
		out[o++] = '\r';
		from = at;   /* the LF goes with the next run */
	}
	memcpy(out + o, value + from, vlen - from);
	o += vlen - from;
	out[o] = '\0';
	*len = o;
	return out;
}

bool am_header_name_is(const char *name, const char *want)
{
	return name != NULL && strcasecmp(name, want) == 0;
}
