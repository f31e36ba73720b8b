/*
 * test_am_addr.c - address and CIDR parsing and matching.
 */
#include <string.h>

#include "am_addr.h"
#include "tap.h"

/* Does text (a list) contain ip? */
static int in_list(const char *list, const char *ip)
{
	struct am_cidr_list l = {0};
	struct am_ip a;
	char err[128];
	int found;

	if (am_cidr_list_parse(list, &l, err, sizeof(err)) != 0 || am_ip_parse(ip, &a) != 0) {
		am_cidr_list_free(&l);
		return -1;
	}
	found = am_cidr_list_match(&l, &a) != NULL;
	am_cidr_list_free(&l);
	return found;
}

int main(void)
{
	static const struct { const char *list, *ip; int want; } cases[] = {
		{"192.0.2.0/24", "192.0.2.77", 1},
		{"192.0.2.0/24", "192.0.3.1", 0},
		{"192.0.2.1", "192.0.2.1", 1},
		{"192.0.2.1", "192.0.2.2", 0},
		{"0.0.0.0/0", "203.0.113.9", 1},
		{"10.0.0.0/8, 2001:db8::/32", "2001:db8:1::1", 1},
		{"2001:db8::/32", "2001:db9::1", 0},
		{"192.0.2.0/25", "192.0.2.200", 0},
		{"192.0.2.128/25", "192.0.2.200", 1},
		{"127.0.0.0/8", "::ffff:127.0.0.1", 1},
		{"::1", "::1", 1},
		{"198.51.100.0/22", "198.51.103.255", 1},
		{"198.51.100.0/22", "198.51.104.0", 0},
		{"192.0.2.0/24", "[192.0.2.5]", 1},
		{"2001:db8::/32", "IPv6:2001:db8::5", 1},
	};
	static const char *const bad[] = {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x",
					  "300.1.1.1", "example.com", "10.0.0.0/-1", "/24"};
	struct am_cidr c;
	struct am_ip ip;
	char err[128], text[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(in_list(cases[i].list, cases[i].ip), cases[i].want, cases[i].ip);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(am_cidr_parse(bad[i], &c, err, sizeof(err)) == -1 && strstr(err, bad[i]) != NULL,
		   "rejects '%s' naming it", bad[i]);
	ok(am_ip_parse("2001:DB8:0::1", &ip) == 0, "IPv6 parses");
	am_ip_format(&ip, text, sizeof(text));
	is_str(text, "2001:db8::1", "IPv6 formats canonically");
	ok(am_cidr_parse("192.0.2.77/24", &c, err, sizeof(err)) == 0 && c.ip.addr[3] == 0,
	   "host bits are masked off");
	return done_testing();
}
