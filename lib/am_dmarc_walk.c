/*
 * am_dmarc_walk.c - DMARC record fetching through am_dns, the RFC 9989
 * DNS tree walk and organisational-domain selection, and the existence
 * test behind np=. Every look-up of a message goes through one cache, so
 * policy discovery and the alignment walks never ask twice, and the whole
 * message is bounded (DMARC_CACHE_MAX names, each walk AM_DMARC_WALK_MAX).
 * Also the name helpers they share (labels, suffixes, "within").
 * No policy decisions here.
 */
#include "am_dmarc_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Count labels of a (normalised) domain name. */
int dmarc_labels(const char *d)
{
	int n = *d ? 1 : 0;
	for (; *d; d++)
		n += *d == '.';
	return n;
}

/* The suffix of d that has its last k labels (d itself if k is larger). */
const char *dmarc_suffix(const char *d, int k)
{
	int skip = dmarc_labels(d) - k;
	while (skip-- > 0) {
		const char *dot = strchr(d, '.');
		if (dot == NULL)
			break;
		d = dot + 1;
	}
	return d;
}

/* Keep the one DMARC record among the TXT RRs of an answer. Each is read
 * whole (its text is shorter than its RDATA): a cut one read as "no record"
 * would turn p=reject into dmarc=none (issue 12). */
static void pick_record(struct dmarc_lookup *lk, const struct am_dns_answer *ans)
{
	int n = 0;
	for (size_t i = 0; i < ans->count; i++) {
		char *txt = malloc(ans->rr[i].len + 1);
		if (txt == NULL) {
			lk->state = LK_TEMP; /* out of memory: never "no record" */
			return;
		}
		bool is = am_dns_txt(&ans->rr[i], txt, ans->rr[i].len + 1) == 0 && am_dmarc_is_record(txt);
		int rc = is && n++ == 0 ? am_dmarc_record_parse(txt, &lk->rec) : 0;
		free(txt);
		if (rc == -2) {
			lk->state = LK_TEMP;
			return;
		}
	}
	lk->state = n == 1 ? LK_RECORD : n > 1 ? LK_MULTI : LK_NONE;
}

/* Fetch (or recall) the DMARC record at _dmarc.<domain>. */
const struct dmarc_lookup *dmarc_fetch(struct dmarc_run *run, const char *domain)
{
	for (size_t i = 0; i < run->ncache; i++)
		if (strcmp(run->cache[i].domain, domain) == 0)
			return &run->cache[i];
	if (run->ncache == DMARC_CACHE_MAX) {
		memset(&run->overflow, 0, sizeof run->overflow);
		run->overflow.state = LK_TEMP;
		snprintf(run->overflow.detail, sizeof run->overflow.detail, "too many DMARC look-ups");
		return &run->overflow;
	}
	struct dmarc_lookup *lk = &run->cache[run->ncache++];
	memset(lk, 0, sizeof *lk);
	snprintf(lk->domain, sizeof lk->domain, "%s", domain);
	char name[AM_DOMAIN_MAX + 8];
	snprintf(name, sizeof name, "_dmarc.%s", domain);
	struct am_dns_answer ans;
	am_dns_query(run->dns, run->budget, name, AM_RR_TXT, &ans);
	run->queries++;
	if (ans.status == AM_DNS_OK)
		pick_record(lk, &ans);
	else if (am_dns_is_temporary(ans.status))
		lk->state = LK_TEMP;
	else
		lk->state = LK_NONE; /* NXDOMAIN, NODATA, or a name DNS cannot carry */
	snprintf(lk->detail, sizeof lk->detail, "%s", am_dns_status_name(ans.status));
	am_dns_answer_free(&ans);
	return lk;
}

/* Tree walk from domain (RFC 9989 4.10 steps 1-7). */
int dmarc_walk(struct dmarc_run *run, const char *domain, const struct dmarc_lookup **found, char *err,
	       size_t errlen)
{
	int nfound = 0, x = dmarc_labels(domain);
	const char *target = domain;
	for (int q = 0; q < AM_DMARC_WALK_MAX && x >= 1; q++) {
		const struct dmarc_lookup *lk = dmarc_fetch(run, target);
		if (lk->state == LK_TEMP) {
			snprintf(err, errlen, "_dmarc.%.100s: %s", target, lk->detail);
			return -1;
		}
		if (lk->state == LK_RECORD) {
			found[nfound++] = lk;
			if (lk->rec.psd == 'y' || lk->rec.psd == 'n')
				break;
		}
		x = x >= 8 ? 7 : x - 1;
		target = dmarc_suffix(domain, x);
	}
	return nfound;
}

/* RFC 9989 4.10.2: pick the organisational domain from a walk. */
void dmarc_walk_org(const char *domain, const struct dmarc_lookup *const *found, int nfound, char *out,
		    size_t outlen)
{
	for (int i = 0; i < nfound; i++) {
		const struct dmarc_lookup *lk = found[i];
		if (lk->rec.psd == 'n') {
			snprintf(out, outlen, "%s", lk->domain);
			return;
		}
		if (lk->rec.psd == 'y' && strcmp(lk->domain, domain) != 0) {
			snprintf(out, outlen, "%s", dmarc_suffix(domain, dmarc_labels(lk->domain) + 1));
			return;
		}
	}
	snprintf(out, outlen, "%s", nfound > 0 ? found[nfound - 1]->domain : domain);
}

/* Organisational domain by the context's method. */
int dmarc_org(struct dmarc_run *run, const char *domain, char *out, size_t outlen, char *err,
	      size_t errlen)
{
	if (run->ctx->discovery == AM_DMARC_PSL) {
		if (am_psl_org_domain(run->ctx->psl, domain, out, outlen) < 0) {
			snprintf(err, errlen, "no organisational domain for %.64s", domain);
			return -1;
		}
		return 0;
	}
	const struct dmarc_lookup *found[AM_DMARC_WALK_MAX];
	int n = dmarc_walk(run, domain, found, err, errlen);
	if (n < 0)
		return -1;
	dmarc_walk_org(domain, found, n, out, outlen);
	return 0;
}

/* One existence query: 1 has data, 0 NXDOMAIN/NODATA, -1 temporary. */
static int exists_query(struct dmarc_run *run, const char *domain, enum am_rrtype type, bool *nxdomain)
{
	struct am_dns_answer ans;
	am_dns_query(run->dns, run->budget, domain, type, &ans);
	run->queries++;
	int r = ans.status == AM_DNS_OK && ans.count > 0 ? 1 : am_dns_is_temporary(ans.status) ? -1 : 0;
	*nxdomain = ans.status == AM_DNS_NXDOMAIN;
	am_dns_answer_free(&ans);
	return r;
}

/* Does the domain exist (see am_dmarc_int.h for the two definitions)? */
int dmarc_domain_exists(struct dmarc_run *run, const char *domain)
{
	static const enum am_rrtype types[] = { AM_RR_A, AM_RR_AAAA, AM_RR_MX };
	bool nx = false;
	if (run->ctx->discovery == AM_DMARC_TREEWALK) {
		int r = exists_query(run, domain, AM_RR_A, &nx);
		return r < 0 ? -1 : nx ? 0 : 1;
	}
	for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
		int r = exists_query(run, domain, types[i], &nx);
		if (r != 0)
			return r;
		if (nx)
			return 0; /* RFC 8020: nothing exists at or below it */
	}
	return 0;
}
