/*
 * am_bimi.c - the BIMI check of one message: eligibility from the DMARC
 * result (and, when the author's record is not its organisational
 * domain's, from that domain's own record too), the selector (a
 * BIMI-Selector header counts only under a passing DKIM signature aligned
 * with the From domain that covers it),
 * the Assertion Record look-up through am_dns with the message's budget
 * (author domain, then organisational domain, same selector), and the
 * BIMI-Location value. Record syntax is am_bimi_record.c. Nothing here
 * fetches the indicator or its evidence, or talks to the MTA.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "am_bimi.h"
#include "am_dmarc_record.h"

static bool enforcing(enum am_dmarc_policy p)
{
	return p == AM_DMARC_P_QUARANTINE || p == AM_DMARC_P_REJECT;
}

/* Eligibility; see am_bimi.h. */
bool am_bimi_eligible(const struct am_dmarc_result *d, enum am_dmarc_discovery mode, char *why,
		      size_t whylen)
{
	bool below = false;

	if (d == NULL || !d->checked) {
		snprintf(why, whylen, "no DMARC result");
		return false;
	}
	if (d->from_status != AM_FROM_OK || d->header_from[0] == '\0') {
		snprintf(why, whylen, "no single From domain");
		return false;
	}
	if (d->result != AM_RES_PASS) {
		snprintf(why, whylen, "DMARC did not pass");
		return false;
	}
	if (d->psd) {
		snprintf(why, whylen, "DMARC policy from a public suffix (psd=y)");
		return false;
	}
	if (!enforcing(d->policy)) {
		snprintf(why, whylen, "DMARC policy not at enforcement (%s=%s)", d->policy_tag[0] ? d->policy_tag : "p",
			 am_dmarc_policy_name(d->policy));
		return false;
	}
	/* The author is a subdomain under the record found: that record's
	 * own p= and its sp= must enforce too. */
	below = d->policy_domain[0] && strcasecmp(d->policy_domain, d->header_from) != 0;
	if (below && (!enforcing(d->p) || d->sp == AM_DMARC_P_NONE)) {
		snprintf(why, whylen, "DMARC policy not at enforcement (p=%s sp=%s)", am_dmarc_policy_name(d->p),
			 d->sp == AM_DMARC_P_UNSPEC ? "unset" : am_dmarc_policy_name(d->sp));
		return false;
	}
	if (mode == AM_DMARC_PSL && d->pct < 100) {
		snprintf(why, whylen, "DMARC pct=%d", d->pct);
		return false;
	}
	if (mode == AM_DMARC_TREEWALK && d->testing) {
		snprintf(why, whylen, "DMARC t=y");
		return false;
	}
	return true;
}

/* Organisational-domain eligibility; see am_bimi.h. */
bool am_bimi_org_enforcing(const struct am_dmarc_record *org, const char *org_domain,
			   enum am_dmarc_discovery mode, char *why, size_t whylen)
{
	if (org == NULL) {
		snprintf(why, whylen, "organisational domain %s publishes no DMARC record", org_domain);
		return false;
	}
	if (!enforcing(org->p) || org->sp == AM_DMARC_P_NONE) {
		snprintf(why, whylen, "organisational domain %s DMARC policy not at enforcement (p=%s sp=%s)",
			 org_domain, org->p == AM_DMARC_P_UNSPEC ? "unset" : am_dmarc_policy_name(org->p),
			 org->sp == AM_DMARC_P_UNSPEC ? "unset" : am_dmarc_policy_name(org->sp));
		return false;
	}
	if (mode == AM_DMARC_PSL && org->pct >= 0 && org->pct < 100) {
		snprintf(why, whylen, "organisational domain %s DMARC pct=%d", org_domain, org->pct);
		return false;
	}
	if (mode == AM_DMARC_TREEWALK && org->t == 'y') {
		snprintf(why, whylen, "organisational domain %s DMARC t=y", org_domain);
		return false;
	}
	return true;
}

/* Is name one of the ':' separated entries of a DKIM h= list? */
static bool header_signed(const char *list, const char *name)
{
	size_t want = strlen(name);

	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ":");
		const char *e = p;
		size_t n = len;
		while (n > 0 && (*e == ' ' || *e == '\t'))
			e++, n--;
		while (n > 0 && (e[n - 1] == ' ' || e[n - 1] == '\t'))
			n--;
		if (n == want && strncasecmp(e, name, n) == 0)
			return true;
		p += len;
		if (*p == ':')
			p++;
	}
	return false;
}

/* Some passing DKIM signature aligned with the From domain covers the
 * BIMI-Selector header. */
static bool selector_signed(const struct am_dmarc_ctx *ctx, struct am_dns *dns, struct am_dns_budget *budget,
			    const struct am_bimi_input *in)
{
	const struct am_dmarc_result *d = in->dmarc;

	if (in->dkim == NULL)
		return false;
	for (size_t i = 0; i < in->dkim->count && i < AM_DKIM_MAX_SIGS; i++) {
		const struct am_dkim_sig *s = &in->dkim->sigs[i];
		if (s->result != AM_RES_PASS || !header_signed(s->signed_headers, "bimi-selector"))
			continue;
		if (am_dmarc_aligned(ctx, dns, budget, d->header_from, s->domain, d->adkim == 's' ? 's' : 'r') == 1)
			return true;
	}
	return false;
}

/* The selector: the signed BIMI-Selector's, else "default". */
static void choose_selector(const struct am_dmarc_ctx *ctx, struct am_dns *dns, struct am_dns_budget *budget,
			    const struct am_bimi_input *in, struct am_bimi_result *out)
{
	char sel[AM_BIMI_SELECTOR_MAX], err[96];

	snprintf(out->selector, sizeof(out->selector), "default");
	if (in->selector_headers != 1 || in->selector_header == NULL)
		return;
	if (am_bimi_selector_parse(in->selector_header, sel, sizeof(sel), err, sizeof(err)) != 0)
		return;
	if (!selector_signed(ctx, dns, budget, in))
		return;
	snprintf(out->selector, sizeof(out->selector), "%s", sel);
	out->selector_signed = true;
}

/* Judge a record text; see am_bimi.h. */
void am_bimi_apply_record(const char *txt, bool require_evidence, struct am_bimi_result *out)
{
	struct am_bimi_record rec;
	char err[96];

	if (am_bimi_record_parse(txt, &rec, err, sizeof(err)) != 0) {
		out->result = AM_BIMI_FAIL;
		snprintf(out->reason, sizeof(out->reason), "invalid BIMI record: %s", err);
		return;
	}
	if (rec.declined) {
		out->result = AM_BIMI_DECLINED;
		snprintf(out->reason, sizeof(out->reason), "declination record");
		return;
	}
	snprintf(out->location, sizeof(out->location), "%s", rec.location);
	snprintf(out->authority, sizeof(out->authority), "%s", rec.authority);
	if (require_evidence && rec.authority[0] == '\0') {
		out->result = AM_BIMI_SKIPPED;
		snprintf(out->reason, sizeof(out->reason), "no authority evidence (a=) in the record");
		return;
	}
	out->result = AM_BIMI_PASS;
	out->reason[0] = '\0';
}

enum found { NOT_FOUND, FOUND, DECIDED };

/* Query one name. FOUND: *txt is the one BIMI record (caller frees);
 * NOT_FOUND: none there; DECIDED: out says temperror or fail. */
static enum found query_name(struct am_dns *dns, struct am_dns_budget *budget, const char *name, char **txt,
			     struct am_bimi_result *out)
{
	struct am_dns_answer ans = {0};
	size_t found = 0;

	*txt = NULL;
	am_dns_query(dns, budget, name, AM_RR_TXT, &ans);
	out->dns_queries++;
	if (ans.status != AM_DNS_OK) {
		enum am_dns_status st = ans.status;
		am_dns_answer_free(&ans);
		if (st == AM_DNS_NXDOMAIN || st == AM_DNS_NODATA)
			return NOT_FOUND;
		out->result = AM_BIMI_TEMPERROR;
		snprintf(out->reason, sizeof(out->reason), "DNS query error: %s", am_dns_status_name(st));
		return DECIDED;
	}
	for (size_t i = 0; i < ans.count; i++) {
		char *t = malloc(ans.rr[i].len + 1);
		if (t != NULL && am_dns_txt(&ans.rr[i], t, ans.rr[i].len + 1) == 0 && am_bimi_record_is_bimi(t) &&
		    found++ == 0) {
			*txt = t;
			continue;
		}
		free(t);
	}
	am_dns_answer_free(&ans);
	if (found <= 1)
		return found ? FOUND : NOT_FOUND;
	free(*txt);
	*txt = NULL;
	out->result = AM_BIMI_FAIL;
	snprintf(out->reason, sizeof(out->reason), "several BIMI records");
	return DECIDED;
}

/* Look-up with organisational-domain fallback; see am_bimi.h. */
void am_bimi_lookup(struct am_dns *dns, struct am_dns_budget *budget, const char *domain,
		    const char *org_domain, const char *selector, bool require_evidence,
		    struct am_bimi_result *out)
{
	const char *where[2] = {domain, NULL};
	char name[AM_DOMAIN_MAX + AM_BIMI_SELECTOR_MAX + 8], *txt;

	if (org_domain && *org_domain && strcasecmp(org_domain, domain) != 0)
		where[1] = org_domain;
	if (selector != out->selector)   /* am_bimi_check passes out->selector itself */
		snprintf(out->selector, sizeof(out->selector), "%s", selector);
	for (int i = 0; i < 2 && where[i]; i++) {
		int n = snprintf(name, sizeof(name), "%s._bimi.%s", selector, where[i]);
		if (n < 0 || n > 253)
			continue;
		enum found f = query_name(dns, budget, name, &txt, out);
		if (f == NOT_FOUND)
			continue;
		snprintf(out->domain, sizeof(out->domain), "%s", where[i]);
		if (f == FOUND)
			am_bimi_apply_record(txt, require_evidence, out);
		free(txt);
		return;
	}
	out->result = AM_BIMI_NONE;
	snprintf(out->reason, sizeof(out->reason), "no BIMI record");
}

/* The author's organisational domain into org. DMARC leaves it empty when
 * it did not need it (the author's own record, identifiers equal to the
 * author); then it is worked out here. false with out decided
 * (temperror) when it cannot be. */
static bool org_domain_of(const struct am_dmarc_ctx *ctx, struct am_dns *dns, struct am_dns_budget *budget,
			  const struct am_dmarc_result *d, char *org, size_t orglen, struct am_bimi_result *out)
{
	char err[sizeof(out->reason)];
	unsigned queries = 0;
	int r = 0;

	snprintf(org, orglen, "%s", d->org_domain);
	if (org[0] == '\0')
		r = am_dmarc_org_domain(ctx, dns, budget, d->header_from, org, orglen, &queries, err, sizeof(err));
	out->dns_queries += queries;
	if (r < 0) {
		out->result = AM_BIMI_TEMPERROR;
		snprintf(out->reason, sizeof(out->reason), "organisational domain: %s", err);
		return false;
	}
	return true;
}

/* The draft's rule for an author whose DMARC record is not its
 * organisational domain's: look that domain's own record up too. false
 * with out decided (skipped, or temperror) when it does not enforce. */
static bool org_domain_enforces(const struct am_dmarc_ctx *ctx, struct am_dns *dns, struct am_dns_budget *budget,
				const struct am_dmarc_result *d, const char *org, struct am_bimi_result *out)
{
	struct am_dmarc_record rec;
	char err[sizeof(out->reason)];
	int found;

	if (strcasecmp(org, d->policy_domain) == 0)
		return true;
	found = am_dmarc_record_at(ctx, dns, budget, org, &rec, err, sizeof(err));
	out->dns_queries++;
	if (found < 0) {
		out->result = AM_BIMI_TEMPERROR;
		snprintf(out->reason, sizeof(out->reason), "DNS query error: %s", err);
		return false;
	}
	if (!am_bimi_org_enforcing(found ? &rec : NULL, org, am_dmarc_ctx_discovery(ctx), err,
				   sizeof(err))) {
		out->result = AM_BIMI_SKIPPED;
		snprintf(out->reason, sizeof(out->reason), "%s", err);
		return false;
	}
	return true;
}

/* The check of one message; see am_bimi.h. */
void am_bimi_check(const struct am_dmarc_ctx *ctx, struct am_dns *dns, struct am_dns_budget *budget,
		   const struct am_bimi_input *in, struct am_bimi_result *out)
{
	char why[sizeof(out->reason)], org[AM_DOMAIN_MAX];

	memset(out, 0, sizeof(*out));
	out->checked = true;
	if (ctx == NULL) {
		out->result = AM_BIMI_SKIPPED;
		snprintf(out->reason, sizeof(out->reason), "DMARC not evaluated");
		return;
	}
	if (!am_bimi_eligible(in->dmarc, am_dmarc_ctx_discovery(ctx), why, sizeof(why))) {
		out->result = AM_BIMI_SKIPPED;
		snprintf(out->reason, sizeof(out->reason), "%s", why);
		return;
	}
	if (!org_domain_of(ctx, dns, budget, in->dmarc, org, sizeof(org), out))
		return;
	if (in->org_enforcement && !org_domain_enforces(ctx, dns, budget, in->dmarc, org, out))
		return;
	choose_selector(ctx, dns, budget, in, out);
	am_bimi_lookup(dns, budget, in->dmarc->header_from, org, out->selector, in->require_evidence, out);
}

/* BIMI-Location value; see am_bimi.h. */
int am_bimi_location_header(const struct am_bimi_result *r, char *out, size_t outlen)
{
	const char *sep = " ";
	size_t one_line;
	int n;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if (r->result != AM_BIMI_PASS || r->location[0] == '\0')
		return -1;
	/* "BIMI-Location: v=BIMI1; l=URI; a=URI" on one line when it fits 78. */
	one_line = strlen("BIMI-Location: v=BIMI1; l=") + strlen(r->location) +
		   (r->authority[0] ? strlen("; a=") + strlen(r->authority) : 0);
	if (one_line > 78)
		sep = "\n\t";
	if (r->authority[0])
		n = snprintf(out, outlen, "v=BIMI1;%sl=%s;%sa=%s", sep, r->location, sep, r->authority);
	else
		n = snprintf(out, outlen, "v=BIMI1;%sl=%s", sep, r->location);
	if (n < 0 || (size_t)n >= outlen) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}
