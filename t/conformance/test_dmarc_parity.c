/*
 * test_dmarc_parity.c - the DMARC tables run through libopendmarc 1.4.2 and
 * through our code (psl mode, pinned PSL), where both apply: record
 * parsing, alignment of two names, From-domain extraction, identifier
 * alignment and the RFC 7489 validate scenarios. libopendmarc is first
 * checked against its own upstream expectations; then each case must give
 * the same answer in both, or be a listed difference with its reason.
 * A listed difference that disappears also fails, so a library upgrade is
 * noticed. libopendmarc's suffix list is process-wide: fine in a test.
 */
#include <opendmarc/dmarc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am_dmarc.h"
#include "am_dmarc_record.h"
#include "dmarc_cases.h"
#include "tap.h"

/* Exported by libopendmarc 1.4.2 but not declared in dmarc.h. */
u_char *opendmarc_util_finddomain(u_char *raw, u_char *buf, size_t buflen);
int opendmarc_get_tld(u_char *domain, u_char *tld, size_t tld_len);

struct diff {
	const char *block, *key, *why;
};

static const struct diff diffs[] = {
	{"record_parse", "5", "p=n: libopendmarc accepts any prefix of a keyword; RFC 7489 6.3 does not"},
	{"record_parse", "10", "bad adkim=: RFC 7489 6.3 falls back to the default; libopendmarc voids the record"},
	{"record_parse", "11", "bad aspf=: same"},
	{"record_parse", "12", "bad rf=: same"},
	{"record_parse", "13", "bad ri=: same"},
	{"record_parse", "14", "pct=500: same"},
	{"record_parse", "19", "bad rf=: same"},
	{"alignment", "5", "'.mac.com.' has an empty label: we never align a malformed name"},
	{"alignment", "6", "'....mac.com....': same"},
	{"from", "\"Johnson, Joe <joe@joe.com>\" joe@joe.com", "display name without <>: we do not guess"},
	{"from", "<<<><joe@joe.com>>>", "stray brackets: unparseable for us"},
	{"from", "Joe Johnson <joe@joe.com>, ace@ace.com", "two authors: libopendmarc takes the first"},
	{"from", "joe@joe.com, ace@ace.com", "two authors: libopendmarc takes the first"},
	{"from", "\"( bob@bob.com)\" joe@joe.com", "display name without <>: we do not guess"},
	{"from", "Sample User <user@example.com>,Sample2<user@example2.com>",
	 "two authors: libopendmarc picks one (here the second)"},
	{"from", "From: \"Test 1.1.5\"", "no address: libopendmarc returns the text 'From:' as a domain"},
	{"from", " <user@example.com > ", "libopendmarc keeps the blank before '>' in the domain"},
	{"identifier_alignment", "9", "d=net: libopendmarc aligns a public suffix with its children; RFC 7489 3.2 does not"},
	{"validate", "3", "invalid sp= with a usable rua=: RFC 7489 6.6.3 reads it as p=none; libopendmarc refuses it"},
};

/* The listed reason for a difference, or NULL. */
static const char *diff_why(const char *block, const char *key)
{
	for (size_t i = 0; i < sizeof diffs / sizeof *diffs; i++)
		if (strcmp(diffs[i].block, block) == 0 && strcmp(diffs[i].key, key) == 0)
			return diffs[i].why;
	return NULL;
}

/* Same answer, or a listed difference that is really there. */
static void parity(const char *block, const char *key, const char *lib, const char *ours)
{
	const char *why = diff_why(block, key);
	bool same = strcmp(lib, ours) == 0;
	if (why)
		ok(!same, "%s %s: libopendmarc %s, ours %s (listed: %s)", block, key, lib, ours, why);
	else
		ok(same, "%s %s: libopendmarc %s, ours %s", block, key, lib, ours);
}

/* libopendmarc status macro name for a value. */
static const char *status_name(int st)
{
	static const char *const names[] = { "DMARC_PARSE_OKAY", "DMARC_PARSE_ERROR_EMPTY",
					     "DMARC_PARSE_ERROR_NULL_CTX", "DMARC_PARSE_ERROR_BAD_VERSION",
					     "DMARC_PARSE_ERROR_BAD_VALUE", "DMARC_PARSE_ERROR_NO_REQUIRED_P" };
	return st >= 0 && st < 6 ? names[st] : "other";
}

/* record_parse: libopendmarc's status, and usable-or-not in both. */
static void run_record(const struct tcase *c)
{
	const char *rec = tcase_get(c, "record"), *n = tcase_get(c, "n");
	DMARC_POLICY_T *pctx = opendmarc_policy_connect_init((u_char *)"192.0.2.1", 0);
	int st = opendmarc_policy_parse_dmarc(pctx, (u_char *)"abuse.net", (u_char *)rec);
	opendmarc_policy_connect_shutdown(pctx);
	ok(strcmp(status_name(st), tcase_get(c, "expect")) == 0, "libopendmarc record %s: %s", n, tcase_get(c, "expect"));
	struct am_dmarc_record r;
	bool as_none, ours = am_dmarc_record_parse(rec, &r) == 0 && am_dmarc_record_usable(&r, false, &as_none);
	parity("record_parse", n, st == DMARC_PARSE_OKAY ? "usable" : "refused", ours ? "usable" : "refused");
}

/* alignment: two names, relaxed or strict. */
static void run_align(const struct am_dmarc_ctx *psl, const struct tcase *c)
{
	const char *a = tcase_get(c, "domain"), *b = tcase_get(c, "other"), *n = tcase_get(c, "n");
	char mode = strcmp(tcase_get(c, "mode"), "strict") == 0 ? 's' : 'r';
	int lib = opendmarc_policy_check_alignment((u_char *)a, (u_char *)b,
						   mode == 's' ? DMARC_RECORD_A_STRICT : DMARC_RECORD_A_RELAXED);
	ok(lib == atoi(tcase_get(c, "expect")), "libopendmarc alignment %s: %s", n, tcase_get(c, "expect"));
	int ours = am_dmarc_aligned(psl, NULL, NULL, a, b, mode);
	parity("alignment", n, lib == 0 ? "aligned" : "not aligned", ours == 1 ? "aligned" : "not aligned");
}

/* from_domain_*: libopendmarc's extraction and ours. */
static void run_from(const struct tcase *c)
{
	const char *raw = tcase_get(c, "raw");
	char buf[256] = "", copy[1024];
	struct am_from f;
	snprintf(copy, sizeof copy, "%s", raw);
	const u_char *d = opendmarc_util_finddomain((u_char *)copy, (u_char *)buf, sizeof buf);
	const char *lib = d && *d ? (const char *)d : "(none)";
	if (strcmp(c->block, "from_domain_libopendmarc") == 0)
		ok(strcmp(lib, tcase_get(c, "expect")) == 0, "libopendmarc finddomain '%s': %s", raw, tcase_get(c, "expect"));
	am_from_parse_one(raw, &f);
	parity("from", raw, lib, f.status == AM_FROM_OK ? f.domain : "(none)");
}

/* libopendmarc's whole evaluation, as opendmarc's filter drives it. */
static const char *lib_evaluate(const char *from, const char *record, const char *org, const char *spf,
				const char *const *dkim, const int *dkim_res, size_t ndkim)
{
	DMARC_POLICY_T *pctx = opendmarc_policy_connect_init((u_char *)"192.0.2.1", 0);
	int st = -1;
	opendmarc_policy_store_from_domain(pctx, (u_char *)from);
	if (record && opendmarc_policy_store_dmarc(pctx, (u_char *)record, (u_char *)from, (u_char *)org) ==
			      DMARC_PARSE_OKAY) {
		if (spf)
			opendmarc_policy_store_spf(pctx, (u_char *)spf, DMARC_POLICY_SPF_OUTCOME_PASS,
						   DMARC_POLICY_SPF_ORIGIN_MAILFROM, NULL);
		for (size_t i = 0; i < ndkim; i++)
			opendmarc_policy_store_dkim(pctx, (u_char *)dkim[i], (u_char *)"s", dkim_res[i], NULL);
		st = opendmarc_get_policy_to_enforce(pctx);
	}
	opendmarc_policy_connect_shutdown(pctx);
	return st == DMARC_POLICY_PASS ? "pass"
	       : st == DMARC_POLICY_REJECT || st == DMARC_POLICY_QUARANTINE || st == DMARC_POLICY_NONE ? "fail"
												       : "none";
}

/* Split "d:result ..." (DKIM) or "d:scope:result ..." (SPF, mfrom pass). */
static size_t split_auth(const struct tcase *c, char *buf, size_t len, const char **spf, const char **dkim,
			 int *res)
{
	char *save = NULL;
	size_t n = 0;
	*spf = NULL;
	snprintf(buf, len, "%s|%s", tcase_get(c, "spf"), tcase_get(c, "dkim"));
	char *bar = strchr(buf, '|');
	*bar = ' ';
	for (char *e = strtok_r(buf, " ", &save); e; e = strtok_r(NULL, " ", &save)) {
		char *s1 = strchr(e, ':');
		if (!s1)
			continue;
		*s1 = '\0';
		if (e < bar && strcmp(s1 + 1, "mfrom:pass") == 0)
			*spf = e;
		else if (e > bar && n < 8) {
			dkim[n] = e;
			res[n++] = strcmp(s1 + 1, "pass") == 0 ? DMARC_POLICY_DKIM_OUTCOME_PASS : DMARC_POLICY_DKIM_OUTCOME_FAIL;
		}
	}
	return n;
}

/* Our evaluation of the same inputs; permerror and none both mean no policy. */
static const char *our_evaluate(const struct am_dmarc_ctx *psl, struct am_dns *dns, const char *from,
				const char *spf, const char *const *dkim, const int *res, size_t n)
{
	char hdr[300];
	struct am_from f;
	struct am_spf_result s = { .checked = spf != NULL, .result = AM_RES_PASS };
	struct am_dkim_result k = { .checked = true, .count = n };
	snprintf(hdr, sizeof hdr, "x@%s", from);
	am_from_parse_one(hdr, &f);
	snprintf(s.domain, sizeof s.domain, "%s", spf ? spf : "");
	for (size_t i = 0; i < n; i++) {
		k.sigs[i].result = res[i] == DMARC_POLICY_DKIM_OUTCOME_PASS ? AM_RES_PASS : AM_RES_FAIL;
		snprintf(k.sigs[i].domain, sizeof k.sigs[i].domain, "%s", dkim[i]);
	}
	struct am_dmarc_input in = { .from = &f, .spf = &s, .dkim = &k };
	struct am_dmarc_result r;
	am_dmarc_check(psl, dns, NULL, &in, &r);
	return r.result == AM_RES_PASS ? "pass" : r.result == AM_RES_FAIL ? "fail" : "none";
}

/* The one DMARC TXT record at _dmarc.<domain> in a zone, or NULL. */
static const char *zone_record(struct am_dns *dns, const char *domain, char *out, size_t outlen)
{
	char name[300];
	struct am_dns_answer ans;
	const char *r = NULL;
	snprintf(name, sizeof name, "_dmarc.%s", domain);
	am_dns_query(dns, NULL, name, AM_RR_TXT, &ans);
	for (size_t i = 0; ans.status == AM_DNS_OK && i < ans.count && !r; i++)
		if (am_dns_txt(&ans.rr[i], out, outlen) == 0 && am_dmarc_is_record(out))
			r = out;
	am_dns_answer_free(&ans);
	return r;
}

/* identifier_alignment and validate (RFC 7489 cases) in both. */
static void run_eval(const struct am_dmarc_ctx *psl, struct am_dns *zone, const struct tcase *c)
{
	char buf[1024], rec[1024], org[256] = "", zbuf[512], err[128];
	const char *spf, *dkim[8], *from = tcase_get(c, "header_from"), *record, *orgp = NULL;
	int res[8];
	bool idal = strcmp(c->block, "identifier_alignment") == 0;
	struct am_dns *dns = zone;
	if (!idal && strcmp(tcase_get(c, "dmarcbis"), "true") == 0)
		return; /* RFC 9989 only: libopendmarc 1.4.2 does not apply */
	size_t n = split_auth(c, buf, sizeof buf, &spf, dkim, res);
	if (idal) { /* a relaxed p=reject record at the author domain */
		snprintf(zbuf, sizeof zbuf, "_dmarc.%s TXT v=DMARC1; p=reject\n", from);
		dns = am_dns_table_new(zbuf, err, sizeof err);
	}
	record = zone_record(dns, from, rec, sizeof rec);
	if (record == NULL && opendmarc_get_tld((u_char *)from, (u_char *)org, sizeof org) == 0 && strcmp(org, from))
		record = zone_record(dns, orgp = org, rec, sizeof rec);
	const char *lib = lib_evaluate(from, record, orgp, spf, dkim, res, n);
	const char *ours = our_evaluate(psl, dns, from, spf, dkim, res, n);
	parity(c->block, tcase_get(c, "n"), lib, ours);
	if (idal)
		am_dns_destroy(dns);
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
	OPENDMARC_LIB_T lib = { .tld_type = OPENDMARC_TLD_TYPE_MOZILLA };
	snprintf((char *)lib.tld_source_file, sizeof lib.tld_source_file, "%s", t.psl_file);
	ok(opendmarc_policy_library_init(&lib) == 0, "libopendmarc loads the pinned PSL");
	struct am_dmarc_settings sp = { .discovery = AM_DMARC_PSL, .psl_file = t.psl_file };
	struct am_dmarc_ctx *psl = am_dmarc_ctx_new(&sp, err, sizeof err);
	char *zone = tcases_zone(&t);
	struct am_dns *dns = zone ? am_dns_table_new(zone, err, sizeof err) : NULL;
	if (ok(psl && dns, "context and zone ready (%s)", psl && dns ? "ok" : err)) {
		for (size_t i = 0; i < t.n; i++) {
			const struct tcase *c = &t.c[i];
			if (strcmp(c->block, "record_parse") == 0)
				run_record(c);
			else if (strcmp(c->block, "alignment") == 0)
				run_align(psl, c);
			else if (strncmp(c->block, "from_domain_", 12) == 0)
				run_from(c);
			else if (strcmp(c->block, "identifier_alignment") == 0 || strcmp(c->block, "validate") == 0)
				run_eval(psl, dns, c);
		}
	}
	opendmarc_policy_library_shutdown(&lib);
	am_dns_destroy(dns);
	free(zone);
	am_dmarc_ctx_free(psl);
	tcases_free(&t);
	return done_testing();
}
