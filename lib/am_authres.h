/*
 * am_authres.h - the Authentication-Results header (RFC 8601): writing ours
 * from the results, and recognising incoming copies that claim our
 * authserv-id (forgeries, removed before ours is added).
 */
#ifndef AM_AUTHRES_H
#define AM_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>

#include "am_results.h"

/* Longest header value we produce. */
#define AM_AUTHRES_MAX 8192

/* Build the header value (without the field name) for results r: the
 * authserv-id, then one entry per method, each on its own folded line
 * (LF + TAB; the MTA adds CR). Wire-derived values are quoted or dropped.
 * When the whole text does not fit, DKIM entries that decide nothing are
 * left out (counted in a comment after the authserv-id) until it does.
 * Returns 0, or -1 if even without DKIM entries it did not fit in outlen. */
int am_authres_build(const struct am_results *r, const char *authserv_id, char *out, size_t outlen);

/* Write property value v as an RFC 8601 value: a token as it is, anything
 * else as a quoted-string with control and non-ASCII bytes dropped. */
void am_authres_value(const char *v, char *out, size_t outlen);

/* True if an incoming Authentication-Results value claims authserv_id
 * (case-insensitive, comments and folding skipped; RFC 8601 section 5). */
bool am_authres_claims(const char *value, const char *authserv_id);

/* True if it claims authserv_id or one entry of others, a list separated by
 * blanks or commas of names ("mx2.example.org") and of ".example.org"
 * (that domain and every name below it); others may be NULL. */
bool am_authres_claims_any(const char *value, const char *authserv_id, const char *others);

#endif
