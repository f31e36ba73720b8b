/*
 * test_am_path.c - the MAIL FROM path: the MTA's {mail_addr} preferred,
 * angle brackets and source routes dropped, and one mailbox told from
 * everything else (blanks, several addresses, no '@', bad domains), the
 * same way whichever form it arrives in.
 */
#include <string.h>

#include "am_path.h"
#include "tap.h"

int main(void)
{
	static const struct {
		const char *arg, *macro;
		enum am_path_kind want;
		const char *out;
	} cases[] = {
		{"<a@b.example>", NULL, AM_PATH_MAILBOX, "a@b.example"},
		{"a@b.example", NULL, AM_PATH_MAILBOX, "a@b.example"},
		{"<>", NULL, AM_PATH_NULL, ""},
		{"<>", "", AM_PATH_NULL, ""},
		{"<a@ b.example>", NULL, AM_PATH_BAD, "a@ b.example"},
		{"<a@ b.example>", "a@b.example", AM_PATH_MAILBOX, "a@b.example"},
		{"<a@x.example, b@y.example>", NULL, AM_PATH_BAD, "a@x.example, b@y.example"},
		{"<a@x.example, b@y.example>", "a@x.example, b@y.example", AM_PATH_BAD, "a@x.example, b@y.example"},
		{"<a@x.example,b@y.example>", NULL, AM_PATH_BAD, "a@x.example,b@y.example"},
		{"<a@x.example, b@y.example>", "a@x.example", AM_PATH_MAILBOX, "a@x.example"},
		{"<a b@c.example>", NULL, AM_PATH_BAD, "a b@c.example"},
		{"<\"a b\"@c.example>", NULL, AM_PATH_MAILBOX, "\"a b\"@c.example"},
		{"<\"a@b\"@c.example>", NULL, AM_PATH_MAILBOX, "\"a@b\"@c.example"},
		{"<user>", NULL, AM_PATH_BAD, "user"},
		{"<@b.example>", NULL, AM_PATH_BAD, "@b.example"},
		{"<a@>", NULL, AM_PATH_BAD, "a@"},
		{"<a@b@c.example>", NULL, AM_PATH_BAD, "a@b@c.example"},
		{"<@relay.example,@r2.example:a@b.example>", NULL, AM_PATH_MAILBOX, "a@b.example"},
		{"<a@[192.0.2.1]>", NULL, AM_PATH_MAILBOX, "a@[192.0.2.1]"},
		{"<j\xc3\xb6rg@b\xc3\xbc.example>", NULL, AM_PATH_MAILBOX, "j\xc3\xb6rg@b\xc3\xbc.example"},
		{"<a@b.example;x>", NULL, AM_PATH_BAD, "a@b.example;x"},
		{"<a.@b.example>", NULL, AM_PATH_MAILBOX, "a.@b.example"},   /* seen in the wild; SPF judges the domain */
	};
	char out[512], name[600];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum am_path_kind k = am_path_parse(cases[i].arg, cases[i].macro, out, sizeof(out));
		snprintf(name, sizeof(name), "%s%s%s", cases[i].arg, cases[i].macro ? " {mail_addr}=" : "",
			 cases[i].macro ? cases[i].macro : "");
		is_int(k, cases[i].want, name);
		is_str(out, cases[i].out, "  its text");
	}
	is_int(am_path_parse(NULL, NULL, out, sizeof(out)), AM_PATH_NULL, "no argument: null sender");
	is_int(am_path_parse("<a@bbbbbbbbbb.example>", NULL, out, 8), AM_PATH_BAD,
	       "too long to keep whole: not judged a mailbox of a cut domain");
	return done_testing();
}
