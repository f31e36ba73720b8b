/*
 * am_header.c - header field helpers shared by the checks: unfolding,
 * sanitising wire text, and name comparison.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

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

bool am_header_name_is(const char *name, const char *want)
{
	return name != NULL && strcasecmp(name, want) == 0;
}
