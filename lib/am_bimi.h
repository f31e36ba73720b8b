/*
 * am_bimi.h - the receiver side of BIMI
 * (draft-brand-indicators-for-message-identification): is a message
 * eligible (DMARC pass under a policy at enforcement), which selector
 * (a BIMI-Selector header only when an aligned, passing DKIM signature
 * covers it), the Assertion Record look-up through am_dns
 * (selector._bimi.<From domain>, then the organisational domain), the
 * record's syntax, and the BIMI-Location header value we add on pass.
 *
 * It does not fetch or validate the indicator (SVG) or the evidence
 * document (VMC): a pass says policy.authority=none. Removing incoming
 * BIMI-Location / BIMI-Indicator headers is the session's job
 * (am_session.c); writing the bimi= AR entry is am_authres.c's.
 * Everything here is reentrant: no state outside the caller's structs.
 */
#ifndef AM_BIMI_H
#define AM_BIMI_H

#include <stdbool.h>
#include <stddef.h>

#include "am_dmarc.h"
#include "am_dns.h"
#include "am_results.h"

/* Room for a BIMI-Location value: two URIs, the tags and folding. */
#define AM_BIMI_LOCATION_MAX (2 * AM_BIMI_URI_MAX + 32)

/* A parsed BIMI Assertion Record. */
struct am_bimi_record {
	bool declined;                    /* l= and a= both present and empty */
	char location[AM_BIMI_URI_MAX];   /* l= (an https URI) */
	char authority[AM_BIMI_URI_MAX];  /* a= (https URI), "" when absent/empty/self */
};

/* Parse a record ("v=BIMI1; l=https://...; a=https://..."). Tag names are
 * matched without case, v= must come first, tags may not repeat, unknown
 * tags are ignored, l= and a= must be https URIs (a= may be empty or
 * "self"). Returns 0, or -1 with the reason in err. */
int am_bimi_record_parse(const char *txt, struct am_bimi_record *rec, char *err, size_t errlen);

/* Does a TXT string start with "v=BIMI1" (its first tag)? Other TXT
 * records at a BIMI name are not BIMI records and are discarded. */
bool am_bimi_record_is_bimi(const char *txt);

/* Parse a BIMI-Selector header value ("v=BIMI1; s=brand;", folding
 * allowed) into the lower-case selector. 0, or -1 with the reason. */
int am_bimi_selector_parse(const char *value, char *sel, size_t sellen, char *err, size_t errlen);

/* Is a message with this DMARC result eligible for BIMI? false with the
 * reason when DMARC did not pass, the policy is not at enforcement
 * (p/sp none, pct < 100 in psl mode, t=y in treewalk mode, a PSD policy). */
bool am_bimi_eligible(const struct am_dmarc_result *d, enum am_dmarc_discovery mode, char *why,
		      size_t whylen);

/* The organisational domain's own DMARC record (NULL: it publishes none),
 * consulted when the author's policy came from another record: does it
 * enforce (p=quarantine or p=reject, sp not none, pct=100 in psl mode, no
 * t=y in treewalk mode)? false with the reason, naming org_domain. */
bool am_bimi_org_enforcing(const struct am_dmarc_record *org, const char *org_domain,
			   enum am_dmarc_discovery mode, char *why, size_t whylen);

/* Judge one record text found at domain/selector: pass, declined, fail
 * (invalid), or skipped (no a= evidence while require_evidence). */
void am_bimi_apply_record(const char *txt, bool require_evidence, struct am_bimi_result *out);

/* Look up selector at domain, then at org_domain (when it differs; NULL
 * or "" for none) and judge what is found. Sets result, domain, selector,
 * location, authority, reason and adds to dns_queries; out must be
 * initialised by the caller (other fields are left alone). */
void am_bimi_lookup(struct am_dns *dns, struct am_dns_budget *budget, const char *domain,
		    const char *org_domain, const char *selector, bool require_evidence,
		    struct am_bimi_result *out);

/* What one message brings to the check. */
struct am_bimi_input {
	const struct am_dmarc_result *dmarc;   /* required; checked == false: skipped */
	const struct am_dkim_result *dkim;     /* may be NULL */
	const char *selector_header;           /* raw value of the BIMI-Selector header, or NULL */
	unsigned selector_headers;             /* how many BIMI-Selector headers there were */
	bool require_evidence;                 /* [bimi] require_evidence */
	bool org_enforcement;                  /* [bimi] org_domain_enforcement */
};

/* The whole check for one message; always fills out (checked = true).
 * ctx is the DMARC context (discovery mode, alignment); NULL: skipped. */
void am_bimi_check(const struct am_dmarc_ctx *ctx, struct am_dns *dns, struct am_dns_budget *budget,
		   const struct am_bimi_input *in, struct am_bimi_result *out);

/* The value of our BIMI-Location header for a pass
 * ("v=BIMI1; l=URI[; a=URI]", folded with LF + TAB past 78 characters).
 * Returns 0, or -1 when r is not a pass or it does not fit. */
int am_bimi_location_header(const struct am_bimi_result *r, char *out, size_t outlen);

#endif
