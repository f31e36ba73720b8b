/*
 * test_am_from.c - RFC5322.From parsing (lib/am_from.c): hand-made cases
 * for every well-formed and malformed kind, several headers, domain
 * normalisation, and a seeded random-input run for robustness (meant for
 * the ASan/UBSan build).
 */
#include <stdlib.h>
#include <string.h>

#include "am_from.h"
#include "tap.h"

struct from_case {
	const char *value;
	enum am_from_status want;
	const char *domain; /* expected author domain when OK */
	const char *what;
};

static const struct from_case cases[] = {
	{"user@example.com", AM_FROM_OK, "example.com", "bare addr-spec"},
	{"User Name <user@example.com>", AM_FROM_OK, "example.com", "display name"},
	{"\"Doe, John\" <john@example.com>", AM_FROM_OK, "example.com", "quoted display name with comma"},
	{"john@example.com (John Doe)", AM_FROM_OK, "example.com", "trailing comment"},
	{"(comment (nested)) <a@example.com>", AM_FROM_OK, "example.com", "nested comment"},
	{"\"quoted local\"@example.com", AM_FROM_OK, "example.com", "quoted local part"},
	{"\"a\\\"b@evil.example\"@example.com", AM_FROM_OK, "example.com", "quoted-pair and '@' in local part"},
	{"=?UTF-8?B?SsO2cmc=?= <j@example.com>", AM_FROM_OK, "example.com", "encoded-word display name"},
	{"=?utf-8?q?ceo=40bank.example?= <x@evil.example>", AM_FROM_OK, "evil.example",
	 "encoded word is never decoded into the address"},
	{"J\xc3\xb6rg M\xc3\xbcller <j@example.com>", AM_FROM_OK, "example.com", "UTF-8 display name (RFC 6532)"},
	{"user@Example.COM", AM_FROM_OK, "example.com", "domain lower-cased"},
	{"user@b\xc3\xbc" "cher.example", AM_FROM_OK, "xn--bcher-kva.example", "U-label converted to A-label"},
	{"user@XN--BCHER-KVA.example", AM_FROM_OK, "xn--bcher-kva.example", "A-label lower-cased"},
	{"user@\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88", AM_FROM_OK,
	 "xn--r8jz45g.xn--zckzah", "Japanese IDN"},
	{"user@example.com.", AM_FROM_OK, "example.com", "trailing dot dropped"},
	{"user@localhost", AM_FROM_OK, "localhost", "single-label domain"},
	{"<@route.example,@r2.example:user@example.com>", AM_FROM_OK, "example.com", "obsolete source route"},
	{"John.Q.Public <jqp@example.com>", AM_FROM_OK, "example.com", "obs-phrase with dots"},
	{"Name\r\n <user@example.com>", AM_FROM_OK, "example.com", "folded header"},
	{"Name <user@example.com>,, ", AM_FROM_OK, "example.com", "obsolete empty list elements"},
	{"a@example.com, B <b@EXAMPLE.com>", AM_FROM_OK, "example.com", "two mailboxes, one domain"},
	{"Team: a@example.com, b@example.com;", AM_FROM_OK, "example.com", "group (RFC 6854)"},
	{"Team: a@example.com", AM_FROM_OK, "example.com", "group missing ';' at the end"},
	{"From: Name <user@example.com>", AM_FROM_OK, "example.com", "field name left in the value"},
	{"a@example.com, b@example.net", AM_FROM_MULTIPLE_DOMAINS, NULL, "two domains"},
	{"Team: a@example.com, b@example.org;", AM_FROM_MULTIPLE_DOMAINS, NULL, "group with two domains"},
	{"undisclosed-recipients:;", AM_FROM_NO_ADDRESS, NULL, "empty group"},
	{"", AM_FROM_SYNTAX, NULL, "empty value"},
	{" \t ", AM_FROM_SYNTAX, NULL, "blank value"},
	{"John Doe", AM_FROM_SYNTAX, NULL, "display name without address"},
	{"From: \"Test 1.1.5\"", AM_FROM_SYNTAX, NULL, "quoted name without address"},
	{"<>", AM_FROM_SYNTAX, NULL, "null address"},
	{"user@", AM_FROM_SYNTAX, NULL, "missing domain"},
	{"@example.com", AM_FROM_SYNTAX, NULL, "empty local part"},
	{"user@example..com", AM_FROM_SYNTAX, NULL, "empty label"},
	{"user@@example.com", AM_FROM_SYNTAX, NULL, "double '@'"},
	{"user@.example.com", AM_FROM_SYNTAX, NULL, "leading dot in domain"},
	{"a@example.com <b@example.org>", AM_FROM_SYNTAX, NULL, "addr-spec followed by angle-addr"},
	{"<user@good.example>@evil.example", AM_FROM_SYNTAX, NULL, "text after angle-addr"},
	{"\"Name\" user@example.com", AM_FROM_SYNTAX, NULL, "display name without <>"},
	{"\"unterminated <a@example.com>", AM_FROM_SYNTAX, NULL, "unterminated quoted string"},
	{"(unterminated a@example.com", AM_FROM_SYNTAX, NULL, "unterminated comment"},
	{"Name <a@example.com", AM_FROM_SYNTAX, NULL, "missing '>'"},
	{"A: B: c@example.com;;", AM_FROM_SYNTAX, NULL, "group inside a group"},
	{"a@example.com)", AM_FROM_SYNTAX, NULL, "stray ')'"},
	{"a\\b@example.com", AM_FROM_SYNTAX, NULL, "backslash outside quotes"},
	{"user@[192.0.2.1]", AM_FROM_BAD_DOMAIN, NULL, "domain literal"},
	{"user@xn--zz.example", AM_FROM_BAD_DOMAIN, NULL, "invalid A-label"},
	{"user@-bad.example", AM_FROM_BAD_DOMAIN, NULL, "label starting with '-'"},
	{"user@exa_mple.com", AM_FROM_BAD_DOMAIN, NULL, "underscore in domain"},
	{"user@exam\xffple.com", AM_FROM_BAD_DOMAIN, NULL, "invalid UTF-8 in domain"},
	{"user@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example", AM_FROM_BAD_DOMAIN, NULL,
	 "64-byte label"},
	{"user@=?utf-8?q?example.com?=", AM_FROM_BAD_DOMAIN, NULL, "encoded word in the domain"},
};

/* Run the table of single-header cases. */
static void run_cases(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct from_case *c = &cases[i];
		struct am_from f;
		enum am_from_status st = am_from_parse_one(c->value, &f);
		if (!ok(st == c->want && f.status == st, "%s -> %s", c->what, am_from_status_name(c->want)))
			diag("got %s (%s)", am_from_status_name(st), f.reason);
		if (c->domain)
			is_str(f.domain, c->domain, "  domain");
		if (st != AM_FROM_OK)
			ok(f.reason[0] != '\0' && f.domain[0] == '\0', "  reason given, no domain");
	}
}

/* Several headers, none, and the counts the checker reports. */
static void run_headers(void)
{
	struct am_from f;
	const char *two_same[] = {"a@example.com", "B <b@example.com>"};
	const char *two_diff[] = {"a@example.com", "b@example.org"};
	const char *one_bad[] = {"a@example.com", "junk"};
	is_int(am_from_parse(NULL, 0, &f), AM_FROM_MISSING, "no From header -> missing");
	is_int(am_from_parse(two_same, 2, &f), AM_FROM_MULTIPLE_HEADERS, "two From headers -> multiple-headers");
	is_int(f.ndomains, 1, "  one distinct domain");
	is_int(f.nmailboxes, 2, "  two mailboxes");
	is_int(am_from_parse(two_diff, 2, &f), AM_FROM_MULTIPLE_HEADERS, "two From headers, two domains");
	is_int(f.ndomains, 2, "  both domains kept");
	is_str(f.domains[1], "example.org", "  second domain");
	is_int(am_from_parse(one_bad, 2, &f), AM_FROM_SYNTAX, "a bad second header -> syntax");
	ok(strstr(f.reason, "From #2") != NULL, "  reason names the header (%s)", f.reason);
	const char *many = "a@d1.example, a@d2.example, a@d3.example, a@d4.example, a@d5.example, "
			   "a@d6.example, a@d7.example, a@d8.example, a@d9.example, a@d10.example";
	is_int(am_from_parse_one(many, &f), AM_FROM_OVER_LIMIT, "ten domains -> over-limit, never a partial list");
	is_int(f.ndomains, AM_FROM_MAX_DOMAINS, "  domains kept are capped");
	ok(strstr(f.reason, "more than 4 distinct domains (10 mailboxes)") != NULL,
	   "  reason names the limit and the count (%s)", f.reason);
	ok(f.domain[0] == '\0', "  no author domain");
}

/* The From limits (AM_FROM_MAX_DOMAINS, the header length, the caller's
 * header count): exactly at a limit evaluated, one past it over-limit,
 * whatever else the headers hold. */
static void run_limits(void)
{
	struct am_from f;
	const char *at_cap = "a@d1.example, a@d2.example, a@d3.example, a@d4.example, b@D1.example";
	const char *past_cap[] = {"a@d1.example, a@d2.example", "a@d3.example, a@d4.example", "ceo@bank.example"};
	const char *past_and_bad[] = {"a@d1.example, a@d2.example, a@d3.example, a@d4.example, a@d5.example",
				      "junk"};
	is_int(am_from_parse_one(at_cap, &f), AM_FROM_MULTIPLE_DOMAINS, "4 distinct domains (5 mailboxes): evaluated");
	is_int(f.ndomains, 4, "  all 4 kept");
	is_int(am_from_parse(past_cap, 3, &f), AM_FROM_OVER_LIMIT, "5th domain in a 3rd header -> over-limit");
	is_int(am_from_parse(past_and_bad, 2, &f), AM_FROM_OVER_LIMIT, "over the limit and a syntax error -> over-limit");
	char *big = malloc(20000);
	memset(big, 'x', 19990);
	memcpy(big, "(", 1);
	snprintf(big + 19990, 10, ") a@b.ex");
	const char *with_big[] = {"ceo@bank.example", big};
	is_int(am_from_parse(with_big, 2, &f), AM_FROM_OVER_LIMIT, "a From header over 16384 bytes -> over-limit");
	ok(strstr(f.reason, "longer than 16384") != NULL, "  reason says why (%s)", f.reason);
	free(big);
	const char *one[] = {"a@example.com"};
	am_from_parse(one, 1, &f);
	am_from_too_many_headers(&f, 500, 8);
	is_int(f.status, AM_FROM_OVER_LIMIT, "500 From headers (8 read) -> over-limit");
	is_str(f.reason, "500 From headers, more than the 8 evaluated", "  reason names the count");
	ok(f.domain[0] == '\0', "  no author domain");
	is_str(am_from_status_name(AM_FROM_OVER_LIMIT), "over-limit", "status name");
}

/* Garbage before (or between) mailboxes does not hide the mailboxes after
 * it: the first error is the status, and every domain that parsed is kept
 * for DMARC to evaluate (a spoof placed after junk still meets its policy). */
static void run_recovery(void)
{
	static const struct {
		const char *value, *why;
	} cases[] = {
		{"<<<, ceo@bank.example", "angle brackets without an address first"},
		{"garbage, ceo@bank.example", "a display name without an address first"},
		{"\"x\" <@>, ceo@bank.example", "an empty address first"},
		{"a@[192.0.2.1], ceo@bank.example", "a domain literal first"},
		{"a@b..example, ceo@bank.example", "a bad domain first"},
		{";ceo@bank.example", "a ';' outside a group first"},
		{"ceo@bank.example <junk", "text after the mailbox"},
		{"x: <<<, ceo@bank.example;", "junk inside a group"},
	};
	struct am_from f;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum am_from_status st = am_from_parse_one(cases[i].value, &f);
		bool found = false;
		for (size_t d = 0; d < f.ndomains; d++)
			found |= strcmp(f.domains[d], "bank.example") == 0;
		ok((st == AM_FROM_SYNTAX || st == AM_FROM_BAD_DOMAIN) && found,
		   "%s: an error, and bank.example still read (%s, %zu domains)", cases[i].why,
		   am_from_status_name(st), f.ndomains);
	}
}

/* Domain normalisation on its own. */
static void run_normalize(void)
{
	char out[256], err[96];
	ok(am_domain_normalize("Mail.Example.COM.", out, sizeof out, err, sizeof err) == 0 &&
		   strcmp(out, "mail.example.com") == 0,
	   "normalize: case and trailing dot");
	ok(am_domain_normalize("caf\xc3\xa9.fr", out, sizeof out, err, sizeof err) == 0 &&
		   strcmp(out, "xn--caf-dma.fr") == 0,
	   "normalize: U-label");
	ok(am_domain_normalize("a..b", out, sizeof out, err, sizeof err) < 0, "normalize: empty label refused");
	ok(am_domain_normalize("", out, sizeof out, err, sizeof err) < 0, "normalize: empty refused");
	ok(am_domain_normalize("ex ample.com", out, sizeof out, err, sizeof err) < 0, "normalize: blank refused");
}

/* Random bytes from a small alphabet of specials: no crash, sane status. */
static void run_random(void)
{
	static const char alphabet[] = "ab@.<>,;:\"()\\[] \t\r\n=?\xc3\xa9x-_";
	char buf[96];
	unsigned seed = 12345, bad = 0;
	for (int n = 0; n < 20000; n++) {
		size_t len = (size_t)(rand_r(&seed) % (sizeof buf - 1));
		for (size_t i = 0; i < len; i++)
			buf[i] = alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
		buf[len] = '\0';
		struct am_from f;
		enum am_from_status st = am_from_parse_one(buf, &f);
		char again[256], err[96];
		if (st > AM_FROM_OVER_LIMIT || (st == AM_FROM_OK && (am_domain_normalize(f.domain, again, sizeof again,
											 err, sizeof err) < 0 ||
								    strcmp(again, f.domain) != 0)))
			bad++;
	}
	is_int(bad, 0, "20000 random values: valid status, OK domains normalised");
}

int main(void)
{
	run_cases();
	run_headers();
	run_limits();
	run_recovery();
	run_normalize();
	run_random();
	return done_testing();
}
