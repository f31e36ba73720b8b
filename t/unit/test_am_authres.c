/*
 * test_am_authres.c - the Authentication-Results writer (syntax, quoting
 * of wire values, folding) and forged-header recognition.
 */
#include <string.h>

#include "am_authres.h"
#include "am_header.h"
#include "tap.h"

static void test_quoting(void)
{
	static const struct { const char *in, *want; } cases[] = {
		{"example.com", "example.com"},
		{"user@example.com", "user@example.com"},
		{"a b", "\"a b\""},
		{"evil;\r\nX-Injected: yes", "\"evil;X-Injected: yes\""},
		{"q\"uote", "\"q\\\"uote\""},
		{"back\\slash", "\"back\\\\slash\""},
		{"", "\"\""},
		{"a@b@c", "\"a@b@c\""},
		{"semi;colon", "\"semi;colon\""},
		{"caf\xc3\xa9.example", "\"caf.example\""},
		{"(comment)", "\"(comment)\""},
	};
	char out[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		am_authres_value(cases[i].in, out, sizeof(out));
		is_str(out, cases[i].want, cases[i].want);
	}
}

static void test_build(void)
{
	struct am_results r = {0};
	char out[AM_AUTHRES_MAX];

	r.spf_mailfrom = (struct am_spf_result){.checked = true, .result = AM_RES_PASS};
	strcpy(r.spf_mailfrom.domain, "sender.example");
	r.spf_helo = (struct am_spf_result){.checked = true, .result = AM_RES_NONE};
	strcpy(r.spf_helo.domain, "mail.sender.example");
	ok(am_authres_build(&r, "mx.example.org", out, sizeof(out)) == 0, "builds");
	is_str(out, "mx.example.org;\n\tspf=pass smtp.mailfrom=sender.example;\n\tspf=none smtp.helo=mail.sender.example",
	       "one spf entry per identity, folded with LF TAB");

	strcpy(r.spf_helo.domain, "bad\r\nhelo; dkim=pass");
	am_authres_build(&r, "mx.example.org", out, sizeof(out));
	ok(strstr(out, "smtp.helo=\"badhelo; dkim=pass\"") != NULL, "wire HELO quoted, CR LF dropped");

	struct am_results none = {0};
	am_authres_build(&none, "mx.example.org", out, sizeof(out));
	is_str(out, "mx.example.org; none", "no method: none");
	ok(am_authres_build(&r, "mx.example.org", out, 20) == -1, "overflow reported");

	struct am_results long_values = {0};
	long_values.dkim.checked = true;
	long_values.dkim.count = 1;
	struct am_dkim_sig *s = &long_values.dkim.sigs[0];
	s->result = AM_RES_PASS;
	memset(s->domain, 'd', sizeof(s->domain) - 1);
	memset(s->identity, 'i', sizeof(s->identity) - 1);
	strcpy(s->selector, "sel");
	ok(am_authres_build(&long_values, "mx.example.org", out, sizeof(out)) == 0, "long values fit");
	size_t longest = 0;
	for (char *line = out, *nl; line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		longest = len > longest ? len : longest;
	}
	ok(longest < 998, "no line over 998 characters (longest %zu)", longest);
}

static void test_claims(void)
{
	static const struct { const char *value; int want; } cases[] = {
		{" mx.example.org; spf=pass smtp.mailfrom=a.example", 1},
		{"MX.Example.ORG; dkim=pass", 1},
		{"mx.example.org 1; spf=pass", 1},
		{" (forged) mx.example.org; spf=pass", 1},
		{"\r\n\tmx.example.org;\r\n\tspf=pass", 1},
		{"mx.example.org.; spf=pass", 1},
		{"\"mx.example.org\"; spf=pass", 1},
		{"mx.example.org(c); none", 1},
		{"other.example.org; spf=pass", 0},
		{"mx.example.org.evil.example; spf=pass", 0},
		{"x-mx.example.org; spf=pass", 0},
		{"", 0},
		{"; spf=pass", 0},
		{"(unterminated comment mx.example.org", 0},
	};
	char name[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		am_header_sanitize(cases[i].value, name, sizeof(name));
		is_int(am_authres_claims(cases[i].value, "mx.example.org"), cases[i].want, name);
	}
}

int main(void)
{
	test_quoting();
	test_build();
	test_claims();
	return done_testing();
}
