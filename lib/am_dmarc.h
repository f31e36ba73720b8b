/*
 * am_dmarc.h - DMARC evaluation of one message: policy discovery, identifier
 * alignment, disposition, local-policy overrides.
 *
 * Two discovery modes, chosen per configuration:
 *  - AM_DMARC_PSL: RFC 7489 (From domain, then its organisational domain
 *    from the Public Suffix List; relaxed alignment by PSL), plus RFC 9091's
 *    np= for non-existent subdomains and pct= sampling (6.6.4): the
 *    compatibility mode.
 *  - AM_DMARC_TREEWALK: RFC 9989, the default (DNS tree walk, at most 8
 *    queries a walk (4.10), psd= and t= (4.7), np=; pct= ignored and
 *    noted (A.6); relaxed alignment by tree walk (4.10.2)).
 * DMARC records are fetched through am_dns (never by libopendmarc); a
 * record's validated tags are handed to libopendmarc with
 * opendmarc_policy_store_dmarc, which supplies p/sp/adkim/aspf/pct.
 * What it lacks (np, psd, t, pct sampling, tree walk, PSL per context,
 * alignment) is done here. The outcome is a value in struct am_dmarc_result
 * (lib/am_results.h), temperror included, with the effective policy (after
 * t= and pct=) and the signals a local policy weighs (am_dmarc_signals.c);
 * nothing here decides the disposition or the SMTP answer (lib/am_policy.c
 * does) or talks to the MTA.
 *
 * A context is read-only once built and may be shared by threads; a check
 * keeps its per-message state on the heap.
 */
#ifndef AM_DMARC_H
#define AM_DMARC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "am_addr.h"
#include "am_dmarc_record.h"
#include "am_dns.h"
#include "am_from.h"
#include "am_results.h"

/* At most this many DMARC TXT queries for one tree walk (RFC 9989 4.10). */
#define AM_DMARC_WALK_MAX 8

struct am_dmarc_settings {
	enum am_dmarc_discovery discovery;
	const char *psl_file;              /* psl mode; NULL or "": AM_PSL_DEFAULT_FILE */
	/* Trusted forwarders (RFC 7489 local policy override); each may be NULL.
	 * Domain lists are blank/comma separated; "example.org" matches that
	 * name only, ".example.org" matches it and every subdomain. */
	const struct am_cidr_list *forwarder_networks;  /* copied */
	const char *forwarder_hosts;       /* matched against a verified client host name */
	const char *forwarder_spf_domains; /* matched against an SPF-pass MAIL FROM domain */
	const char *forwarder_dkim_domains;/* matched against a passing DKIM d= */
	/* Several From domains: evaluate each and keep the strictest outcome
	 * (RFC 7489 6.6.1); false: permerror without DNS. */
	bool multi_from_evaluate;
};

struct am_dmarc_ctx;

/* Build a context (loads the PSL in psl mode). NULL + err on failure. */
struct am_dmarc_ctx *am_dmarc_ctx_new(const struct am_dmarc_settings *s, char *err, size_t errlen);
void am_dmarc_ctx_free(struct am_dmarc_ctx *ctx);

struct am_config;
/* Build a context from a loaded config's [dmarc] section (NULL + err,
 * e.g. "[dmarc] discovery: 'x' is not psl or treewalk"). */
struct am_dmarc_ctx *am_dmarc_ctx_from_config(const struct am_config *cfg, char *err, size_t errlen);
enum am_dmarc_discovery am_dmarc_ctx_discovery(const struct am_dmarc_ctx *ctx);

/* What one message brings to the check. Pointers may be NULL. */
struct am_dmarc_input {
	const struct am_from *from;            /* parsed RFC5322.From (required) */
	const struct am_ip *client_ip;         /* for forwarders and reports */
	const char *client_host;               /* forward-confirmed host name, or NULL */
	const struct am_spf_result *spf;       /* the MAIL FROM identity */
	const struct am_dkim_result *dkim;
	const char *list_id;                   /* first List-Id header value (RFC 2919), or NULL */
	const char *list_post;                 /* first List-Post header value (RFC 2369), or NULL */
	/* pct sampling source: a uniform 32-bit value; NULL: getrandom(). */
	uint32_t (*random)(void *arg);
	void *random_arg;
};

/* Evaluate DMARC for one message; always fills out (result, reason). */
void am_dmarc_check(const struct am_dmarc_ctx *ctx, struct am_dns *dns, struct am_dns_budget *budget,
		    const struct am_dmarc_input *in, struct am_dmarc_result *out);

/* Organisational domain of a domain as this context determines it (PSL,
 * or the RFC 9989 4.10.2 tree walk through dns). Returns 0, or -1 with
 * the reason (invalid name, DNS temperror). *queries gets the DNS queries
 * made (may be NULL). For BIMI's organisational-domain rule, tests,
 * conformance and reports. */
int am_dmarc_org_domain(const struct am_dmarc_ctx *ctx, struct am_dns *dns, struct am_dns_budget *budget,
			const char *domain, char *out, size_t outlen, unsigned *queries, char *err,
			size_t errlen);

/* The DMARC record published at _dmarc.<domain> itself (no discovery;
 * one query through the budget). 1 with *rec filled; 0 when there is no
 * record or several; -1 on a DNS temperror, the reason in err. For BIMI's
 * organisational-domain check. */
int am_dmarc_record_at(const struct am_dmarc_ctx *ctx, struct am_dns *dns, struct am_dns_budget *budget,
		       const char *domain, struct am_dmarc_record *rec, char *err, size_t errlen);

/* Is ident aligned with author under mode 'r' or 's'? 1 yes, 0 no (also
 * for names that do not normalise), -1 DNS temperror. For tests and tools. */
int am_dmarc_aligned(const struct am_dmarc_ctx *ctx, struct am_dns *dns, struct am_dns_budget *budget,
		     const char *author, const char *ident, char mode);


#endif
