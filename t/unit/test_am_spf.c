/*
 * test_am_spf.c - SPF evaluations (am_spf.c, am_spf_dns.c) through the
 * table-driven resolver: every result, the identities (HELO, MAIL FROM,
 * null sender), the RFC 7208 limits (DNS terms across includes, void
 * look-ups, MX names), timeouts and budgets, exp= text, prefix length 0,
 * and one checker shared by several threads.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "am_spf.h"
#include "tap.h"

static const char *const zone =
	"pass.example TXT v=spf1 ip4:192.0.2.1 -all\n"
	"pass.example TXT google-site-verification=abc\n"
	"fail.example TXT v=spf1 -all exp=exp.fail.example\n"
	"exp.fail.example TXT %{i} is not one of %{d}'s designated mail servers.\n"
	"soft.example TXT v=spf1 ~all\n"
	"neutral.example TXT v=spf1 ?all\n"
	"empty.example TXT v=spf1\n"
	"nospf.example TXT some other text\n"
	"nospf.example A 192.0.2.9\n"
	"timeout.example TIMEOUT\n"
	"servfail.example SERVFAIL\n"
	"inc-timeout.example TXT v=spf1 include:timeout.example -all\n"
	"inc-none.example TXT v=spf1 include:nospf.example -all\n"
	"inc-fail.example TXT v=spf1 include:fail.example ~all\n"
	"bad.example TXT v=spf1 ip4:192.0.2.1 moo -all\n"
	"badinc.example TXT v=spf1 include:bad.example +all\n"
	"two.example TXT v=spf1 -all\n"
	"two.example TXT V=SPF1 +all\n"
	"void3.example TXT v=spf1 a:nx1.example a:nx2.example a:nx3.example ?all\n"
	"void2.example TXT v=spf1 a:nx1.example a:nx2.example ?all\n"
	"mx.example TXT v=spf1 mx -all\n"
	"mx.example MX 10 mx1.mx.example\n"
	"mx.example MX 20 mx2.mx.example\n"
	"mx1.mx.example A 198.51.100.1\n"
	"mx2.mx.example A 192.0.2.1\n"
	"mxmany.example TXT v=spf1 mx -all\n"
	"limit.example TXT v=spf1 a include:inc.limit.example a a -all\n"
	"limit.example A 198.51.100.7\n"
	"inc.limit.example TXT v=spf1 a a a a a a a a\n"
	"inc.limit.example A 198.51.100.8\n"
	"atlimit.example TXT v=spf1 a include:inc.limit.example ip4:192.0.2.1 -all\n"
	"atlimit.example A 198.51.100.7\n"
	"ptr.example TXT v=spf1 ptr -all\n"
	"1.2.0.192.in-addr.arpa PTR host.ptr.example\n"
	"host.ptr.example A 192.0.2.1\n"
	"mail.helo.example TXT v=spf1 a -all\n"
	"mail.helo.example A 192.0.2.1\n"
	"v6.example TXT v=spf1 ip6:2001:db8::/32 -all\n"
	"cidr0.example TXT v=spf1 a/0 -all\n"
	"cidr0.example A 203.0.113.5\n"
	"mxcidr0.example TXT v=spf1 mx//0 -all\n"
	"mxcidr0.example MX 0 mx1.mx.example\n"
	"mx1.mx.example AAAA 2001:db8:ffff::1\n"
	"pcount.example TXT v=spf1 a a a a a a a a a exists:%{p}.x.example -all\n"
	"pcount.example A 198.51.100.7\n"
	"redir.example TXT v=spf1 redirect=pass.example\n"
	"redir-first.example TXT v=spf1 redirect=fail.example ip4:192.0.2.1\n";

static struct am_spf *spf;

/* One MAIL FROM check from client ip; returns the result. */
static struct am_spf_result check(const char *ip, const char *helo, const char *from,
				  unsigned *queries)
{
	struct am_spf_result r;
	struct am_dns_budget b;
	struct am_ip addr;

	am_ip_parse(ip, &addr);
	am_dns_budget_start(&b, 5000);
	am_spf_check_mailfrom(spf, &b, &addr, helo, from, &r);
	if (queries != NULL)
		*queries = b.queries;
	return r;
}

/* Expect result want for one check; show the reason on failure. */
static void expect(const char *ip, const char *from, enum am_result want, const char *name)
{
	struct am_spf_result r = check(ip, "helo.example", from, NULL);
	if (!ok(r.checked && r.result == want, "%s: %s", name, am_result_name(want)))
		diag("got %s (%s)", am_result_name(r.result), r.reason);
}

static void test_results(void)
{
	expect("192.0.2.1", "a@pass.example", AM_RES_PASS, "ip4 match among other TXT records");
	expect("192.0.2.2", "a@pass.example", AM_RES_FAIL, "no match, -all");
	expect("192.0.2.2", "a@soft.example", AM_RES_SOFTFAIL, "~all");
	expect("192.0.2.2", "a@neutral.example", AM_RES_NEUTRAL, "?all");
	expect("192.0.2.2", "a@empty.example", AM_RES_NEUTRAL, "empty record");
	expect("192.0.2.2", "a@nospf.example", AM_RES_NONE, "no SPF record");
	expect("192.0.2.2", "a@nowhere.example", AM_RES_NONE, "NXDOMAIN");
	expect("192.0.2.2", "a@timeout.example", AM_RES_TEMPERROR, "timeout");
	expect("192.0.2.2", "a@servfail.example", AM_RES_TEMPERROR, "SERVFAIL");
	expect("192.0.2.2", "a@inc-timeout.example", AM_RES_TEMPERROR, "include times out");
	expect("192.0.2.2", "a@inc-none.example", AM_RES_PERMERROR, "include without record");
	expect("192.0.2.2", "a@inc-fail.example", AM_RES_SOFTFAIL, "include fail does not match");
	expect("192.0.2.1", "a@bad.example", AM_RES_PERMERROR, "syntax error after the match");
	expect("192.0.2.1", "a@badinc.example", AM_RES_PERMERROR, "syntax error in an include");
	expect("192.0.2.1", "a@two.example", AM_RES_PERMERROR, "two SPF records");
	expect("192.0.2.1", "a@mx.example", AM_RES_PASS, "second MX host");
	expect("192.0.2.1", "a@ptr.example", AM_RES_PASS, "validated PTR");
	expect("192.0.2.5", "a@ptr.example", AM_RES_FAIL, "PTR look-up NXDOMAIN: no match");
	expect("2001:db8::1", "a@v6.example", AM_RES_PASS, "IPv6 client");
	expect("::ffff:192.0.2.1", "a@pass.example", AM_RES_PASS, "IPv4-mapped client is IPv4");
	expect("127.0.0.1", "a@pass.example", AM_RES_FAIL, "no free pass for loopback");
	expect("192.0.2.77", "a@cidr0.example", AM_RES_PASS, "a/0 matches any A record");
	expect("2001:db8::77", "a@cidr0.example", AM_RES_FAIL, "a/0 is no /0 for IPv6");
	expect("2001:db8::77", "a@mxcidr0.example", AM_RES_PASS, "mx//0 matches any AAAA of an MX");
	expect("192.0.2.77", "a@mxcidr0.example", AM_RES_FAIL, "mx//0 keeps /32 for IPv4");
	expect("192.0.2.1", "a@redir.example", AM_RES_PASS, "redirect");
	expect("192.0.2.1", "a@redir-first.example", AM_RES_PASS, "redirect runs after mechanisms");
	expect("192.0.2.1", "a@[192.0.2.1]", AM_RES_NONE, "domain literal sender");
	expect("192.0.2.1", "<a@pass.example>", AM_RES_PASS, "angle brackets");
}

static void test_limits(void)
{
	struct am_spf_result r;

	r = check("192.0.2.2", "h.example", "a@void3.example", NULL);
	ok(r.result == AM_RES_PERMERROR && strstr(r.reason, "void") != NULL,
	   "3 void look-ups: permerror (%s)", r.reason);
	r = check("192.0.2.2", "h.example", "a@void2.example", NULL);
	ok(r.result == AM_RES_NEUTRAL, "2 void look-ups: still evaluated (%s)", am_result_name(r.result));
	r = check("192.0.2.1", "h.example", "a@limit.example", NULL);
	ok(r.result == AM_RES_PERMERROR && strstr(r.reason, "10 DNS") != NULL,
	   "11 DNS terms across an include: permerror (%s)", r.reason);
	r = check("192.0.2.1", "h.example", "a@atlimit.example", NULL);
	ok(r.result == AM_RES_PASS, "10 DNS terms: pass (%s)", r.reason);
	r = check("192.0.2.1", "h.example", "a@pcount.example", NULL);
	ok(r.result == AM_RES_PERMERROR, "9 a + exists + the PTR query of %%{p}: permerror (%s)",
	   r.reason);
	r = check("192.0.2.1", "h.example", "a@mxmany.example", NULL);
	ok(r.result == AM_RES_PERMERROR && strstr(r.reason, "MX") != NULL,
	   "11 MX records: permerror (%s)", r.reason);
	r = check("192.0.2.1", "h.example", "a@bad.example", NULL);
	ok(strstr(r.reason, "moo") != NULL, "syntax reason names the term (%s)", r.reason);
	r = check("192.0.2.1", "h.example", "a@timeout.example", NULL);
	ok(strstr(r.reason, "timeout") != NULL, "timeout reason (%s)", r.reason);
}

static void test_identities(void)
{
	struct am_spf_result r;
	struct am_dns_budget b;
	struct am_ip addr;

	am_ip_parse("192.0.2.1", &addr);
	am_dns_budget_start(&b, 5000);
	am_spf_check_helo(spf, &b, &addr, "mail.helo.example", &r);
	ok(r.result == AM_RES_PASS && !strcmp(r.domain, "mail.helo.example"), "HELO identity: pass");
	am_spf_check_helo(spf, &b, &addr, "localhost", &r);
	ok(r.checked && r.result == AM_RES_NONE, "HELO not a FQDN: none");
	am_spf_check_helo(spf, &b, &addr, "[192.0.2.1]", &r);
	ok(r.result == AM_RES_NONE, "HELO domain literal: none");
	am_spf_check_helo(spf, &b, &addr, NULL, &r);
	ok(r.result == AM_RES_NONE, "no HELO: none");
	r = check("192.0.2.1", "mail.helo.example", "", NULL);
	ok(r.result == AM_RES_PASS && !strcmp(r.domain, "mail.helo.example"),
	   "null sender: postmaster@HELO (%s, %s)", am_result_name(r.result), r.domain);
	r = check("192.0.2.2", "mail.helo.example", "<>", NULL);
	ok(r.result == AM_RES_FAIL, "null sender <>: checked on HELO");
	r = check("192.0.2.1", "h.example", "a@A123456789012345678901234567890123456789012345678901234567890123.example", NULL);
	ok(r.result == AM_RES_NONE, "label over 63 bytes: none");
	am_spf_check_mailfrom(spf, &b, NULL, "h.example", "a@pass.example", &r);
	ok(r.result == AM_RES_TEMPERROR, "no client address: temperror, not a crash");
}

static void test_explanation(void)
{
	struct am_spf_result r;
	unsigned queries;

	r = check("192.0.2.99", "h.example", "a@fail.example", &queries);
	is_str(r.explanation, "192.0.2.99 is not one of fail.example's designated mail servers.",
	       "exp= text, expanded");
	is_int(queries, 2, "the record, then the exp= text once");
	r = check("192.0.2.1", "h.example", "a@pass.example", &queries);
	ok(r.explanation[0] == '\0', "no explanation on pass");
	r = check("192.0.2.2", "h.example", "a@inc-fail.example", &queries);
	ok(r.result == AM_RES_SOFTFAIL && r.explanation[0] == '\0', "no explanation on softfail");
	r = check("192.0.2.2", "h.example", "a@pass.example", NULL);
	ok(r.result == AM_RES_FAIL && r.explanation[0] == '\0', "fail without exp=: empty");
}

static void test_budget(void)
{
	struct am_spf_result r;
	struct am_dns_budget b;
	struct am_ip addr;

	am_ip_parse("192.0.2.1", &addr);
	am_dns_budget_start(&b, 1);
	usleep(5000);
	am_spf_check_mailfrom(spf, &b, &addr, "h.example", "a@pass.example", &r);
	ok(r.result == AM_RES_TEMPERROR, "spent budget: temperror (%s)", r.reason);
	ok(b.timeouts > 0, "the budget counts it");
}

/* Several threads share one checker: each evaluation keeps its own state. */
static void *worker(void *arg)
{
	long bad = 0;
	(void)arg;
	for (int i = 0; i < 200; i++) {
		struct am_spf_result r = check("192.0.2.1", "h.example",
					       i % 2 ? "a@limit.example" : "a@mx.example", NULL);
		bad += r.result != (i % 2 ? AM_RES_PERMERROR : AM_RES_PASS);
	}
	return (void *)bad;
}

static void test_threads(void)
{
	pthread_t t[4];
	long bad = 0;

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(t[i], &r);
		bad += (long)r;
	}
	is_int(bad, 0, "4 threads x 200 evaluations on one checker");
}

int main(void)
{
	char err[256], big[8192];
	struct am_dns *dns;

	/* eleven MX names for mxmany.example */
	snprintf(big, sizeof(big), "%s", zone);
	for (int i = 0; i < 11; i++)
		snprintf(big + strlen(big), sizeof(big) - strlen(big),
			 "mxmany.example MX %d mx%d.mxmany.example\n", i, i);
	dns = am_dns_table_new(big, err, sizeof(err));
	if (!ok(dns != NULL, "table resolver: %s", dns ? "built" : err))
		return done_testing();
	spf = am_spf_new(dns, "receiver.example", err, sizeof(err));
	if (!ok(spf != NULL, "checker: %s", spf ? "built" : err))
		return done_testing();
	ok(am_spf_new(NULL, NULL, err, sizeof(err)) == NULL && err[0], "no resolver: error '%s'", err);
	test_results();
	test_limits();
	test_identities();
	test_explanation();
	test_budget();
	test_threads();
	am_spf_free(spf);
	am_dns_destroy(dns);
	return done_testing();
}
