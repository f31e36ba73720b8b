/*
 * am_spf_int.h - what am_spf.c (the check) and am_spf_dns.c (libspf2's DNS
 * layer on am_dns) share: the per-configuration object and the
 * per-evaluation context. Not for use outside the SPF check.
 */
#ifndef AM_SPF_INT_H
#define AM_SPF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h> /* spf2/spf.h needs struct in_addr and in6_addr */
#include <spf2/spf.h>

#include "am_addr.h"
#include "am_dns.h"
#include "am_results.h"

#define AM_SPF_MAX_DNS_TERMS 10 /* RFC 7208 4.6.4 */
#define AM_SPF_MAX_VOIDS 2      /* RFC 7208 4.6.4, the recommended default */
#define AM_SPF_MAX_NAMES 10     /* MX and PTR names looked up per term */

/* One per loaded configuration; read-only once built, shared by threads. */
struct am_spf {
	SPF_server_t *server;
	SPF_dns_server_t *layer;
	struct am_dns *dns;
	char receiver[AM_DOMAIN_MAX];
};

/* Who asked for an address look-up libspf2 is about to make. */
enum am_spf_sub {
	AM_SPF_SUB_NONE,
	AM_SPF_SUB_MX,     /* the address of an MX host of an "mx" term */
	AM_SPF_SUB_PTR,    /* validating a name of a "ptr" term */
	AM_SPF_SUB_CLIENT, /* validating a name for the %{p} macro */
};

/* State of one check_host() evaluation (one identity of one message). */
struct am_spf_eval {
	struct am_spf *spf;
	struct am_dns_budget *budget;
	SPF_request_t *req;
	struct am_ip ip;      /* the client, IPv4-mapped addresses unmapped */
	unsigned records;    /* SPF records fetched; the first is the identity's */
	unsigned dns_terms;  /* terms that made DNS queries (include, a, mx, ...) */
	unsigned voids;      /* of those, answers NXDOMAIN or without records */
	bool finished;       /* the result is known; only exp= look-ups follow */
	char top_record[256]; /* the identity's own record (cut), for [log] verbose */
	bool temp;           /* a query failed temporarily */
	char temp_reason[AM_DOMAIN_MAX + 32];
	bool perm;           /* the evaluation must end in permerror */
	char perm_reason[AM_DOMAIN_MAX + 96];
	/* names of the last MX/PTR answer, in the order libspf2 will look
	 * them up, so those look-ups are not mistaken for new terms */
	enum am_spf_sub sub;
	bool sub_cache;
	bool sub_any;        /* MX names of an mx term with prefix length 0 */
	unsigned sub_count, sub_next;
	char sub_names[AM_SPF_MAX_NAMES][AM_DOMAIN_MAX];
	/* exp= seen by libspf2; looked up after the result is known */
	bool exp_wanted;
	char exp_domain[AM_DOMAIN_MAX + 8];
	char exp_cur_dom[AM_DOMAIN_MAX];
};

/* What the get_exp hook puts where libspf2 expects the explanation. */
#define AM_SPF_EXP_MARKER "authmilter:exp-deferred"

/* Build / free the libspf2 DNS layer that answers through spf->dns. */
SPF_dns_server_t *am_spf_layer_new(struct am_spf *spf);
void am_spf_layer_free(SPF_dns_server_t *layer);

/* Make ev the evaluation the layer serves on this thread (NULL: none);
 * returns the previous one so calls can nest. */
struct am_spf_eval *am_spf_eval_bind(struct am_spf_eval *ev);

/* After a fail: fetch and expand the exp= text libspf2 deferred to us.
 * Leaves out empty when there is none or it is unusable (RFC 7208 6.2). */
void am_spf_explanation(struct am_spf_eval *ev, char *out, size_t outlen);

/* Decode TXT RDATA (NULs kept) into a new buffer; *len is its length. */
char *am_spf_txt_decode(const struct am_dns_rdata *rr, size_t *len);

#endif
