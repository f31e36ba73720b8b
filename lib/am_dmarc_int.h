/*
 * am_dmarc_int.h - internals shared by am_dmarc.c (evaluation) and
 * am_dmarc_walk.c (DNS fetches, tree walk, organisational domain) and
 * am_dmarc_signals.c (spoof and indirect-flow signals). Not for
 * use outside the DMARC capability.
 */
#ifndef AM_DMARC_INT_H
#define AM_DMARC_INT_H

#include "am_dmarc.h"
#include "am_dmarc_record.h"
#include "am_psl.h"

/* Distinct _dmarc names one message may look up (all walks together). */
#define DMARC_CACHE_MAX 32

struct dmarc_domlist {
	size_t n;
	char (*items)[AM_DOMAIN_MAX];
};

struct am_dmarc_ctx {
	enum am_dmarc_discovery discovery;
	struct am_psl *psl;                 /* psl mode only */
	struct am_cidr_list fwd_networks;
	struct dmarc_domlist fwd_hosts, fwd_spf, fwd_dkim;
	bool multi_from_evaluate;
};

enum dmarc_lk_state { LK_NONE = 0, LK_RECORD, LK_MULTI, LK_TEMP };

/* The outcome of one _dmarc.<domain> TXT look-up. */
struct dmarc_lookup {
	char domain[AM_DOMAIN_MAX];
	enum dmarc_lk_state state;
	struct am_dmarc_record rec;
	char detail[48];                   /* DNS status for LK_TEMP */
};

/* One message's look-ups, shared by policy discovery and alignment. */
struct dmarc_run {
	const struct am_dmarc_ctx *ctx;
	struct am_dns *dns;
	struct am_dns_budget *budget;
	struct dmarc_lookup cache[DMARC_CACHE_MAX];
	struct dmarc_lookup overflow;      /* returned once the cache is full */
	size_t ncache;
	unsigned queries;
};

/* Labels in a domain name; the suffix made of its last k labels. */
int dmarc_labels(const char *d);
const char *dmarc_suffix(const char *d, int k);

/* Fetch (or recall) the DMARC record at _dmarc.<domain>. */
const struct dmarc_lookup *dmarc_fetch(struct dmarc_run *run, const char *domain);

/* Tree walk from domain (RFC 9989 4.10): the look-ups that found a
 * record, longest name first. Returns their count, -1 on a DNS temperror
 * (detail in err). */
int dmarc_walk(struct dmarc_run *run, const char *domain, const struct dmarc_lookup **found,
	       char *err, size_t errlen);

/* RFC 9989 4.10.2 selection of the organisational domain from a walk. */
void dmarc_walk_org(const char *domain, const struct dmarc_lookup *const *found, int nfound, char *out,
		    size_t outlen);

/* Organisational domain by the context's method. 0, or -1 + err. */
int dmarc_org(struct dmarc_run *run, const char *domain, char *out, size_t outlen, char *err,
	      size_t errlen);

/* Does the domain exist? 1 yes, 0 no, -1 DNS temperror. RFC 9091 in psl
 * mode (NXDOMAIN or NODATA for A, AAAA and MX), RFC 8020 NXDOMAIN (RFC 9989 3.2.13) in
 * treewalk mode. */
int dmarc_domain_exists(struct dmarc_run *run, const char *domain);

/* Parse a forwarder list ("name", ".domain" for it and below). 0 or -1 + err. */
int dmarc_domlist_parse(const char *text, struct dmarc_domlist *l, const char *what, char *err,
			size_t errlen);

/* The signals of a failing message (am_dmarc_signals.c); author_org is
 * filled when still empty. */
void dmarc_signals(struct dmarc_run *run, const char *author, char *author_org, const struct am_dmarc_input *in,
		   struct am_dmarc_signals *sig);

#endif
