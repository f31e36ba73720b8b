/*
 * test_am_dns.c - the resolver-independent DNS layer: RDATA decoding, the
 * table resolver (statuses, CNAME, TXT strings), budgets, and the
 * libunbound resolver's per-query deadline against a UDP socket that never
 * answers.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "am_dns.h"
#include "tap.h"

static const char *const table =
	"# test zone\n"
	"a.example A 192.0.2.1\n"
	"a.example A 192.0.2.2\n"
	"a.example AAAA 2001:db8::1\n"
	"a.example MX 10 mx.a.example.\n"
	"a.example TXT \"v=spf1 \" \"-all\"\n"
	"long.example TXT plain text without quotes\n"
	"alias.example CNAME a.example\n"
	"1.2.0.192.in-addr.arpa PTR a.example\n"
	"slow.example TIMEOUT\n"
	"broken.example SERVFAIL\n";

static void test_table(struct am_dns *dns)
{
	struct am_dns_answer ans;
	char text[512];
	unsigned pref;

	am_dns_query(dns, NULL, "a.example", AM_RR_A, &ans);
	ok(ans.status == AM_DNS_OK && ans.count == 2, "two A records");
	ok(am_dns_addr(&ans.rr[1], AM_RR_A, text, sizeof(text)) == 0 && !strcmp(text, "192.0.2.2"), "A decodes");
	am_dns_answer_free(&ans);
	am_dns_query(dns, NULL, "A.EXAMPLE.", AM_RR_AAAA, &ans);
	ok(ans.status == AM_DNS_OK && am_dns_addr(&ans.rr[0], AM_RR_AAAA, text, sizeof(text)) == 0 &&
	   !strcmp(text, "2001:db8::1"), "AAAA, case-insensitive name with final dot");
	am_dns_answer_free(&ans);
	am_dns_query(dns, NULL, "a.example", AM_RR_MX, &ans);
	ok(ans.status == AM_DNS_OK && am_dns_mx(&ans.rr[0], &pref, text, sizeof(text)) == 0 && pref == 10 &&
	   !strcmp(text, "mx.a.example"), "MX decodes");
	am_dns_answer_free(&ans);
	am_dns_query(dns, NULL, "a.example", AM_RR_TXT, &ans);
	ok(ans.status == AM_DNS_OK && am_dns_txt(&ans.rr[0], text, sizeof(text)) == 0 &&
	   !strcmp(text, "v=spf1 -all"), "TXT strings are concatenated");
	am_dns_answer_free(&ans);
	am_dns_query(dns, NULL, "alias.example", AM_RR_A, &ans);
	ok(ans.status == AM_DNS_OK && ans.count == 2, "CNAME followed");
	am_dns_answer_free(&ans);
	am_dns_query(dns, NULL, "1.2.0.192.in-addr.arpa", AM_RR_PTR, &ans);
	ok(ans.status == AM_DNS_OK && am_dns_name(&ans.rr[0], text, sizeof(text)) == 0 &&
	   !strcmp(text, "a.example"), "PTR decodes");
	am_dns_answer_free(&ans);
	am_dns_query(dns, NULL, "a.example", AM_RR_PTR, &ans);
	is_int(ans.status, AM_DNS_NODATA, "existing name, other type: NODATA");
	am_dns_query(dns, NULL, "nowhere.example", AM_RR_A, &ans);
	is_int(ans.status, AM_DNS_NXDOMAIN, "unknown name: NXDOMAIN");
	am_dns_query(dns, NULL, "slow.example", AM_RR_TXT, &ans);
	ok(ans.status == AM_DNS_TIMEOUT && am_dns_is_temporary(ans.status), "TIMEOUT is temporary");
	am_dns_query(dns, NULL, "broken.example", AM_RR_TXT, &ans);
	ok(ans.status == AM_DNS_SERVFAIL && am_dns_is_temporary(ans.status), "SERVFAIL is temporary");
}

static void test_budget(struct am_dns *dns)
{
	struct am_dns_budget b;
	struct am_dns_answer ans;

	am_dns_budget_start(&b, 0);
	am_dns_query(dns, &b, "a.example", AM_RR_A, &ans);
	am_dns_answer_free(&ans);
	is_int(b.queries, 1, "queries counted");
	am_dns_budget_start(&b, 1000);
	b.deadline_ms = am_dns_now_ms() - 1;
	am_dns_query(dns, &b, "a.example", AM_RR_A, &ans);
	ok(ans.status == AM_DNS_BUDGET && b.queries == 0 && b.timeouts == 1, "spent budget: no query made");
}

static void test_rdata_errors(void)
{
	unsigned char bad_txt[] = {5, 'a', 'b'};
	unsigned char nul_txt[] = {2, 'a', 0};
	unsigned char loop_name[] = {3, 'a', 'b'};
	struct am_dns_rdata r1 = {bad_txt, sizeof(bad_txt)}, r2 = {nul_txt, sizeof(nul_txt)},
			    r3 = {loop_name, sizeof(loop_name)};
	char out[64];

	ok(am_dns_txt(&r1, out, sizeof(out)) == -1, "truncated TXT refused");
	ok(am_dns_txt(&r2, out, sizeof(out)) == -1, "TXT with NUL refused");
	ok(am_dns_name(&r3, out, sizeof(out)) == -1, "truncated name refused");
	ok(am_dns_table_new("x.example BOGUS 1\n", out, sizeof(out)) == NULL, "bad table type refused");
}

/* libunbound against a silent UDP server: the query must end near its deadline. */
static void test_unbound_timeout(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);
	char ns[64], err[256];
	struct am_dns *dns;
	struct am_dns_answer ans;
	int64_t t0;

	bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	getsockname(fd, (struct sockaddr *)&sin, &len);
	snprintf(ns, sizeof(ns), "127.0.0.1@%u", ntohs(sin.sin_port));
	dns = am_dns_unbound_new(ns, NULL, 300, err, sizeof(err));
	if (!ok(dns != NULL, "libunbound resolver created")) {
		diag("%s", err);
		close(fd);
		return;
	}
	for (int i = 0; i < 3; i++) {
		t0 = am_dns_now_ms();
		am_dns_query(dns, NULL, "silent.example", AM_RR_TXT, &ans);
		long took = (long)(am_dns_now_ms() - t0);
		ok(ans.status == AM_DNS_TIMEOUT && took >= 250 && took < 2000,
		   "silent server: timeout after %ld ms (deadline 300)", took);
	}
	am_dns_destroy(dns);
	close(fd);
	ok(am_dns_unbound_new("not-an-address", NULL, 300, err, sizeof(err)) == NULL, "bad nameserver refused");
}

int main(void)
{
	char err[256];
	struct am_dns *dns = am_dns_table_new(table, err, sizeof(err));

	if (!ok(dns != NULL, "table parses"))
		diag("%s", err);
	else {
		test_table(dns);
		test_budget(dns);
		am_dns_destroy(dns);
	}
	test_rdata_errors();
	test_unbound_timeout();
	return done_testing();
}
