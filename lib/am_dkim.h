/*
 * am_dkim.h - DKIM verification (RFC 6376, RFC 8463, RFC 8301) on
 * libopendkim, with key look-ups through our DNS layer (am_dns.h).
 *
 * One struct am_dkim per loaded configuration (it owns the DKIM_LIB and is
 * read-only once built, so every thread of that generation shares it); one
 * struct am_dkim_msg per message, fed as the message arrives: header by
 * header, end of headers, body chunks (hashed, never kept), end of message.
 * The outcome is one struct am_dkim_sig per DKIM-Signature field
 * (am_results.h). Also the choice of the key record among a selector's
 * TXT records, which ARC's key look-up shares. Knows nothing about libmilter.
 */
#ifndef AM_DKIM_H
#define AM_DKIM_H

#include <stdbool.h>
#include <stddef.h>

#include "am_config.h"
#include "am_dns.h"
#include "am_results.h"

#define AM_DKIM_DEFAULT_MAX_SIGS 5
#define AM_DKIM_DEFAULT_MIN_KEY_BITS 1024

/* What a good signature whose l= leaves part of the body unsigned gives. */
enum am_dkim_partial {
	AM_DKIM_PARTIAL_POLICY = 0, /* dkim=policy (RFC 8601 2.7.1): not a pass for DMARC */
	AM_DKIM_PARTIAL_PASS,
	AM_DKIM_PARTIAL_FAIL,
};

struct am_dkim_options {
	unsigned max_signatures;   /* 1..AM_DKIM_MAX_SIGS verified (author-aligned d= first) */
	unsigned min_key_bits;     /* RSA keys below this give "policy" (RFC 8301) */
	enum am_dkim_partial partial_body; /* l= covering less than the body */
};

struct am_dkim;
struct am_dkim_msg;

/* Options from the [dkim] section. */
void am_dkim_options_from_config(const struct am_config *cfg, struct am_dkim_options *opt);

/* Build the verifier of one configuration generation; dns is not owned and
 * must outlive it. opt NULL: defaults. NULL and err on failure. */
struct am_dkim *am_dkim_new(struct am_dns *dns, const struct am_dkim_options *opt, char *err,
			    size_t errlen);
void am_dkim_free(struct am_dkim *d);

/* Start one message. budget (may be NULL) is the message's DNS budget and
 * must outlive the message; id names it in libopendkim's errors. */
struct am_dkim_msg *am_dkim_msg_new(struct am_dkim *d, struct am_dns_budget *budget,
				    const char *id, char *err, size_t errlen);

/* One header field: name, and value = the exact bytes after the colon
 * (leading space included: SMFIP_HDR_LEADSPC). LF-only folding, as milters
 * get it, is turned back into CRLF. Returns 0, or -1 when out of memory. */
int am_dkim_header(struct am_dkim_msg *m, const char *name, const char *value);

/* The message's author (From) domains, before its end of headers: with
 * more signatures than max_signatures, those that can align with one of
 * them are verified first (am_dkim_select.h); at most AM_DKIM_AUTHORS_MAX
 * are kept. */
void am_dkim_set_authors(struct am_dkim_msg *m, const char *const *domains, size_t n);

/* End of headers. false: no DKIM-Signature, the body is not needed. */
bool am_dkim_eoh(struct am_dkim_msg *m);

/* A body chunk (CRLF line ends), hashed and forgotten. 0, or -1 when the
 * library refused it (the signatures then end as temperror). */
int am_dkim_body(struct am_dkim_msg *m, const unsigned char *buf, size_t len);

/* End of message: key look-ups (under the budget) and verification; fills
 * out with one entry per verified DKIM-Signature, in header order. */
void am_dkim_eom(struct am_dkim_msg *m, struct am_dkim_result *out);

void am_dkim_msg_free(struct am_dkim_msg *m);

/* The key record among the TXT records of a selector name (ans, status
 * OK), for DKIM and ARC alike: RFC 6376 3.6.2.2 leaves the choice to the
 * verifier; the first record whose first tag is v=DKIM1 (white space
 * allowed around '=' and before ';'), else the first record, copied into out. Records over 4095
 * bytes or with a NUL in them are passed over. 0, or -1 when there is none, or when the chosen
 * one does not fit outlen (then *too_long is set; too_long may be NULL). */
int am_dkim_pick_key(const struct am_dns_answer *ans, char *out, size_t outlen, bool *too_long);

#endif
