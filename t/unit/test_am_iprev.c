/*
 * test_am_iprev.c - forward-confirmed reverse DNS (RFC 8601 2.7.3) on the
 * table resolver: pass on the first or a later PTR name, fail, permerror
 * without a PTR record, temperror, the cap on PTR names followed, IPv6 and
 * IPv4-mapped clients, and the queries it costs.
 */
#include <stdio.h>
#include <string.h>

#include "am_iprev.h"
#include "tap.h"

static const char *const table =
	"1.2.0.192.in-addr.arpa PTR mail.good.example\n"
	"mail.good.example A 192.0.2.1\n"
	"2.2.0.192.in-addr.arpa PTR liar.example\n"
	"liar.example A 198.51.100.7\n"
	"3.2.0.192.in-addr.arpa PTR other.example\n"
	"3.2.0.192.in-addr.arpa PTR second.example\n"
	"other.example A 198.51.100.8\n"
	"second.example A 192.0.2.3\n"
	"5.2.0.192.in-addr.arpa TIMEOUT\n"
	"6.2.0.192.in-addr.arpa PTR slow.example\n"
	"slow.example TIMEOUT\n"
	"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa PTR v6.example\n"
	"v6.example AAAA 2001:db8::1\n";

/* Run the check for text address and return the result's name. */
static struct am_iprev_result check(struct am_dns *dns, const char *addr, unsigned *queries)
{
	struct am_iprev_result r;
	struct am_dns_budget b;
	struct am_ip ip;

	am_dns_budget_start(&b, 0);
	if (am_ip_parse(addr, &ip) != 0)
		memset(&ip, 0, sizeof(ip));
	am_iprev_check(dns, &b, &ip, &r);
	if (queries)
		*queries = b.queries;
	return r;
}

/* A table whose client publishes more PTR names than the cap. */
static void test_cap(void)
{
	char text[8192] = "";
	char err[256];
	size_t len = 0;
	unsigned queries;

	for (int i = 0; i < 30; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"9.2.0.192.in-addr.arpa PTR n%d.example\nn%d.example A 198.51.100.1\n", i, i);
	struct am_dns *dns = am_dns_table_new(text, err, sizeof(err));
	struct am_iprev_result r = check(dns, "192.0.2.9", &queries);
	is_int(r.result, AM_RES_FAIL, "30 PTR names, none confirms: fail");
	is_int(queries, 1 + AM_IPREV_MAX_NAMES, "only the first AM_IPREV_MAX_NAMES names are followed");
	am_dns_destroy(dns);
}

int main(void)
{
	char err[256], name[128];
	struct am_dns *dns = am_dns_table_new(table, err, sizeof(err));
	struct am_iprev_result r;
	struct am_ip ip;
	unsigned queries;

	ok(dns != NULL, "table resolver: %s", dns ? "ok" : err);
	r = check(dns, "192.0.2.1", &queries);
	is_int(r.result, AM_RES_PASS, "PTR name resolves back: pass");
	is_str(r.name, "mail.good.example", "the verified name");
	is_str(r.address, "192.0.2.1", "policy.iprev address");
	is_int(queries, 2, "one PTR and one A query");
	r = check(dns, "192.0.2.2", NULL);
	is_int(r.result, AM_RES_FAIL, "PTR name with another address: fail");
	is_str(r.name, "", "no name on fail");
	r = check(dns, "192.0.2.3", NULL);
	is_int(r.result, AM_RES_PASS, "second PTR name confirms: pass");
	is_str(r.name, "second.example", "the name that confirmed");
	r = check(dns, "192.0.2.4", NULL);
	is_int(r.result, AM_RES_PERMERROR, "no PTR record: permerror");
	r = check(dns, "192.0.2.5", NULL);
	is_int(r.result, AM_RES_TEMPERROR, "PTR look-up times out: temperror");
	r = check(dns, "192.0.2.6", NULL);
	is_int(r.result, AM_RES_TEMPERROR, "forward look-up times out: temperror");
	r = check(dns, "2001:db8::1", NULL);
	is_int(r.result, AM_RES_PASS, "IPv6: nibble PTR name and AAAA");
	is_str(r.name, "v6.example", "IPv6 verified name");
	r = check(dns, "::ffff:192.0.2.1", NULL);
	is_int(r.result, AM_RES_PASS, "IPv4-mapped IPv6 is checked as IPv4");
	is_str(r.address, "192.0.2.1", "IPv4-mapped: the IPv4 address reported");
	am_ip_parse("2001:db8::1", &ip);
	am_iprev_ptr_name(&ip, name, sizeof(name));
	is_str(name, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "ip6.arpa name");
	test_cap();
	am_dns_destroy(dns);
	return done_testing();
}
