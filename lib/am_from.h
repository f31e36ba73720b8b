/*
 * am_from.h - the RFC5322.From header(s) turned into the DMARC author
 * domain.
 *
 * Parses address lists per RFC 5322 (with its obsolete forms), RFC 6854
 * (group syntax in From) and RFC 6532 (UTF-8): display names, comments,
 * quoted local parts, encoded words (left as atoms, never decoded: only the
 * address matters), IDNs in U-label or A-label form. The domain comes out
 * as a lower-case A-label. Anything else is a classified status with a
 * reason, never a guess: DMARC must not be bypassed by a From that the
 * parser half-understood. It does not look anything up in DNS.
 */
#ifndef AM_FROM_H
#define AM_FROM_H

#include <stdbool.h>
#include <stddef.h>

#include "am_results.h"

/* Distinct From domains a message may name and still be evaluated: DMARC
 * looks up each (an RFC 9989 tree walk costs up to 8 queries), so 4 walks
 * fill the 32 look-ups one message may make (DMARC_CACHE_MAX). More is
 * AM_FROM_OVER_LIMIT: the author cannot be determined and the message is
 * refused, so adding domains never makes the outcome milder. */
#define AM_FROM_MAX_DOMAINS 4

struct am_from {
	enum am_from_status status;
	char domain[AM_DOMAIN_MAX];      /* the author domain when status is OK */
	size_t ndomains;                 /* distinct domains kept (at most AM_FROM_MAX_DOMAINS) */
	char domains[AM_FROM_MAX_DOMAINS][AM_DOMAIN_MAX];
	bool too_many_domains;           /* a further distinct domain was seen */
	size_t nmailboxes;               /* mailboxes seen in all headers */
	size_t nheaders;
	char reason[128];                /* why, when status is not OK */
};

/* Parse the values of all From headers of a message (count may be 0).
 * Fills out and returns out->status. */
enum am_from_status am_from_parse(const char *const *values, size_t count, struct am_from *out);

/* The message had count From headers, more than the max the caller kept
 * and parsed: mark out AM_FROM_OVER_LIMIT with a reason naming both. */
void am_from_too_many_headers(struct am_from *out, size_t count, size_t max);

/* Parse one From header value (convenience for one header). */
enum am_from_status am_from_parse_one(const char *value, struct am_from *out);

/* Normalise a domain name to a lower-case A-label (U-labels converted with
 * IDNA2008/TR46 non-transitional, A-labels verified, LDH and length rules
 * checked, one trailing dot dropped). Returns 0 or -1 with the reason. */
int am_domain_normalize(const char *in, char *out, size_t outlen, char *err, size_t errlen);

/* Short name of a status ("ok", "missing", "multiple-headers", ...). */
const char *am_from_status_name(enum am_from_status st);

#endif
