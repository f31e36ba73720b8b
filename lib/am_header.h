/*
 * am_header.h - header field helpers: unfolding, bounded copies of
 * values that came from the wire, and the CRLF copy the verifiers hash.
 * From-address parsing is am_from.c.
 */
#ifndef AM_HEADER_H
#define AM_HEADER_H

#include <stdbool.h>
#include <stddef.h>

struct am_arena;

/* Unfold a header value (CRLF/LF + WSP -> WSP), trim surrounding blanks,
 * and copy at most outlen-1 bytes. Returns false if it had to truncate. */
bool am_header_unfold(const char *value, char *out, size_t outlen);

/* Copy s into out, replacing CR, LF and other control bytes by '?', so that
 * wire text can go into a log line or an SMTP reply safely. */
void am_header_sanitize(const char *s, char *out, size_t outlen);

/* A copy of value, allocated from arena, with every LF that has no CR
 * before it made CRLF (milters get LF-only folding; signatures were made
 * over CRLF), after "name:" when name is not NULL (nlen bytes of it).
 * *len is the copy's length. NULL when out of memory. */
char *am_header_crlf(struct am_arena *arena, const char *name, size_t nlen, const char *value,
		     size_t *len);

/* Case-insensitive header name comparison. */
bool am_header_name_is(const char *name, const char *want);

#endif
