/*
 * am_dmarc.c - DMARC evaluation of one message (see am_dmarc.h): policy
 * discovery (RFC 7489 6.6.3 or RFC 9989 4.10.1), the meaning of a record
 * (p= fallbacks, sp=/np=), identifier alignment, the effective policy
 * (t=, psl-mode pct= sampling), and several From domains. The signals a
 * local policy weighs (forwarders, lists, spoof evidence) come from
 * am_dmarc_signals.c. DNS look-ups and
 * tree walks live in am_dmarc_walk.c; record syntax in am_dmarc_record.c.
 * It never chooses the SMTP answer: lib/am_policy.c does, from the result.
 */
#include "am_dmarc_int.h"

#include "am_config.h"
#include "am_domlist.h"

#include <ctype.h>
#include <opendmarc/dmarc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

/* The record as it applies, after fallbacks and libopendmarc's parse. */
struct eff {
	enum am_dmarc_policy p, sp, np;
	char adkim, aspf, t;
	int pct;
};

/* Build a context from settings. */
struct am_dmarc_ctx *am_dmarc_ctx_new(const struct am_dmarc_settings *s, char *err, size_t errlen)
{
	struct am_dmarc_ctx *ctx = calloc(1, sizeof *ctx);
	if (ctx == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ctx->discovery = s->discovery;
	ctx->multi_from_evaluate = s->multi_from_evaluate;
	if (s->discovery == AM_DMARC_PSL && (ctx->psl = am_psl_load(s->psl_file, err, errlen)) == NULL)
		goto fail;
	if (s->forwarder_networks && s->forwarder_networks->count > 0) {
		size_t n = s->forwarder_networks->count;
		ctx->fwd_networks.items = malloc(n * sizeof *ctx->fwd_networks.items);
		if (ctx->fwd_networks.items == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		memcpy(ctx->fwd_networks.items, s->forwarder_networks->items, n * sizeof *ctx->fwd_networks.items);
		ctx->fwd_networks.count = n;
	}
	if (dmarc_domlist_parse(s->forwarder_hosts, &ctx->fwd_hosts, "forwarder_hosts", err, errlen) < 0 ||
	    dmarc_domlist_parse(s->forwarder_spf_domains, &ctx->fwd_spf, "forwarder_spf_domains", err, errlen) < 0 ||
	    dmarc_domlist_parse(s->forwarder_dkim_domains, &ctx->fwd_dkim, "forwarder_dkim_domains", err, errlen) < 0)
		goto fail;
	return ctx;
fail:
	am_dmarc_ctx_free(ctx);
	return NULL;
}

/* A header field name we can add and track: 1-31 letters, digits, '-'. */
static bool valid_header_name(const char *n)
{
	size_t len = n ? strlen(n) : 0;
	if (len == 0 || len > 31)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)n[i]) && n[i] != '-')
			return false;
	return true;
}

/* Build a context from the [dmarc] section of a loaded config. */
struct am_dmarc_ctx *am_dmarc_ctx_from_config(const struct am_config *cfg, char *err, size_t errlen)
{
	struct am_dmarc_settings s = {
		.psl_file = cfg->dmarc_psl_file,
		.forwarder_networks = &cfg->dmarc_forwarder_networks,
		.forwarder_hosts = cfg->dmarc_forwarder_hosts,
		.forwarder_spf_domains = cfg->dmarc_forwarder_spf_domains,
		.forwarder_dkim_domains = cfg->dmarc_forwarder_dkim_domains,
		.multi_from_evaluate = cfg->dmarc_multi_from_evaluate,
		/* The option table admits psl or treewalk only (in any case). */
		.discovery = cfg->dmarc_discovery && strcasecmp(cfg->dmarc_discovery, "treewalk") == 0
				     ? AM_DMARC_TREEWALK
				     : AM_DMARC_PSL,
	};
	char why[256];
	if (!valid_header_name(cfg->dmarc_marker_header)) {
		snprintf(err, errlen, "[dmarc] marker_header: '%.40s' is not a header name of 1 to 31 "
			 "letters, digits and '-'", cfg->dmarc_marker_header ? cfg->dmarc_marker_header : "");
		return NULL;
	}
	struct am_dmarc_ctx *ctx = am_dmarc_ctx_new(&s, why, sizeof why);
	if (ctx == NULL)
		snprintf(err, errlen, "[dmarc] %s", why);
	return ctx;
}

/* Free a context. NULL is allowed. */
void am_dmarc_ctx_free(struct am_dmarc_ctx *ctx)
{
	if (ctx == NULL)
		return;
	am_psl_free(ctx->psl);
	free(ctx->fwd_networks.items);
	free(ctx->fwd_hosts.items);
	free(ctx->fwd_spf.items);
	free(ctx->fwd_dkim.items);
	free(ctx);
}

enum am_dmarc_discovery am_dmarc_ctx_discovery(const struct am_dmarc_ctx *ctx)
{
	return ctx->discovery;
}

/* libopendmarc's 'n'/'q'/'r' to our policy. */
static enum am_dmarc_policy from_lib(int c)
{
	return c == DMARC_RECORD_P_NONE ? AM_DMARC_P_NONE
	       : c == DMARC_RECORD_P_QUARANTINE ? AM_DMARC_P_QUARANTINE
	       : c == DMARC_RECORD_P_REJECT ? AM_DMARC_P_REJECT : AM_DMARC_P_UNSPEC;
}

/* Hand the validated tags to libopendmarc and read back what it stores. */
static int lib_store(const struct eff *in, const char *author, const char *poldom, struct eff *e)
{
	char rec[128];
	int n = snprintf(rec, sizeof rec, "v=DMARC1; p=%s", am_dmarc_policy_name(in->p));
	if (in->sp != AM_DMARC_P_UNSPEC)
		n += snprintf(rec + n, sizeof rec - (size_t)n, "; sp=%s", am_dmarc_policy_name(in->sp));
	snprintf(rec + n, sizeof rec - (size_t)n, "; adkim=%c; aspf=%c; pct=%d", in->adkim, in->aspf, in->pct);
	DMARC_POLICY_T *pctx = opendmarc_policy_connect_init((u_char *)"0.0.0.0", 0);
	if (pctx == NULL)
		return -1;
	int p = 0, sp = 0, adkim = 0, aspf = 0, pct = 0;
	int st = opendmarc_policy_store_dmarc(pctx, (u_char *)rec, (u_char *)author,
					      strcmp(author, poldom) ? (u_char *)poldom : NULL);
	if (st == DMARC_PARSE_OKAY) {
		opendmarc_policy_fetch_p(pctx, &p);
		opendmarc_policy_fetch_sp(pctx, &sp);
		opendmarc_policy_fetch_adkim(pctx, &adkim);
		opendmarc_policy_fetch_aspf(pctx, &aspf);
		opendmarc_policy_fetch_pct(pctx, &pct);
	}
	opendmarc_policy_connect_shutdown(pctx);
	if (st != DMARC_PARSE_OKAY || from_lib(p) == AM_DMARC_P_UNSPEC)
		return -1;
	*e = *in;
	e->p = from_lib(p);
	e->sp = from_lib(sp);
	e->adkim = adkim == DMARC_RECORD_A_STRICT ? 's' : 'r';
	e->aspf = aspf == DMARC_RECORD_A_STRICT ? 's' : 'r';
	e->pct = pct;
	return 0;
}

/* What a found record means (RFC 7489 6.6.3 / RFC 9989 4.10.1 p= rules).
 * 0 usable, -1 permerror (reason in out). */
static int interpret(const struct am_dmarc_ctx *ctx, const struct dmarc_lookup *lk, const char *author,
		     struct eff *e, struct am_dmarc_result *out)
{
	const struct am_dmarc_record *r = &lk->rec;
	bool walk = ctx->discovery == AM_DMARC_TREEWALK, bad;
	struct eff in = { r->p, r->sp, r->np, r->adkim ? r->adkim : 'r', r->aspf ? r->aspf : 'r',
			  walk && r->t ? r->t : 'n', !walk && r->pct >= 0 ? r->pct : 100 };
	if (!am_dmarc_record_usable(r, walk, &bad)) {
		snprintf(out->reason, sizeof out->reason, "record at %.64s unusable: %s%.40s and no usable rua=",
			 lk->domain, r->p == AM_DMARC_P_UNSPEC && !r->p_bad ? "no p=" : "invalid ",
			 r->p == AM_DMARC_P_UNSPEC && !r->p_bad ? "" : r->bad);
		return -1;
	}
	if (bad) /* RFC 9989 4.10.1: an invalid p=/sp=/np= with a usable rua= acts as p=none */
		in = (struct eff){ AM_DMARC_P_NONE, AM_DMARC_P_UNSPEC, AM_DMARC_P_UNSPEC, 'r', 'r', 'n', 100 };
	else if (in.p == AM_DMARC_P_UNSPEC)
		in.p = AM_DMARC_P_NONE; /* RFC 9989 4.7: a record without p= reads as p=none */
	if (lib_store(&in, author, lk->domain, e) < 0) {
		snprintf(out->reason, sizeof out->reason, "libopendmarc refused the record at %.64s", lk->domain);
		return -1;
	}
	out->p = e->p;
	out->sp = e->sp;
	out->np = e->np;
	out->adkim = e->adkim;
	out->aspf = e->aspf;
	out->pct = e->pct;
	if (walk && r->pct >= 0 && !bad) { /* RFC 9989 A.6: pct= is gone; say so */
		out->pct = r->pct;
		out->pct_ignored = true;
	}
	out->psd = r->psd == 'y';
	out->testing = walk && e->t == 'y'; /* RFC 9989 4.7, also on a pass (BIMI reads it) */
	snprintf(out->rua, sizeof out->rua, "%s", r->rua); /* aggregate report data */
	snprintf(out->fo, sizeof out->fo, "%s", r->fo);
	if (bad)
		snprintf(out->reason, sizeof out->reason, "invalid %.40s at %.64s, acting as p=none (rua= present)",
			 r->bad, lk->domain);
	return 0;
}

/* Find the record that applies to author. 1 found, 0 none, -1 temperror. */
static int discover(struct dmarc_run *run, const char *author, const struct dmarc_lookup **pol,
		    char *org, size_t orglen, char *why, size_t whylen)
{
	const struct dmarc_lookup *lk = dmarc_fetch(run, author);
	*org = '\0';
	if (lk->state == LK_TEMP) {
		snprintf(why, whylen, "_dmarc.%.100s: %s", author, lk->detail);
		return -1;
	}
	if (lk->state == LK_RECORD) {
		*pol = lk;
		return 1;
	}
	if (run->ctx->discovery == AM_DMARC_PSL) {
		if (dmarc_org(run, author, org, orglen, why, whylen) < 0 || strcmp(org, author) == 0)
			return 0;
		lk = dmarc_fetch(run, org);
		if (lk->state == LK_TEMP)
			snprintf(why, whylen, "_dmarc.%.100s: %s", org, lk->detail);
		*pol = lk;
		return lk->state == LK_TEMP ? -1 : lk->state == LK_RECORD;
	}
	const struct dmarc_lookup *found[AM_DMARC_WALK_MAX];
	int n = dmarc_walk(run, author, found, why, whylen);
	if (n <= 0)
		return n;
	dmarc_walk_org(author, found, n, org, orglen);
	/* The org domain's record if the walk fetched it, else the PSD record.
	 * An org domain of 8+ labels (below a deep psd=y) was never queried:
	 * one more query would break RFC 9989's bound, so the PSD record applies. */
	*pol = found[n - 1];
	for (size_t i = 0; i < run->ncache; i++)
		if (strcmp(run->cache[i].domain, org) == 0 && run->cache[i].state == LK_RECORD)
			*pol = &run->cache[i];
	return 1;
}

/* Is ident aligned with author? 1 yes, 0 no, -1 temperror. */
static int aligned(struct dmarc_run *run, const char *author, char *author_org, const char *ident,
		   char mode)
{
	char norm[AM_DOMAIN_MAX], org[AM_DOMAIN_MAX], why[160];
	if (am_domain_normalize(ident, norm, sizeof norm, why, sizeof why) < 0)
		return 0;
	if (strcmp(norm, author) == 0)
		return 1;
	if (mode == 's')
		return 0;
	if (*author_org == '\0' && dmarc_org(run, author, author_org, AM_DOMAIN_MAX, why, sizeof why) < 0)
		return -1;
	/* An organisational domain is a suffix of its name, so a name not
	 * under the author's cannot align: no walk, no look-up a sender could
	 * spend to push the author's own ones past DMARC_CACHE_MAX. */
	if (!am_domain_within(norm, author_org))
		return 0;
	if (dmarc_org(run, norm, org, sizeof org, why, sizeof why) < 0)
		return -1;
	return strcmp(org, author_org) == 0;
}

/* Check SPF and each passing DKIM signature. Returns -1 if a temperror
 * kept an identifier from aligning and none aligned, else 0. */
static int check_alignment(struct dmarc_run *run, const char *author, char *author_org, const struct eff *e,
			   const struct am_dmarc_input *in, struct am_dmarc_result *out)
{
	bool temp = false;
	int r;
	if (in->spf && in->spf->checked) {
		out->spf_result = in->spf->result;
		snprintf(out->spf_domain, sizeof out->spf_domain, "%s", in->spf->domain);
		if (in->spf->result == AM_RES_PASS && in->spf->domain[0]) {
			r = aligned(run, author, author_org, in->spf->domain, e->aspf);
			out->spf_aligned = r == 1;
			temp |= r < 0;
		}
	}
	for (size_t i = 0; in->dkim && i < in->dkim->count && i < AM_DKIM_MAX_SIGS; i++) {
		const struct am_dkim_sig *s = &in->dkim->sigs[i];
		bool pass = s->result == AM_RES_PASS;
		if (i == 0 || (pass && out->dkim_result != AM_RES_PASS)) {
			snprintf(out->dkim_domain, sizeof out->dkim_domain, "%s", s->domain);
			out->dkim_result = s->result;
		}
		if (!pass || out->dkim_aligned)
			continue;
		r = aligned(run, author, author_org, s->domain, e->adkim);
		if (r == 1) {
			out->dkim_aligned = true;
			snprintf(out->dkim_domain, sizeof out->dkim_domain, "%s", s->domain);
		}
		temp |= r < 0;
	}
	return temp && !out->spf_aligned && !out->dkim_aligned ? -1 : 0;
}

/* One step down: reject -> quarantine -> none. */
static enum am_dmarc_policy step_down(enum am_dmarc_policy p)
{
	return p == AM_DMARC_P_REJECT ? AM_DMARC_P_QUARANTINE : AM_DMARC_P_NONE;
}

/* Pick p / sp / np for a failing message (RFC 9989 4.10.1: the author
 * domain's own record gives p=; a record above it gives sp= if the author
 * domain exists, np= if it does not (3.2.13), else p=). -1 on a DNS
 * temperror. */
static int choose_policy(struct dmarc_run *run, const char *author, const char *poldom, const struct eff *e,
			 struct am_dmarc_result *out)
{
	const char *tag = "p";
	out->policy = e->p;
	if (strcmp(author, poldom) != 0) {
		int ex = e->np != AM_DMARC_P_UNSPEC ? dmarc_domain_exists(run, author) : 1;
		if (ex < 0)
			return -1;
		out->nonexistent = ex == 0;
		if (ex == 0)
			tag = "np", out->policy = e->np;
		else if (e->sp != AM_DMARC_P_UNSPEC)
			tag = "sp", out->policy = e->sp;
	}
	snprintf(out->policy_tag, sizeof out->policy_tag, "%s", tag);
	return 0;
}

/* The effective policy of a failing message: the published one after t=
 * (RFC 9989 4.7: t=y asks for one level below; it has no effect on none)
 * or, in psl mode, pct= sampling (RFC 7489 6.6.4; RFC 9990 reports it as
 * override "other"). The local policy (am_policy.c) takes it from there. */
static void effective(const struct am_dmarc_ctx *ctx, const struct eff *e, const struct am_dmarc_input *in,
		      struct am_dmarc_result *out)
{
	enum am_dmarc_policy d = out->policy;
	if (out->testing && d != AM_DMARC_P_NONE) {
		d = step_down(d);
		am_dmarc_override_add(out, AM_DMARC_OV_POLICY_TEST_MODE, "t=y");
	}
	if (ctx->discovery == AM_DMARC_PSL && e->pct < 100 && d != AM_DMARC_P_NONE) {
		uint32_t v = 0;
		if (in->random)
			v = in->random(in->random_arg);
		else if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
			v = 0;
		if ((int)(v % 100) >= e->pct) {
			char pct[16];
			snprintf(pct, sizeof pct, "pct=%d", e->pct);
			am_dmarc_override_add(out, AM_DMARC_OV_OTHER, pct);
			d = step_down(d);
		}
	}
	out->effective_policy = d;
	out->disposition = d;
}

/* Evaluate one author domain into out (from fields already set). */
static void check_domain(struct dmarc_run *run, const char *author, const struct am_dmarc_input *in,
			 struct am_dmarc_result *out)
{
	const struct dmarc_lookup *pol = NULL;
	char why[160] = "";
	struct eff e;
	snprintf(out->header_from, sizeof out->header_from, "%s", author);
	int found = discover(run, author, &pol, out->org_domain, sizeof out->org_domain, why, sizeof why);
	out->result = found < 0 ? AM_RES_TEMPERROR : AM_RES_NONE;
	if (found <= 0) {
		snprintf(out->reason, sizeof out->reason, "%s", found < 0 ? why : "no DMARC record");
		return;
	}
	snprintf(out->policy_domain, sizeof out->policy_domain, "%s", pol->domain);
	if (interpret(run->ctx, pol, author, &e, out) < 0) {
		out->result = AM_RES_PERMERROR;
		return;
	}
	if (check_alignment(run, author, out->org_domain, &e, in, out) < 0) {
		out->result = AM_RES_TEMPERROR;
		snprintf(out->reason, sizeof out->reason, "DNS error while checking alignment");
		return;
	}
	if (out->spf_aligned || out->dkim_aligned) {
		out->result = AM_RES_PASS;
		snprintf(out->policy_tag, sizeof out->policy_tag, "p");
		out->policy = e.p;
		out->effective_policy = out->testing && e.p != AM_DMARC_P_NONE ? step_down(e.p) : e.p;
		return;
	}
	out->result = AM_RES_FAIL;
	if (choose_policy(run, author, pol->domain, &e, out) < 0) {
		out->result = AM_RES_TEMPERROR;
		snprintf(out->reason, sizeof out->reason, "DNS error while checking that %s exists", author);
		return;
	}
	effective(run->ctx, &e, in, out);
	dmarc_signals(run, author, out->org_domain, in, &out->signals);
	if (out->reason[0] == '\0')
		snprintf(out->reason, sizeof out->reason, "no aligned SPF or DKIM pass");
}

/* How bad an outcome is, to keep the strictest of several From domains. */
static int severity(const struct am_dmarc_result *r)
{
	switch (r->result) {
	case AM_RES_FAIL: return 4 + (int)r->disposition;
	case AM_RES_TEMPERROR: return 3;
	case AM_RES_PERMERROR: return 2;
	case AM_RES_PASS: return 0;
	default: return 1;
	}
}

/* Outcome for a From that gives no single author domain. */
static void from_error(const struct am_from *f, struct am_dmarc_result *out)
{
	out->result = f->status == AM_FROM_NO_ADDRESS ? AM_RES_NONE : AM_RES_PERMERROR;
	if (f->status == AM_FROM_OVER_LIMIT) /* its reason names the limit and the count */
		snprintf(out->reason, sizeof out->reason, "%s", f->reason);
	else
		snprintf(out->reason, sizeof out->reason, "From %s: %s", am_from_status_name(f->status), f->reason);
}

/* A From that parsed only in part: the domains found are evaluated, and
 * the part that did not parse counts as a permerror among them. */
static bool from_partial(const struct am_from *f)
{
	return (f->status == AM_FROM_SYNTAX || f->status == AM_FROM_BAD_DOMAIN) && f->ndomains > 0;
}

/* Every From domain fits the look-ups one message may make (all walks). */
_Static_assert(AM_FROM_MAX_DOMAINS * AM_DMARC_WALK_MAX <= DMARC_CACHE_MAX,
	       "the From domains evaluated must fit the DMARC look-up cache");

/* Evaluate one of left From domains under its share of what is left of
 * the DNS budget, so slow look-ups for some (a sender's own domains)
 * never leave the others none: a temperror is milder than a p=reject. */
static void check_domain_share(struct dmarc_run *run, const char *author, size_t left,
			       const struct am_dmarc_input *in, struct am_dmarc_result *out)
{
	struct am_dns_budget *all = run->budget, part;
	int64_t now = am_dns_now_ms();
	if (all == NULL || all->deadline_ms <= now || left < 2) {
		check_domain(run, author, in, out);
		return;
	}
	part = (struct am_dns_budget){ .deadline_ms = now + (all->deadline_ms - now) / (int64_t)left };
	run->budget = &part;
	check_domain(run, author, in, out);
	run->budget = all;
	all->queries += part.queries;
	all->timeouts += part.timeouts;
	all->servfails += part.servfails;
}

/* Evaluate each From domain; keep the strictest (RFC 7489 6.6.1), so an
 * added From domain or broken mailbox never makes the outcome milder. */
static void check_multi(struct dmarc_run *run, const struct am_dmarc_input *in, struct am_dmarc_result *out)
{
	struct am_dmarc_result *tmp = malloc(sizeof *tmp);
	if (tmp == NULL) {
		out->result = AM_RES_TEMPERROR;
		snprintf(out->reason, sizeof out->reason, "out of memory");
		return;
	}
	struct am_dmarc_result base = *out;
	bool partial = from_partial(in->from);
	if (partial)
		from_error(in->from, out);
	bool temp = false;
	for (size_t i = 0; i < in->from->ndomains; i++) {
		*tmp = base;
		check_domain_share(run, in->from->domains[i], in->from->ndomains - i, in, tmp);
		temp |= tmp->result == AM_RES_TEMPERROR;
		if ((i == 0 && !partial) || severity(tmp) > severity(out))
			*out = *tmp;
	}
	/* kept for the policy: that domain alone might have been tempfailed */
	out->other_temperror = temp && out->result != AM_RES_TEMPERROR;
	free(tmp);
	size_t used = strlen(out->reason);
	snprintf(out->reason + used, sizeof out->reason - used, " (strictest of %zu From domains%s)",
		 in->from->ndomains, partial ? " and a From error" : "");
}

/* A message's look-up state, on the heap (its cache is large); NULL when
 * out of memory. The 22 KB cache is not cleared: dmarc_fetch clears each
 * entry it takes, and only the first ncache are read. */
static struct dmarc_run *run_new(const struct am_dmarc_ctx *ctx, struct am_dns *dns, struct am_dns_budget *budget)
{
	struct dmarc_run *run = malloc(sizeof *run);
	if (run != NULL) {
		run->ctx = ctx;
		run->dns = dns;
		run->budget = budget;
		run->ncache = 0;
		run->queries = 0;
	}
	return run;
}

/* Evaluate DMARC for one message (see am_dmarc.h). */
void am_dmarc_check(const struct am_dmarc_ctx *ctx, struct am_dns *dns, struct am_dns_budget *budget,
		    const struct am_dmarc_input *in, struct am_dmarc_result *out)
{
	memset(out, 0, sizeof *out);
	out->checked = true;
	out->discovery = ctx->discovery;
	out->pct = 100;
	out->disposition = AM_DMARC_P_NONE;
	out->from_status = in->from->status;
	if (in->client_ip)
		am_ip_format(in->client_ip, out->source_ip, sizeof out->source_ip);
	bool multi = in->from->status == AM_FROM_MULTIPLE_DOMAINS || in->from->status == AM_FROM_MULTIPLE_HEADERS ||
		     from_partial(in->from);
	if (in->from->status != AM_FROM_OK && !(multi && ctx->multi_from_evaluate && in->from->ndomains > 0)) {
		from_error(in->from, out);
		return;
	}
	struct dmarc_run *run = run_new(ctx, dns, budget);
	if (run == NULL) {
		out->result = AM_RES_TEMPERROR;
		snprintf(out->reason, sizeof out->reason, "out of memory");
		return;
	}
	if (in->from->status == AM_FROM_OK)
		check_domain(run, in->from->domain, in, out);
	else
		check_multi(run, in, out);
	out->dns_queries = run->queries;
	free(run);
}

/* Organisational domain for tests, conformance and reports. */
int am_dmarc_org_domain(const struct am_dmarc_ctx *ctx, struct am_dns *dns, struct am_dns_budget *budget,
			const char *domain, char *out, size_t outlen, unsigned *queries, char *err,
			size_t errlen)
{
	char norm[AM_DOMAIN_MAX];
	if (am_domain_normalize(domain, norm, sizeof norm, err, errlen) < 0)
		return -1;
	struct dmarc_run *run = run_new(ctx, dns, budget);
	if (run == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int r = dmarc_org(run, norm, out, outlen, err, errlen);
	if (queries)
		*queries = run->queries;
	free(run);
	return r;
}

/* The record at one name; see am_dmarc.h. */
int am_dmarc_record_at(const struct am_dmarc_ctx *ctx, struct am_dns *dns, struct am_dns_budget *budget,
		       const char *domain, struct am_dmarc_record *rec, char *err, size_t errlen)
{
	struct dmarc_run *run = run_new(ctx, dns, budget);
	if (run == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	const struct dmarc_lookup *lk = dmarc_fetch(run, domain);
	int r = lk->state == LK_RECORD ? 1 : lk->state == LK_TEMP ? -1 : 0;
	if (r == 1)
		*rec = lk->rec;
	else if (r < 0)
		snprintf(err, errlen, "_dmarc.%.100s: %s", domain, lk->detail);
	free(run);
	return r;
}

/* Alignment of two names on their own (tests, parity, tools). */
int am_dmarc_aligned(const struct am_dmarc_ctx *ctx, struct am_dns *dns, struct am_dns_budget *budget,
		     const char *author, const char *ident, char mode)
{
	char norm[AM_DOMAIN_MAX], org[AM_DOMAIN_MAX] = "", err[96];
	if (am_domain_normalize(author, norm, sizeof norm, err, sizeof err) < 0)
		return 0;
	struct dmarc_run *run = run_new(ctx, dns, budget);
	if (run == NULL)
		return -1;
	int r = aligned(run, norm, org, ident, mode);
	free(run);
	return r;
}
