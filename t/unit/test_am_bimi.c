/*
 * test_am_bimi.c - BIMI (lib/am_bimi*.c) from tables: the record parser
 * (well-formed, declination and malformed records), the BIMI-Selector
 * parser, the eligibility rules on DMARC results, look-ups with fallback on
 * the table-driven resolver, the selector choice under DKIM, the
 * BIMI-Location value and the bimi= AR entry. Then the Mail::BIMI cases of
 * $AM_SHARED/conformance/bimi/mail-bimi (record validation, look-ups on its
 * zonefile, results), converted from YAML by t/bimi_yaml2tab.py with
 * Debian's /usr/bin/python3; skipped with a reason when absent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "am_authres.h"
#include "am_bimi.h"
#include "am_header.h"
#include "am_psl.h"
#include "tap.h"

#define LONG_URI "https://example.com/" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.svg"

/* expect: 0 valid, 1 declination, -1 refused with err containing why. */
static const struct rcase {
	const char *txt;
	int expect;
	const char *loc, *auth, *why;
} rcases[] = {
	{"v=BIMI1; l=https://example.com/logo.svg", 0, "https://example.com/logo.svg", "", NULL},
	{"v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem", 0,
	 "https://example.com/logo.svg", "https://example.com/vmc.pem", NULL},
	{"v=bimi1;l=https://e.example/x.svg;", 0, "https://e.example/x.svg", "", NULL},
	{"  v = BIMI1 ; l =  https://e.example/x.svg ; a = ; ", 0, "https://e.example/x.svg", "", NULL},
	{"v=BIMI1; L=HTTPS://E.EXAMPLE/X.SVG", 0, "HTTPS://E.EXAMPLE/X.SVG", "", NULL},
	{"v=BIMI1; l=https://e.example/x.svg; a=self", 0, "https://e.example/x.svg", "", NULL},
	{"v=BIMI1; l=https://e.example/x.svg; x=future; y=", 0, "https://e.example/x.svg", "", NULL},
	{"v=BIMI1; l=https://e.example:8443/a/b.svg?x=1&y=%20#f", 0,
	 "https://e.example:8443/a/b.svg?x=1&y=%20#f", "", NULL},
	{"v=BIMI1; l=; a=", 1, "", "", NULL},
	{"v=BIMI1; l=; a=;", 1, "", "", NULL},
	{"v=BIMI1; a=; l=", 1, "", "", NULL},
	{"v=BIMI1; l=", -1, NULL, NULL, "empty l="},
	{"v=BIMI1; l=; a=https://e.example/v.pem", -1, NULL, NULL, "empty l="},
	{"v=BIMI1", -1, NULL, NULL, "missing l="},
	{"v=BIMI1; a=https://e.example/v.pem", -1, NULL, NULL, "missing l="},
	{"l=https://e.example/x.svg; v=BIMI1", -1, NULL, NULL, "not the first"},
	{"l=https://e.example/x.svg", -1, NULL, NULL, "missing v="},
	{"v=BIMI2; l=https://e.example/x.svg", -1, NULL, NULL, "invalid v="},
	{"v=BIMI1x; l=https://e.example/x.svg", -1, NULL, NULL, "invalid v="},
	{"v=; l=https://e.example/x.svg", -1, NULL, NULL, "empty v="},
	{"v=BIMI1; v=BIMI1; l=https://e.example/x.svg", -1, NULL, NULL, "duplicate v="},
	{"v=BIMI1; l=https://e.example/x.svg; L=https://e.example/y.svg", -1, NULL, NULL, "duplicate l="},
	{"v=BIMI1; l=http://e.example/x.svg", -1, NULL, NULL, "not an https"},
	{"v=BIMI1; l=ftp://e.example/x.svg", -1, NULL, NULL, "not an https"},
	{"v=BIMI1; l=e.example/x.svg", -1, NULL, NULL, "not an https"},
	{"v=BIMI1; l=https:///x.svg", -1, NULL, NULL, "no host"},
	{"v=BIMI1; l=https://e.example/x y.svg", -1, NULL, NULL, "bad character"},
	{"v=BIMI1; l=https://e.example/\"x\".svg", -1, NULL, NULL, "bad character"},
	{"v=BIMI1; l=https://e.example/x.svg; a=http://e.example/v.pem", -1, NULL, NULL, "a= is not an https"},
	{"v=BIMI1; l=" LONG_URI, -1, NULL, NULL, "too long"},
	{"v=BIMI1;; l=https://e.example/x.svg", -1, NULL, NULL, "empty tag"},
	{"v=BIMI1; l https://e.example/x.svg", -1, NULL, NULL, "without '='"},
	{"v=BIMI1; l=https://e.example/x.svg; a", -1, NULL, NULL, "without '='"},
	{"v=BIMI1; 1l=https://e.example/x.svg", -1, NULL, NULL, "bad tag name"},
	{"", -1, NULL, NULL, "empty record"},
	{" ; ", -1, NULL, NULL, "empty record"},
};

static void test_record_parser(void)
{
	for (size_t i = 0; i < sizeof(rcases) / sizeof(rcases[0]); i++) {
		const struct rcase *c = &rcases[i];
		struct am_bimi_record rec;
		char err[128] = "";
		int r = am_bimi_record_parse(c->txt, &rec, err, sizeof(err));
		if (c->expect < 0) {
			ok(r == -1 && strstr(err, c->why) != NULL, "record %zu '%.50s' refused: %s", i, c->txt, err);
			continue;
		}
		ok(r == 0 && rec.declined == (c->expect == 1), "record %zu '%.50s' %s", i, c->txt,
		   c->expect ? "is a declination" : "is valid");
		if (c->expect == 0) {
			is_str(rec.location, c->loc, "  its l=");
			is_str(rec.authority, c->auth, "  its a=");
		}
	}
	ok(am_bimi_record_is_bimi("v=BIMI1; l=https://e.example/x.svg"), "is_bimi: v=BIMI1 first");
	ok(am_bimi_record_is_bimi(" V = bimi1 ;"), "is_bimi: blanks and case");
	ok(am_bimi_record_is_bimi("v=BIMI1"), "is_bimi: v=BIMI1 alone");
	ok(!am_bimi_record_is_bimi("v=spf1 -all"), "is_bimi: an SPF record is not");
	ok(!am_bimi_record_is_bimi("v=BIMI10; l=x"), "is_bimi: v=BIMI10 is not");
	ok(!am_bimi_record_is_bimi("l=x; v=BIMI1"), "is_bimi: v= not first is not");
}

static void test_selector_parser(void)
{
	static const struct { const char *v, *want; } cs[] = {
		{" v=BIMI1; s=brand;", "brand"},     {"V=BIMI1; s=TestSel;", "testsel"},
		{"v=BIMI1;\r\n\ts=brand", "brand"},  {"v=BIMI1; s=sub.brand-2_x", "sub.brand-2_x"},
		{"s=brand", NULL},                   {"v=BIMI1;", NULL},
		{"v=BIMI1; s=", NULL},               {"v=BIMI1; s=bad selector", NULL},
		{"v=BIMI1; s=a..b", NULL},           {"v=BIMI1; s=.a", NULL},
		{"v=BIMI2; s=brand", NULL},          {"v=BIMI1; s=x; s=y", NULL},
		{"v=BIMI1; s=a/b", NULL},            {"", NULL},
	};
	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		char sel[AM_BIMI_SELECTOR_MAX], err[96] = "", shown[64];
		int r = am_bimi_selector_parse(cs[i].v, sel, sizeof(sel), err, sizeof(err));
		am_header_sanitize(cs[i].v, shown, sizeof(shown));
		if (cs[i].want)
			ok(r == 0 && strcmp(sel, cs[i].want) == 0, "BIMI-Selector '%s' -> '%s' (%s)", shown, sel, err);
		else
			ok(r == -1, "BIMI-Selector '%s' refused: %s", shown, err);
	}
}

/* Short names for the case tables: discovery modes and policies. */
enum { P = AM_DMARC_PSL, W = AM_DMARC_TREEWALK };
enum { N = AM_DMARC_P_NONE, Q = AM_DMARC_P_QUARANTINE, R = AM_DMARC_P_REJECT, U = AM_DMARC_P_UNSPEC };

/* A DMARC pass under p=reject for example.com. */
static struct am_dmarc_result dmarc_pass(const char *from)
{
	struct am_dmarc_result d = {.checked = true, .result = AM_RES_PASS, .from_status = AM_FROM_OK,
				    .p = AM_DMARC_P_REJECT, .policy = AM_DMARC_P_REJECT, .pct = 100,
				    .adkim = 'r', .aspf = 'r', .policy_tag = "p"};
	snprintf(d.header_from, sizeof(d.header_from), "%s", from);
	snprintf(d.policy_domain, sizeof(d.policy_domain), "example.com");
	snprintf(d.org_domain, sizeof(d.org_domain), "example.com");
	return d;
}

static void test_eligibility(void)
{
	static const struct ecase {
		const char *what, *from, *poldom;
		int mode, checked, res, from_status, p, sp, policy, pct, testing, psd;
		const char *why;   /* NULL: eligible */
	} cs[] = {
		{"pass, p=reject", "example.com", "example.com", P, 1, AM_RES_PASS, 0, R, U, R, 100, 0, 0, NULL},
		{"pass, p=quarantine", "example.com", "example.com", P, 1, AM_RES_PASS, 0, Q, U, Q, 100, 0, 0, NULL},
		{"no DMARC", "example.com", "example.com", P, 0, AM_RES_PASS, 0, R, U, R, 100, 0, 0, "no DMARC"},
		{"DMARC fail", "example.com", "example.com", P, 1, AM_RES_FAIL, 0, R, U, R, 100, 0, 0, "did not pass"},
		{"DMARC none", "example.com", "", P, 1, AM_RES_NONE, 0, U, U, U, 100, 0, 0, "did not pass"},
		{"DMARC temperror", "example.com", "", P, 1, AM_RES_TEMPERROR, 0, U, U, U, 100, 0, 0, "did not pass"},
		{"p=none", "example.com", "example.com", P, 1, AM_RES_PASS, 0, N, U, N, 100, 0, 0, "p=none"},
		{"subdomain, sp=reject", "a.example.com", "example.com", P, 1, AM_RES_PASS, 0, R, R, R, 100, 0, 0, NULL},
		{"subdomain, sp unset, p=quarantine", "a.example.com", "example.com", P, 1, AM_RES_PASS, 0, Q, U, Q, 100,
		 0, 0, NULL},
		{"subdomain, sp=none", "a.example.com", "example.com", P, 1, AM_RES_PASS, 0, R, N, N, 100, 0, 0, "sp=none"},
		{"subdomain, sp=none (policy p on pass)", "a.example.com", "example.com", P, 1, AM_RES_PASS, 0, R, N, R, 100,
		 0, 0, "sp=none"},
		{"subdomain, p=none sp=reject", "a.example.com", "example.com", P, 1, AM_RES_PASS, 0, N, R, R, 100, 0, 0,
		 "p=none"},
		{"subdomain with its own p=reject", "a.example.com", "a.example.com", P, 1, AM_RES_PASS, 0, R, N, R, 100,
		 0, 0, NULL},
		{"psl, pct=50", "example.com", "example.com", P, 1, AM_RES_PASS, 0, R, U, R, 50, 0, 0, "pct=50"},
		{"psl, pct=0", "example.com", "example.com", P, 1, AM_RES_PASS, 0, Q, U, Q, 0, 0, 0, "pct=0"},
		{"treewalk ignores pct", "example.com", "example.com", W, 1, AM_RES_PASS, 0, R, U, R, 50, 0, 0, NULL},
		{"treewalk, t=y", "example.com", "example.com", W, 1, AM_RES_PASS, 0, R, U, R, 100, 1, 0, "t=y"},
		{"psl mode has no t=", "example.com", "example.com", P, 1, AM_RES_PASS, 0, R, U, R, 100, 1, 0, NULL},
		{"PSD policy", "a.example.com", "example.com", W, 1, AM_RES_PASS, 0, R, U, R, 100, 0, 1, "psd=y"},
		{"several From domains", "example.com", "example.com", P, 1, AM_RES_PASS, AM_FROM_MULTIPLE_DOMAINS, R, U, R,
		 100, 0, 0, "From"},
	};
	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		const struct ecase *c = &cs[i];
		struct am_dmarc_result d = dmarc_pass(c->from);
		char why[128] = "";
		d.checked = c->checked;
		d.result = (enum am_result)c->res;
		d.from_status = (enum am_from_status)c->from_status;
		d.p = (enum am_dmarc_policy)c->p;
		d.sp = (enum am_dmarc_policy)c->sp;
		d.policy = (enum am_dmarc_policy)c->policy;
		snprintf(d.policy_tag, sizeof(d.policy_tag), "%s", strcmp(c->from, c->poldom) ? "sp" : "p");
		snprintf(d.policy_domain, sizeof(d.policy_domain), "%s", c->poldom);
		d.pct = c->pct;
		d.testing = c->testing;
		d.psd = c->psd;
		bool e = am_bimi_eligible(&d, (enum am_dmarc_discovery)c->mode, why, sizeof(why));
		if (c->why == NULL)
			ok(e, "eligible: %s", c->what);
		else
			ok(!e && strstr(why, c->why) != NULL, "not eligible: %s (%s)", c->what, why);
	}
}

static const char zone[] =
	"default._bimi.example.com TXT v=BIMI1; l=https://example.com/logo.svg\n"
	"brand._bimi.example.com TXT \"v=BIMI1; l=https://example.com/brand.svg; \" \"a=https://example.com/vmc.pem\"\n"
	"default._bimi.example.com TXT v=spf1 -all\n"
	"sub.example.com A 192.0.2.1\n"
	"default._bimi.own.example.com TXT v=BIMI1; l=https://own.example.com/own.svg\n"
	"default._bimi.declined.example TXT v=BIMI1; l=; a=\n"
	"default._bimi.bad.example TXT v=BIMI1; l=http://bad.example/x.svg\n"
	"default._bimi.two.example TXT v=BIMI1; l=https://two.example/1.svg\n"
	"default._bimi.two.example TXT v=BIMI1; l=https://two.example/2.svg\n"
	"default._bimi.slow.example TIMEOUT\n"
	"default._bimi.broken.example SERVFAIL\n"
	"default._bimi.alias.example CNAME target.alias.example\n"
	"target.alias.example TXT v=BIMI1; l=https://alias.example/a.svg\n"
	"default._bimi.other.example TXT v=spf1 -all\n";

static void test_lookup(struct am_dns *dns)
{
	static const struct lcase {
		const char *what, *domain, *org, *sel;
		bool evidence;
		enum am_bimi_outcome want;
		const char *d, *loc;
		unsigned queries;
	} cs[] = {
		{"at the author domain", "example.com", "example.com", "default", 0, AM_BIMI_PASS, "example.com",
		 "https://example.com/logo.svg", 1},
		{"fallback to the org domain", "sub.example.com", "example.com", "default", 0, AM_BIMI_PASS,
		 "example.com", "https://example.com/logo.svg", 2},
		{"own record of a subdomain", "own.example.com", "example.com", "default", 0, AM_BIMI_PASS,
		 "own.example.com", "https://own.example.com/own.svg", 1},
		{"selector, split TXT strings", "example.com", "example.com", "brand", 1, AM_BIMI_PASS, "example.com",
		 "https://example.com/brand.svg", 1},
		{"no record anywhere", "sub.example.com", "example.com", "nosuch", 0, AM_BIMI_NONE, "", "", 2},
		{"only a non-BIMI TXT", "other.example", NULL, "default", 0, AM_BIMI_NONE, "", "", 1},
		{"declination", "declined.example", "declined.example", "default", 0, AM_BIMI_DECLINED,
		 "declined.example", "", 1},
		{"bad record", "bad.example", NULL, "default", 0, AM_BIMI_FAIL, "bad.example", "", 1},
		{"two records", "two.example", "", "default", 0, AM_BIMI_FAIL, "two.example", "", 1},
		{"timeout", "slow.example", NULL, "default", 0, AM_BIMI_TEMPERROR, "slow.example", "", 1},
		{"servfail", "broken.example", NULL, "default", 0, AM_BIMI_TEMPERROR, "broken.example", "", 1},
		{"CNAME to the record", "alias.example", NULL, "default", 0, AM_BIMI_PASS, "alias.example",
		 "https://alias.example/a.svg", 1},
		{"require_evidence, no a=", "example.com", NULL, "default", 1, AM_BIMI_SKIPPED, "example.com", "", 1},
	};
	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		const struct lcase *c = &cs[i];
		struct am_bimi_result r = {0};
		am_bimi_lookup(dns, NULL, c->domain, c->org, c->sel, c->evidence, &r);
		ok(r.result == c->want && strcmp(r.domain, c->d) == 0 && r.dns_queries == c->queries &&
			   (c->want != AM_BIMI_PASS || strcmp(r.location, c->loc) == 0),
		   "lookup %s: bimi=%s d=%s l=%s queries=%u (%s)", c->what, am_bimi_outcome_name(r.result), r.domain,
		   r.location, r.dns_queries, r.reason);
	}
}

/* One message through am_bimi_check: From example.com (or from), DKIM
 * signature d=sigd with h=hlist passing or not, a BIMI-Selector value. */
static struct am_bimi_result check_msg(const struct am_dmarc_ctx *ctx, struct am_dns *dns, const char *from,
				       const char *sigd, const char *hlist, enum am_result sigres,
				       const char *selhdr, unsigned nsel, char adkim)
{
	struct am_dmarc_result d = dmarc_pass(from);
	struct am_dkim_result dk = {.checked = true};
	struct am_bimi_result r;
	struct am_bimi_input in = {.dmarc = &d, .dkim = &dk, .selector_header = selhdr, .selector_headers = nsel};

	d.adkim = adkim;
	if (sigd) {
		dk.count = 1;
		dk.sigs[0].result = sigres;
		snprintf(dk.sigs[0].domain, sizeof(dk.sigs[0].domain), "%s", sigd);
		snprintf(dk.sigs[0].signed_headers, sizeof(dk.sigs[0].signed_headers), "%s", hlist);
	}
	am_bimi_check(ctx, dns, NULL, &in, &r);
	return r;
}

static void test_selector_choice(const struct am_dmarc_ctx *ctx, struct am_dns *dns)
{
	const char *hs = " v=BIMI1; s=brand;", *h = "from:to:subject:bimi-selector";
	struct am_bimi_result r;

	r = check_msg(ctx, dns, "example.com", "example.com", h, AM_RES_PASS, hs, 1, 'r');
	ok(r.result == AM_BIMI_PASS && strcmp(r.selector, "brand") == 0 && r.selector_signed,
	   "signed BIMI-Selector honoured: s=%s l=%s (%s)", r.selector, r.location, r.reason);
	r = check_msg(ctx, dns, "sub.example.com", "example.com", h, AM_RES_PASS, hs, 1, 'r');
	ok(strcmp(r.selector, "brand") == 0, "relaxed: org-domain signature covers a subdomain's selector");
	r = check_msg(ctx, dns, "sub.example.com", "example.com", h, AM_RES_PASS, hs, 1, 's');
	ok(strcmp(r.selector, "default") == 0 && r.result == AM_BIMI_PASS, "strict adkim: not aligned -> default");
	r = check_msg(ctx, dns, "example.com", "example.com", "from:to:subject", AM_RES_PASS, hs, 1, 'r');
	ok(strcmp(r.selector, "default") == 0 && !r.selector_signed, "BIMI-Selector not in h= -> default");
	r = check_msg(ctx, dns, "example.com", "example.org", h, AM_RES_PASS, hs, 1, 'r');
	ok(strcmp(r.selector, "default") == 0, "third-party signature -> default");
	r = check_msg(ctx, dns, "example.com", "example.com", h, AM_RES_FAIL, hs, 1, 'r');
	ok(strcmp(r.selector, "default") == 0, "failing signature -> default");
	r = check_msg(ctx, dns, "example.com", NULL, NULL, AM_RES_NONE, hs, 1, 'r');
	ok(strcmp(r.selector, "default") == 0, "unsigned message -> default");
	r = check_msg(ctx, dns, "example.com", "example.com", h, AM_RES_PASS, hs, 2, 'r');
	ok(strcmp(r.selector, "default") == 0, "two BIMI-Selector headers -> default");
	r = check_msg(ctx, dns, "example.com", "example.com", h, AM_RES_PASS, " v=BIMI1; s=bad sel", 1, 'r');
	ok(strcmp(r.selector, "default") == 0, "unparseable BIMI-Selector -> default");
	r = check_msg(ctx, dns, "example.com", "example.com", "From : BIMI-Selector", AM_RES_PASS, hs, 1, 'r');
	ok(strcmp(r.selector, "brand") == 0, "h= entries compared without case and blanks");
	r = check_msg(NULL, dns, "example.com", NULL, NULL, AM_RES_NONE, NULL, 0, 'r');
	ok(r.checked && r.result == AM_BIMI_SKIPPED, "no DMARC context: skipped (%s)", r.reason);
}

/* The organisational domain's own record: the pure rule. */
static void test_org_enforcing(void)
{
	static const struct ocase {
		const char *what;
		int present, mode, p, sp, pct;
		char t;
		const char *why;   /* NULL: enforcing */
	} cs[] = {
		{"p=reject", 1, P, R, U, -1, 0, NULL},
		{"p=quarantine", 1, P, Q, U, -1, 0, NULL},
		{"p=reject sp=quarantine", 1, P, R, Q, 100, 0, NULL},
		{"no record", 0, P, U, U, -1, 0, "publishes no DMARC record"},
		{"p=none", 1, P, N, U, -1, 0, "p=none"},
		{"p unset", 1, W, U, U, -1, 0, "p=unset"},
		{"sp=none", 1, P, R, N, -1, 0, "sp=none"},
		{"psl, pct=50", 1, P, Q, U, 50, 0, "pct=50"},
		{"treewalk ignores pct", 1, W, Q, U, 50, 0, NULL},
		{"treewalk, t=y", 1, W, R, U, -1, 'y', "t=y"},
		{"psl mode has no t=", 1, P, R, U, -1, 'y', NULL},
	};
	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		const struct ocase *c = &cs[i];
		struct am_dmarc_record rec = {.p = (enum am_dmarc_policy)c->p, .sp = (enum am_dmarc_policy)c->sp,
					      .pct = c->pct, .t = c->t};
		char why[128] = "";
		bool e = am_bimi_org_enforcing(c->present ? &rec : NULL, "example.com",
					       (enum am_dmarc_discovery)c->mode, why, sizeof(why));
		if (c->why == NULL)
			ok(e, "organisational domain enforces: %s", c->what);
		else
			ok(!e && strstr(why, c->why) != NULL && strstr(why, "example.com") != NULL,
			   "organisational domain does not enforce: %s (%s)", c->what, why);
	}
}

/* The organisational-domain check inside am_bimi_check, on its own zone:
 * news.X.example publishes its own p=reject, X.example is the org domain. */
static void test_org_domain_check(void)
{
	static const char z[] =
		"_dmarc.enforce.example TXT v=DMARC1; p=reject\n"
		"_dmarc.lax.example TXT v=DMARC1; p=none; rua=mailto:d@lax.example\n"
		"_dmarc.slow.example TIMEOUT\n"
		"default._bimi.news.enforce.example TXT v=BIMI1; l=https://enforce.example/l.svg\n"
		"default._bimi.news.lax.example TXT v=BIMI1; l=https://lax.example/l.svg\n"
		"default._bimi.news.bare.example TXT v=BIMI1; l=https://bare.example/l.svg\n"
		"default._bimi.news.slow.example TXT v=BIMI1; l=https://slow.example/l.svg\n"
		"_dmarc.brand.example TXT v=DMARC1; p=quarantine\n"
		"default._bimi.brand.example TXT v=BIMI1; l=https://brand.example/org.svg\n";
	static const struct kcase {
		const char *what, *org, *poldom;
		bool rule, blank_org;   /* blank_org: DMARC left org_domain empty */
		enum am_bimi_outcome want;
		unsigned queries;
		const char *why;
	} cs[] = {
		{"org domain at enforcement", "enforce.example", NULL, true, false, AM_BIMI_PASS, 2, ""},
		{"org domain p=none", "lax.example", NULL, true, false, AM_BIMI_SKIPPED, 1, "lax.example DMARC policy not"},
		{"org domain without a record", "bare.example", NULL, true, false, AM_BIMI_SKIPPED, 1, "no DMARC record"},
		{"org domain record times out", "slow.example", NULL, true, false, AM_BIMI_TEMPERROR, 1, "timeout"},
		{"rule off: the author's record alone", "lax.example", NULL, false, false, AM_BIMI_PASS, 1, ""},
		{"record found at the org domain: no second look-up", "lax.example", "lax.example", true, false,
		 AM_BIMI_PASS, 1, ""},
		/* the tree walk news.lax.example, lax.example, example finds it */
		{"org domain worked out here (p=none)", "lax.example", NULL, true, true, AM_BIMI_SKIPPED, 4,
		 "lax.example DMARC policy not"},
		{"org domain worked out here (enforcing)", "enforce.example", NULL, true, true, AM_BIMI_PASS, 5, ""},
		/* news.brand.example has no BIMI record: the org domain's is used */
		{"org domain worked out here, its BIMI record found", "brand.example", NULL, true, true, AM_BIMI_PASS,
		 6, ""},
		{"rule off, org domain worked out here, its BIMI record found", "brand.example", NULL, false, true,
		 AM_BIMI_PASS, 5, ""},
	};
	char err[256];
	struct am_dns *dns = am_dns_table_new(z, err, sizeof(err));
	struct am_dmarc_ctx *ctx = am_dmarc_ctx_new(&(struct am_dmarc_settings){.discovery = AM_DMARC_TREEWALK},
						    err, sizeof(err));

	if (!ok(dns != NULL && ctx != NULL, "organisational-domain zone and context (%s)", err))
		goto out;
	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		const struct kcase *c = &cs[i];
		char from[96];
		snprintf(from, sizeof(from), "news.%s", c->org);
		struct am_dmarc_result d = dmarc_pass(from);
		struct am_dkim_result dk = {.checked = true};
		struct am_bimi_input in = {.dmarc = &d, .dkim = &dk, .org_enforcement = c->rule};
		struct am_bimi_result r;
		snprintf(d.org_domain, sizeof(d.org_domain), "%s", c->blank_org ? "" : c->org);
		snprintf(d.policy_domain, sizeof(d.policy_domain), "%s", c->poldom ? c->poldom : from);
		am_bimi_check(ctx, dns, NULL, &in, &r);
		ok(r.result == c->want && r.dns_queries == c->queries && strstr(r.reason, c->why) != NULL &&
			   (r.result != AM_BIMI_PASS || strcmp(r.domain, strcmp(c->org, "brand.example") ? from : c->org) == 0),
		   "%s: bimi=%s header.d=%s after %u queries (%s)", c->what, am_bimi_outcome_name(r.result), r.domain,
		   r.dns_queries, r.reason);
	}
out:
	am_dmarc_ctx_free(ctx);
	am_dns_destroy(dns);
}

static void test_output(void)
{
	struct am_bimi_result r = {.checked = true, .result = AM_BIMI_PASS, .domain = "example.com",
				   .selector = "default", .location = "https://e.example/x.svg"};
	struct am_results res = {0};
	char v[AM_BIMI_LOCATION_MAX], ar[AM_AUTHRES_MAX];

	ok(am_bimi_location_header(&r, v, sizeof(v)) == 0 && strcmp(v, "v=BIMI1; l=https://e.example/x.svg") == 0,
	   "BIMI-Location without a=: '%s'", v);
	snprintf(r.authority, sizeof(r.authority), "https://e.example/v.pem");
	ok(am_bimi_location_header(&r, v, sizeof(v)) == 0 &&
		   strcmp(v, "v=BIMI1; l=https://e.example/x.svg; a=https://e.example/v.pem") == 0,
	   "BIMI-Location with a=: '%s'", v);
	snprintf(r.location, sizeof(r.location), "https://example.com/a/rather/long/path/to/the/indicator/logo.svg");
	ok(am_bimi_location_header(&r, v, sizeof(v)) == 0 &&
		   strcmp(v, "v=BIMI1;\n\tl=https://example.com/a/rather/long/path/to/the/indicator/logo.svg;\n"
			     "\ta=https://e.example/v.pem") == 0,
	   "long BIMI-Location folded one tag a line");
	ok(am_bimi_location_header(&r, v, 20) == -1, "too small a buffer refused");
	r.result = AM_BIMI_DECLINED;
	ok(am_bimi_location_header(&r, v, sizeof(v)) == -1, "no BIMI-Location unless pass");

	res.bimi = r;
	res.bimi.result = AM_BIMI_PASS;
	ok(am_authres_build(&res, "mx.example", ar, sizeof(ar)) == 0 &&
		   strstr(ar, "bimi=pass header.d=example.com header.selector=default policy.authority=none"),
	   "AR: bimi=pass header.d header.selector policy.authority=none");
	res.bimi.result = AM_BIMI_SKIPPED;
	snprintf(res.bimi.reason, sizeof(res.bimi.reason), "DMARC (policy) did not pass\\");
	ok(am_authres_build(&res, "mx.example", ar, sizeof(ar)) == 0 &&
		   strstr(ar, "bimi=skipped (DMARC policy did not pass)") && !strstr(ar, "header.selector"),
	   "AR: bimi=skipped with its reason as a clean comment");
	res.bimi.checked = false;
	ok(am_authres_build(&res, "mx.example", ar, sizeof(ar)) == 0 && !strstr(ar, "bimi="),
	   "AR: no bimi= entry when BIMI did not run");
}

/* --- the Mail::BIMI cases ($AM_SHARED/conformance/bimi/mail-bimi) --- */

/* One converted line: the block name and its key=value fields. */
struct ccase {
	const char *block;
	size_t n;
	const char *key[16], *val[16];
};

/* Value of field k, "" when absent. */
static const char *fv(const struct ccase *c, const char *k)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->key[i], k) == 0)
			return c->val[i];
	return "";
}

/* What each Mail::BIMI error code means in our reasons. */
static const char *error_text(const char *code)
{
	static const struct { const char *code, *text; } map[] = {
		{"DUPLICATE_KEY", "duplicate"},        {"MISSING_V_TAG", "missing v="},
		{"EMPTY_V_TAG", "empty v="},           {"INVALID_V_TAG", "invalid v="},
		{"MISSING_L_TAG", "missing l="},       {"EMPTY_L_TAG", "empty l="},
		{"INVALID_TRANSPORT_L", "l= is not an https"},
		{"INVALID_TRANSPORT_A", "a= is not an https"},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].code, code) == 0)
			return map[i].text;
	return "";
}

static void conf_record(const struct ccase *c)
{
	struct am_bimi_record rec;
	char err[128] = "";
	bool valid = am_bimi_record_parse(fv(c, "txt"), &rec, err, sizeof(err)) == 0;
	bool want = strcmp(fv(c, "valid"), "1") == 0;

	ok(valid == want && (valid || strstr(err, error_text(fv(c, "error"))) != NULL),
	   "mail-bimi record '%s': %s (%s)", fv(c, "txt"), valid ? "valid" : "invalid", err);
}

static void conf_authority(const struct ccase *c)
{
	struct am_bimi_record rec;
	char txt[600], err[128] = "";
	snprintf(txt, sizeof(txt), "v=BIMI1; l=https://example.com/x.svg; a=%s", fv(c, "a"));
	bool valid = am_bimi_record_parse(txt, &rec, err, sizeof(err)) == 0;
	bool want = strcmp(fv(c, "valid"), "1") == 0, relevant = strcmp(fv(c, "relevant"), "1") == 0;

	ok(valid == want && (!valid || (rec.authority[0] != '\0') == relevant),
	   "mail-bimi authority a='%s': %s%s (%s)", fv(c, "a"), valid ? "valid" : "invalid",
	   valid && !relevant ? ", no evidence" : "", err);
}

static void conf_lookup(const struct am_dmarc_ctx *ctx, const char *zone, const struct ccase *c)
{
	char *table, org[AM_DOMAIN_MAX] = "", err[256] = "", hdr[AM_BIMI_LOCATION_MAX] = "";
	const char *dom = fv(c, "domain"), *fail = fv(c, "dns_failure"), *want;
	struct am_bimi_result r = {0};
	struct am_dns *dns;
	bool good = true;

	if (strcmp(fv(c, "strict_spf"), "1") == 0) {
		printf("ok %d # SKIP mail-bimi %s: the SPF +all refusal (strict_spf) is not implemented\n", ++tap_run,
		       fv(c, "test"));
		return;
	}
	if ((table = malloc(strlen(zone) + strlen(fail) + 16)) == NULL)
		return;
	sprintf(table, "%s\n%s%s\n", zone, fail, *fail ? " SERVFAIL" : "");
	dns = am_dns_table_new(table, err, sizeof(err));
	free(table);
	if (!ok(dns != NULL && am_dmarc_org_domain(ctx, dns, NULL, dom, org, sizeof(org), NULL, err, sizeof(err)) == 0,
		"mail-bimi %s: zonefile and org domain (%s)", fv(c, "test"), err)) {
		am_dns_destroy(dns);
		return;
	}
	struct am_dmarc_result d = dmarc_pass(dom);
	snprintf(d.org_domain, sizeof(d.org_domain), "%s", org);
	snprintf(d.policy_domain, sizeof(d.policy_domain), "%s", org);
	good = am_bimi_eligible(&d, AM_DMARC_PSL, err, sizeof(err));
	am_bimi_lookup(dns, NULL, dom, org, fv(c, "selector"), false, &r);
	am_bimi_location_header(&r, hdr, sizeof(hdr));
	if (*(want = fv(c, "result")))
		good = good && strcmp(am_bimi_outcome_name(r.result), want) == 0;
	good = good && (!*(want = fv(c, "d")) || strcmp(r.domain, want) == 0);
	good = good && (!*(want = fv(c, "sel")) || strcmp(r.selector, want) == 0);
	good = good && (!*(want = fv(c, "retrieved_d")) || strcmp(r.domain, want) == 0);
	good = good && (!*(want = fv(c, "retrieved_sel")) || strcmp(r.selector, want) == 0);
	good = good && (!*(want = fv(c, "location")) || strcmp(r.location, want) == 0);
	good = good && (!*(want = fv(c, "header")) || strcmp(hdr, want) == 0);
	ok(good, "mail-bimi %s %s/%s: bimi=%s header.d=%s header.selector=%s (%s)", fv(c, "test"), dom,
	   fv(c, "selector"), am_bimi_outcome_name(r.result), r.domain, r.selector, r.reason);
	am_dns_destroy(dns);
}

static void conf_result(const struct ccase *c)
{
	const char *dm = fv(c, "dmarc"), *want;
	struct am_dmarc_result d = dmarc_pass(fv(c, "domain"));
	struct am_bimi_result r = {0};
	char why[128] = "";

	d.checked = strcmp(dm, "null") != 0;
	d.result = strcmp(dm, "pass") == 0 ? AM_RES_PASS : AM_RES_FAIL;
	snprintf(d.policy_domain, sizeof(d.policy_domain), "%s", fv(c, "domain"));
	if (!am_bimi_eligible(&d, AM_DMARC_PSL, why, sizeof(why))) {
		r.result = AM_BIMI_SKIPPED;
	} else {
		snprintf(r.domain, sizeof(r.domain), "%s", fv(c, "domain"));
		snprintf(r.selector, sizeof(r.selector), "%s", fv(c, "selector"));
		am_bimi_apply_record(fv(c, "record"), false, &r);
	}
	ok(strcmp(am_bimi_outcome_name(r.result), fv(c, "result")) == 0 &&
		   (!*(want = fv(c, "d")) || strcmp(r.domain, want) == 0),
	   "mail-bimi %s dmarc=%s '%s': bimi=%s (%s%s)", fv(c, "test"), dm, fv(c, "record"),
	   am_bimi_outcome_name(r.result), why, r.reason);
}

/* Split a converter line in place and run its case. */
static void conf_line(const struct am_dmarc_ctx *ctx, const char *zone, char *line)
{
	struct ccase c = {0};
	char *save = NULL;

	c.block = strtok_r(line, "\t", &save);
	for (char *f = strtok_r(NULL, "\t", &save); f && c.n < 16; f = strtok_r(NULL, "\t", &save)) {
		char *eq = strchr(f, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		c.key[c.n] = f;
		c.val[c.n++] = eq + 1;
	}
	if (c.block == NULL)
		return;
	if (strcmp(c.block, "record") == 0)
		conf_record(&c);
	else if (strcmp(c.block, "authority") == 0)
		conf_authority(&c);
	else if (strcmp(c.block, "lookup") == 0)
		conf_lookup(ctx, zone, &c);
	else if (strcmp(c.block, "result") == 0)
		conf_result(&c);
}

/* The whole file, NUL-terminated, or NULL. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	do {
		if (len + 4097 > cap) {
			char *grown = realloc(buf, cap = len + 8192);
			if (grown == NULL)
				break;
			buf = grown;
		}
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n > 0);
	fclose(f);
	if (buf)
		buf[len] = '\0';
	return buf;
}

static void run_conformance(const struct am_dmarc_ctx *ctx, const char *shared)
{
	const char *src = getenv("top_srcdir");
	char yml[4096], zf[4096], cmd[9000], line[4096];
	char *zone;
	size_t n = 0;

	snprintf(yml, sizeof(yml), "%s/conformance/bimi/mail-bimi/cases.yml", shared);
	snprintf(zf, sizeof(zf), "%s/conformance/bimi/mail-bimi/zonefile", shared);
	if (access(yml, R_OK) != 0 || access("/usr/bin/python3", X_OK) != 0 || ctx == NULL) {
		printf("ok %d # SKIP mail-bimi conformance: %s\n", ++tap_run,
		       ctx == NULL ? "no public suffix list" : access(yml, R_OK) ? yml : "/usr/bin/python3 missing");
		return;
	}
	if (!ok((zone = slurp(zf)) != NULL, "mail-bimi zonefile read"))
		return;
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 '%s/t/bimi_yaml2tab.py' '%s'", src ? src : ".", yml);
	FILE *p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		conf_line(ctx, zone, line);
		n++;
	}
	int st = p ? pclose(p) : -1;
	free(zone);
	if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 77) {
		printf("ok %d # SKIP mail-bimi conformance: python3-yaml not installed\n", ++tap_run);
		return;
	}
	ok(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0 && n >= 31, "mail-bimi: converter ran, %zu cases", n);
}

int main(void)
{
	const char *shared = getenv("AM_SHARED");
	char psl[4096], err[256];
	struct am_dns *dns = am_dns_table_new(zone, err, sizeof(err));
	struct am_dmarc_ctx *ctx = NULL;

	test_record_parser();
	test_selector_parser();
	test_eligibility();
	test_org_enforcing();
	test_org_domain_check();
	if (!ok(dns != NULL, "zone table loads (%s)", dns ? "" : err))
		return done_testing() | 1;
	test_lookup(dns);
	snprintf(psl, sizeof(psl), "%s/conformance/psl/public_suffix_list.dat", shared ? shared : "../shared");
	if (access(psl, R_OK) != 0)
		snprintf(psl, sizeof(psl), "%s", AM_PSL_DEFAULT_FILE);
	ctx = am_dmarc_ctx_new(&(struct am_dmarc_settings){.discovery = AM_DMARC_PSL, .psl_file = psl}, err,
			       sizeof(err));
	if (ctx == NULL)
		printf("ok %d # SKIP selector choice: no public suffix list (%s)\n", ++tap_run, err);
	else
		test_selector_choice(ctx, dns);
	test_output();
	run_conformance(ctx, shared ? shared : "../shared");
	am_dmarc_ctx_free(ctx);
	am_dns_destroy(dns);
	return done_testing();
}
