/*
 * test_dmarc_conformance.c - the DMARC cases of $AM_SHARED/conformance/dmarc
 * that carry an expected outcome, through our code (lib/am_from.c,
 * am_dmarc_record.c, am_dmarc.c) on the table resolver and the pinned PSL.
 * DMARCbis-only cases run in treewalk mode and are skipped, with the
 * reason, in psl mode (RFC 7489); milter-level policy cases are skipped
 * with the reason. Where we deliberately differ from the upstream
 * expectation, the case asserts our documented outcome and says why.
 * libopendmarc's own tables are compared in test_dmarc_parity.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "am_dmarc.h"
#include "am_dmarc_record.h"
#include "dmarc_cases.h"
#include "tap.h"

struct deviation {
	const char *key;
	const char *ours;
	const char *why;
};

/* From values where libopendmarc's expectation is its leniency, not ours. */
static const struct deviation from_dev[] = {
	{"\"Johnson, Joe <joe@joe.com>\" joe@joe.com", "syntax",
	 "display name without <> is not RFC 5322; we do not guess the author"},
	{"<<<><joe@joe.com>>>", "syntax", "stray angle brackets: unparseable, not dug out"},
	{"Joe Johnson <joe@joe.com>, ace@ace.com", "multiple-domains",
	 "'first address wins' would let a second author escape DMARC (RFC 7489 6.6.1)"},
	{"joe@joe.com, ace@ace.com", "multiple-domains", "same: two authors in two domains"},
	{"\"( bob@bob.com)\" joe@joe.com", "syntax", "display name without <> is not RFC 5322"},
};

/* validate cases (by n) where our result differs from Mail::DMARC's. */
static const struct deviation validate_dev[] = {
	{"4", "result=permerror",
	 "an unusable record is permerror (RFC 7489 11.2, RFC 8601); like Mail::DMARC, no policy applies"},
};

static const struct deviation *find_dev(const struct deviation *d, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(d[i].key, key) == 0)
			return &d[i];
	return NULL;
}

/* from_domain_* blocks through am_from. */
static void run_from(const struct tcase *c)
{
	const char *raw = tcase_get(c, "raw"), *want = tcase_get(c, "expect");
	struct am_from f;
	enum am_from_status st = am_from_parse_one(raw, &f);
	const struct deviation *d = find_dev(from_dev, sizeof from_dev / sizeof *from_dev, raw);
	if (d)
		ok(strcmp(am_from_status_name(st), d->ours) == 0, "%s '%s' -> %s (upstream %s; %s)", c->block, raw,
		   d->ours, want, d->why);
	else if (*want == '\0')
		ok(st != AM_FROM_OK, "%s '%s' -> no single author domain (%s)", c->block, raw, am_from_status_name(st));
	else if (!ok(st == AM_FROM_OK && strcmp(f.domain, want) == 0, "%s '%s' -> %s", c->block, raw, want))
		diag("got %s %s (%s)", am_from_status_name(st), f.domain, f.reason);
}

/* tag_values: one value accepted or refused. */
static void run_tag(const struct tcase *c)
{
	const char *tag = tcase_get(c, "tag"), *v = tcase_get(c, "value");
	bool good = strcmp(tcase_get(c, "verdict"), "good") == 0;
	char rec[256];
	snprintf(rec, sizeof rec, "v=%s", v);
	int r = strcmp(tag, "v") == 0 ? am_dmarc_is_record(rec) : am_dmarc_tag_check(tag, v);
	ok(r == (good ? 1 : 0), "tag %s=%s %s", tag, v, good ? "accepted" : "refused");
}

/* record_validity: is the record applied at all? */
static void run_validity(const struct tcase *c)
{
	const char *rec = tcase_get(c, "record");
	bool bis = strcmp(tcase_get(c, "dmarcbis"), "true") == 0, want = strcmp(tcase_get(c, "valid"), "true") == 0;
	struct am_dmarc_record r;
	bool as_none, usable = am_dmarc_record_parse(rec, &r) == 0 && am_dmarc_record_usable(&r, bis, &as_none);
	ok(usable == want, "record '%s' %s (%s)", rec, want ? "usable" : "not usable", bis ? "RFC 9989" : "RFC 7489");
}

/* Build SPF/DKIM results from the converter's flattened lists. */
static void make_auth(const struct tcase *c, struct am_spf_result *spf, struct am_dkim_result *dkim)
{
	char buf[512];
	char *save = NULL;
	memset(spf, 0, sizeof *spf);
	memset(dkim, 0, sizeof *dkim);
	snprintf(buf, sizeof buf, "%s", tcase_get(c, "spf"));
	for (char *e = strtok_r(buf, " ", &save); e; e = strtok_r(NULL, " ", &save)) {
		char *s1 = strchr(e, ':'), *s2 = s1 ? strchr(s1 + 1, ':') : NULL;
		if (!s2 || strncmp(s1 + 1, "mfrom", 5) != 0)
			continue; /* DMARC uses only the MAIL FROM identity */
		*s1 = '\0';
		spf->checked = true;
		spf->result = strcmp(s2 + 1, "pass") == 0 ? AM_RES_PASS : AM_RES_FAIL;
		snprintf(spf->domain, sizeof spf->domain, "%s", e);
	}
	snprintf(buf, sizeof buf, "%s", tcase_get(c, "dkim"));
	for (char *e = strtok_r(buf, " ", &save); e && dkim->count < AM_DKIM_MAX_SIGS; e = strtok_r(NULL, " ", &save)) {
		char *s1 = strchr(e, ':');
		if (!s1)
			continue;
		*s1 = '\0';
		struct am_dkim_sig *sig = &dkim->sigs[dkim->count++];
		sig->result = strcmp(s1 + 1, "pass") == 0 ? AM_RES_PASS : AM_RES_FAIL;
		snprintf(sig->domain, sizeof sig->domain, "%s", e);
		dkim->checked = true;
	}
}

/* Evaluate "x@domain" with the case's SPF/DKIM results. */
static void evaluate(const struct am_dmarc_ctx *ctx, struct am_dns *dns, const struct tcase *c, const char *domain,
		     struct am_dmarc_result *r)
{
	char from[300];
	struct am_from f;
	struct am_spf_result spf;
	struct am_dkim_result dkim;
	snprintf(from, sizeof from, "x@%s", domain);
	am_from_parse_one(from, &f);
	make_auth(c, &spf, &dkim);
	struct am_dmarc_input in = { .from = &f, .spf = &spf, .dkim = &dkim };
	am_dmarc_check(ctx, dns, NULL, &in, r);
}

/* identifier_alignment: aligned under the record's aspf/adkim? */
static bool aligned_under(const struct am_dmarc_ctx *psl, const struct tcase *c, char mode)
{
	char zone[512], err[128];
	const char *hf = tcase_get(c, "header_from");
	snprintf(zone, sizeof zone, "_dmarc.%s TXT v=DMARC1; p=none; aspf=%c; adkim=%c\n", hf, mode, mode);
	struct am_dns *dns = am_dns_table_new(zone, err, sizeof err);
	struct am_dmarc_result r;
	if (dns == NULL)
		return false;
	evaluate(psl, dns, c, hf, &r);
	am_dns_destroy(dns);
	return r.result == AM_RES_PASS;
}

static void run_idalign(const struct am_dmarc_ctx *psl, const struct tcase *c)
{
	const char *want = tcase_get(c, "expect"), *aspf = tcase_get(c, "aspf");
	bool rel = aligned_under(psl, c, *aspf ? *aspf : 'r'), strict = aligned_under(psl, c, 's');
	bool good = strcmp(want, "aligned-strict") == 0    ? strict
		    : strcmp(want, "aligned-relaxed") == 0 ? rel && !strict
		    : strcmp(want, "aligned") == 0	   ? rel
							   : !rel;
	ok(good, "identifier_alignment %s: %s -> %s", tcase_get(c, "n"), tcase_get(c, "header_from"), want);
}

/* Compare one "key=value" expectation with a result. */
static bool expect_one(const char *kv, const struct am_dmarc_result *r)
{
	char key[32], val[32];
	if (sscanf(kv, "%31[^=]=%31s", key, val) != 2)
		return false;
	bool yes = strcmp(val, "true") == 0;
	if (strcmp(key, "result") == 0)
		return strcmp(am_result_name(r->result), val) == 0;
	if (strcmp(key, "disposition") == 0)
		return strcmp(am_dmarc_policy_name(r->disposition), val) == 0;
	if (strcmp(key, "spf_aligned") == 0 || strcmp(key, "spf") == 0)
		return r->spf_aligned == (yes || strcmp(val, "pass") == 0);
	if (strcmp(key, "dkim_aligned") == 0 || strcmp(key, "dkim") == 0)
		return r->dkim_aligned == (yes || strcmp(val, "pass") == 0);
	return false;
}

/* validate: one Mail::DMARC scenario in one mode. */
static void run_validate(const struct am_dmarc_ctx *ctx, struct am_dns *dns, const struct tcase *c)
{
	const char *n = tcase_get(c, "n"), *mode = am_dmarc_discovery_name(am_dmarc_ctx_discovery(ctx));
	char want[256], what[160];
	snprintf(what, sizeof what, "validate %s (%s): %s", n, mode, tcase_get(c, "header_from"));
	if (strcmp(tcase_get(c, "dmarcbis"), "true") == 0 && am_dmarc_ctx_discovery(ctx) == AM_DMARC_PSL) {
		tap_skip(what, "DMARCbis-only case (tree walk, psd=, t= or np= semantics): not RFC 7489");
		return;
	}
	const struct deviation *d = find_dev(validate_dev, sizeof validate_dev / sizeof *validate_dev, n);
	snprintf(want, sizeof want, "%s", d ? d->ours : tcase_get(c, "expect"));
	struct am_dmarc_result r;
	evaluate(ctx, dns, c, tcase_get(c, "header_from"), &r);
	bool good = true;
	char *save = NULL;
	for (char *kv = strtok_r(want, ",", &save); kv; kv = strtok_r(NULL, ",", &save))
		good = good && expect_one(kv, &r);
	if (!ok(good, "%s -> %s%s%s", what, d ? d->ours : tcase_get(c, "expect"), d ? "; deviation: " : "",
		d ? d->why : ""))
		diag("got %s dis=%s spf_aligned=%d dkim_aligned=%d (%s)", am_result_name(r.result),
		     am_dmarc_policy_name(r.disposition), r.spf_aligned, r.dkim_aligned, r.reason);
}

/* organizational_domain_tree_walk through the RFC 9989 walk. */
static void run_orgwalk(const struct am_dmarc_ctx *walk, struct am_dns *dns, const struct tcase *c)
{
	char org[256] = "", err[128];
	const char *dom = tcase_get(c, "domain"), *want = tcase_get(c, "expect");
	unsigned q = 0;
	int r = am_dmarc_org_domain(walk, dns, NULL, dom, org, sizeof org, &q, err, sizeof err);
	if (!ok(r == 0 && strcmp(org, want) == 0 && q <= AM_DMARC_WALK_MAX, "org domain (treewalk) %s -> %s", dom, want))
		diag("got %s in %u queries (%s)", org, q, r ? err : "");
	snprintf(org, sizeof org, "org domain (psl) %.200s", dom);
	tap_skip(org, "organisational domain by tree walk is RFC 9989 only; psl mode runs psl/tests.txt");
}

/* milter_multi_from: the From part, at lib level, default configuration. */
static void run_multifrom(const struct am_dmarc_ctx *psl, struct am_dns *dns, const struct tcase *c)
{
	char msg[1024], *save = NULL;
	const char *values[8];
	size_t n = 0;
	snprintf(msg, sizeof msg, "%s", tcase_get(c, "message"));
	for (char *l = strtok_r(msg, "\n", &save); l && *l && n < 8; l = strtok_r(NULL, "\n", &save))
		if (strncasecmp(l, "From:", 5) == 0)
			values[n++] = l + 5;
	struct am_from f;
	am_from_parse(values, n, &f);
	struct am_dmarc_input in = { .from = &f };
	struct am_dmarc_result r;
	am_dmarc_check(psl, dns, NULL, &in, &r);
	ok(r.result == AM_RES_NONE && r.disposition == AM_DMARC_P_NONE,
	   "milter_multi_from %s (default): dmarc=none, nothing applied (%s)", tcase_get(c, "name"), r.reason);
	tap_skip(tcase_get(c, "name"), "strict_multifrom / hard_reject_strict are milter-level policy on several "
				       "From headers: lead's [dmarc] from_error_action (am_policy)");
}

/* Dispatch every case to its block's runner. */
static void run_all(const struct tcases *t, struct am_dmarc_ctx *psl, struct am_dmarc_ctx *walk, struct am_dns *dns)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct tcase *c = &t->c[i];
		if (strncmp(c->block, "from_domain_", 12) == 0)
			run_from(c);
		else if (strcmp(c->block, "tag_values") == 0)
			run_tag(c);
		else if (strcmp(c->block, "record_validity") == 0)
			run_validity(c);
		else if (strcmp(c->block, "identifier_alignment") == 0)
			run_idalign(psl, c);
		else if (strcmp(c->block, "validate") == 0) {
			run_validate(psl, dns, c);
			run_validate(walk, dns, c);
		} else if (strcmp(c->block, "organizational_domain_tree_walk") == 0)
			run_orgwalk(walk, dns, c);
		else if (strcmp(c->block, "milter_multi_from") == 0)
			run_multifrom(psl, dns, c);
	}
}

int main(void)
{
	struct tcases t;
	char why[512], err[256];
	int r = tcases_load(&t, why, sizeof why);
	if (r == 77) {
		printf("1..0 # SKIP %s\n", why);
		return 0;
	}
	if (!ok(r == 0, "conformance tables load (%s)", r ? why : "ok"))
		return done_testing();
	struct am_dmarc_settings sp = { .discovery = AM_DMARC_PSL, .psl_file = t.psl_file, .multi_from_evaluate = true };
	struct am_dmarc_settings sw = { .discovery = AM_DMARC_TREEWALK, .multi_from_evaluate = true };
	struct am_dmarc_ctx *psl = am_dmarc_ctx_new(&sp, err, sizeof err);
	struct am_dmarc_ctx *walk = am_dmarc_ctx_new(&sw, err, sizeof err);
	char *zone = tcases_zone(&t);
	struct am_dns *dns = zone ? am_dns_table_new(zone, err, sizeof err) : NULL;
	if (ok(psl && walk && dns, "contexts and zone ready (%s)", psl && walk && dns ? "ok" : err))
		run_all(&t, psl, walk, dns);
	am_dns_destroy(dns);
	free(zone);
	am_dmarc_ctx_free(psl);
	am_dmarc_ctx_free(walk);
	tcases_free(&t);
	return done_testing();
}
