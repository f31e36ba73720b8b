/*
 * am_arc.h - ARC chain verification (RFC 8617), verify only: authmilter
 * never seals (ARC is on its way to Historic; see README).
 *
 * One struct am_arc_msg per message, fed like DKIM: every header field,
 * end of headers, body chunks (hashed for the AMS body hashes, never kept),
 * then am_arc_eom() validates the chain (RFC 8617 5.2, with the oldest-pass
 * instance of step 5) and am_arc_trust() decides whether a trusted sealer
 * vouches for the author domain. Keys come through the shared DNS layer
 * under the message's budget. Knows nothing about libmilter or DMARC: the
 * caller passes an alignment test for the trust step.
 */
#ifndef AM_ARC_H
#define AM_ARC_H

#include <stdbool.h>
#include <stddef.h>

#include "am_dns.h"
#include "am_results.h"

#define AM_ARC_MAX_INSTANCES 50     /* RFC 8617 4.2.1: i= is 1 to 50 */
#define AM_ARC_DEFAULT_MAX_AMS 3    /* newest AMS plus two for oldest-pass */

struct am_arc_options {
	unsigned max_ams_checks;     /* AMSs verified per message, newest first (>= 1) */
	/* d= names, ".suffix" for it and below; blank/comma list (NULL: none).
	 * Not copied: it must outlive every message started with it. */
	const char *trusted_sealers;
	bool require_client;         /* the client must belong to the newest sealer */
};

struct am_arc_msg;

/* Start one message. dns is not owned; budget (may be NULL) and
 * opt->trusted_sealers must outlive the message (the rest of opt is
 * copied). NULL and err when out of memory. */
struct am_arc_msg *am_arc_msg_new(struct am_dns *dns, struct am_dns_budget *budget,
				  const struct am_arc_options *opt, char *err, size_t errlen);
void am_arc_msg_free(struct am_arc_msg *m);

/* One header field, value = the bytes after the colon (LF-only folding is
 * made CRLF). Every field is kept (an AMS may sign any of them) up to a
 * cap; past it the chain fails. 0, or -1 when out of memory. */
int am_arc_header(struct am_arc_msg *m, const char *name, const char *value);

/* End of headers: parse the ARC sets. true when the body is needed. */
bool am_arc_eoh(struct am_arc_msg *m);

/* A body chunk (CRLF line ends), hashed and forgotten. */
void am_arc_body(struct am_arc_msg *m, const unsigned char *buf, size_t len);

/* Validate the chain; fills out (result, instances, oldest_pass, sealer,
 * reason). remote_ip (may be NULL) goes into out for the AR header. */
void am_arc_eom(struct am_arc_msg *m, const char *remote_ip, struct am_arc_result *out);

/* What the trust step knows of the message beyond the chain. */
struct am_arc_trust_input {
	const char *author_domain;   /* RFC5322.From domain, "" when none */
	const char *spf_pass_domain; /* MAIL FROM domain when SPF passed, else NULL */
	const char *client_host;     /* forward-confirmed client host name, else NULL */
	/* Is ident aligned (relaxed) with domain? 1 yes, 0 no, -1 unknown.
	 * NULL: only equal names align. */
	int (*aligned)(void *arg, const char *domain, const char *ident);
	void *aligned_arg;
};

/* After am_arc_eom: set out->trusted_author_pass / trusted_sealer when a
 * passing chain's newest run of trusted sealers has an AAR saying the
 * author domain authenticated (dmarc=pass for it, or an aligned dkim/spf
 * pass); out->reason says why not when a trusted sealer was seen. */
void am_arc_trust(const struct am_arc_msg *m, const struct am_arc_trust_input *in,
		  struct am_arc_result *out);


#endif
