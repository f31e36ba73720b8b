/*
 * am_spf_record.h - the RFC 7208 syntax rules libspf2 does not enforce: the
 * record ABNF of section 12 (checked on every SPF record an evaluation
 * fetches, before libspf2 compiles it), explanation strings (6.2), and the
 * domain-name rules for identities (4.3) and queries (7.3). Pure functions
 * on text: no DNS, no libspf2.
 */
#ifndef AM_SPF_RECORD_H
#define AM_SPF_RECORD_H

#include <stdbool.h>
#include <stddef.h>

/* True if txt (len bytes, NULs allowed) is an SPF version 1 record: "v=spf1"
 * in any case, then a space or the end (RFC 7208 4.5). */
bool am_spf_record_is_spf1(const char *txt, size_t len);

/* Check a whole SPF record against the ABNF (mechanisms, qualifiers,
 * modifiers and their duplicates, CIDR lengths, macros, domain-specs).
 * Returns 0 if valid, else -1 with the reason in err. */
int am_spf_record_check(const char *txt, size_t len, char *err, size_t errlen);

/* The next space-separated term of txt[0..len) at or after *pos: sets
 * *start and *tlen and moves *pos past it; false when none is left. */
bool am_spf_next_term(const char *txt, size_t len, size_t *pos, size_t *start, size_t *tlen);

/* Check one domain-spec (macro-string ending in a macro or a valid
 * top-level label). Returns 0 or -1 with the reason. */
int am_spf_domain_spec_check(const char *s, size_t len, char *err, size_t errlen);

/* Check an explanation string (the TXT an exp= points to): printable ASCII
 * and spaces, valid macros, letters c, r and t allowed. 0 or -1. */
int am_spf_explain_check(const char *txt, size_t len, char *err, size_t errlen);

/* RFC 7208 4.3: can name be the <domain> of check_host()? A multi-label
 * name, labels of 1-63 bytes, at most 253 bytes, no domain literal, a
 * top-level label that is not all digits; one trailing dot is allowed. */
bool am_spf_domain_ok(const char *name);

/* Turn a name libspf2 wants looked up into a query name: drop one trailing
 * dot, drop leading labels while it is longer than 253 bytes (RFC 7208
 * 7.3), then require labels of 1-63 bytes (no control characters). 0, or -1 if the name
 * cannot be a DNS name (the caller treats it as non-existent). */
int am_spf_query_name(const char *in, char *out, size_t outlen);

/* The parts of an a/mx argument "[:domain-spec][/ip4-cidr][//ip6-cidr]"
 * (the CIDR is read from the end, as a domain-spec may hold '/'). */
struct am_spf_dual_cidr {
	size_t body_len;          /* length of ":domain-spec", 0 if absent */
	const char *ip4, *ip6;    /* the digits, NULL if absent */
	size_t ip4_len, ip6_len;
};
void am_spf_dual_cidr_split(const char *arg, size_t len, struct am_spf_dual_cidr *dc);

/* Label the record rewrite appends to the target of an a/mx term whose
 * prefix length for the client's address family is 0 ("any address").
 * It ends in '-', so no record can spell it (not a valid toplabel). */
#define AM_SPF_ANY_TAG "am-cidr0-"

/* Rewrite a record that passed am_spf_record_check into the form libspf2
 * 1.2.10 evaluates the way RFC 7208 means it, for a client of the given
 * address family (AF_INET/AF_INET6): unknown modifiers dropped (6: they
 * are ignored; libspf2 rejects some legal names), redirect= moved last or
 * dropped when there is an "all" (6.1; libspf2 runs it in place), and
 * prefix lengths of 0, which libspf2 cannot express: ip4/ip6 become two /1
 * halves, a/mx get AM_SPF_ANY_TAG for our DNS layer; macro part counts
 * over 128 (libspf2 rejects them) become 128, which means the same.
 * Returns the length written, or -1 if out is too small (8 * len + 64
 * always suffices). */
int am_spf_record_rewrite(const char *txt, size_t len, int family, char *out, size_t outlen);

#endif
