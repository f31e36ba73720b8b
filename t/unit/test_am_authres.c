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

/* Longest line of a folded header value. */
static size_t longest_line(const char *out)
{
	size_t longest = 0;

	for (const char *line = out, *nl; line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		longest = len > longest ? len : longest;
	}
	return longest;
}

/* Occurrences of needle in hay. */
static unsigned count_of(const char *hay, const char *needle)
{
	unsigned n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* Past AM_AUTHRES_MAX (issue 12): 16 signatures with long d= and i= do not
 * fit, yet the header is written, with dmarc=fail and the author's failing
 * signature, the excess DKIM entries counted in a comment. */
static void test_over_max(void)
{
	static struct am_results r;
	char out[AM_AUTHRES_MAX], label[61], dom[sizeof r.dkim.sigs[0].domain];

	memset(&r, 0, sizeof r);
	r.spf_mailfrom = (struct am_spf_result){.checked = true, .result = AM_RES_FAIL};
	strcpy(r.spf_mailfrom.domain, "example.com");
	r.dkim.checked = true;
	r.dkim.count = AM_DKIM_MAX_SIGS;
	for (size_t k = 0; k < AM_DKIM_MAX_SIGS; k++) {
		struct am_dkim_sig *s = &r.dkim.sigs[k];
		s->result = AM_RES_FAIL;
		memset(label, 'a' + (int)k, 60);
		label[60] = '\0';
		snprintf(dom, sizeof dom, "%s.%s.%s.%s.example", label, label, label, label);
		memcpy(s->domain, dom, sizeof dom);
		snprintf(s->identity, sizeof s->identity, "%s%s@%s", label, label, dom);
		strcpy(s->selector, "sel");
		strcpy(s->algorithm, "rsa-sha256");
		s->key_bits = 2048;
	}
	strcpy(r.dkim.sigs[9].domain, "example.com");  /* the author's, among them */
	strcpy(r.dkim.sigs[9].identity, "@example.com");
	r.dmarc = (struct am_dmarc_result){.checked = true, .result = AM_RES_FAIL,
		.p = AM_DMARC_P_REJECT, .disposition = AM_DMARC_P_REJECT};
	strcpy(r.dmarc.header_from, "example.com");
	r.iprev = (struct am_iprev_result){.checked = true, .result = AM_RES_FAIL};
	strcpy(r.iprev.address, "198.51.100.99");
	ok(am_authres_build(&r, "mx.example.org", out, sizeof(out)) == 0, "16 long signatures: header built");
	ok(strlen(out) < AM_AUTHRES_MAX, "fits in %d bytes (%zu)", AM_AUTHRES_MAX, strlen(out));
	ok(longest_line(out) < 998, "no line over 998 characters (longest %zu)", longest_line(out));
	ok(strstr(out, ";\n\tdmarc=fail (p=reject dis=reject) header.from=example.com") != NULL, "dmarc=fail kept");
	ok(strstr(out, ";\n\tspf=fail smtp.mailfrom=example.com") != NULL, "spf kept");
	ok(strstr(out, ";\n\tiprev=fail policy.iprev=198.51.100.99") != NULL, "iprev kept");
	ok(strstr(out, "header.d=example.com header.i=@example.com") != NULL, "the author's signature kept");
	unsigned listed = count_of(out, "dkim=");
	char want[96];
	snprintf(want, sizeof want, "mx.example.org (%u DKIM signatures not listed: header too long);\n\t",
		 AM_DKIM_MAX_SIGS - listed);
	ok(listed == 1 && strncmp(out, want, strlen(want)) == 0, "%u listed, the rest counted: %.80s", listed, out);
	ok(am_authres_claims(out, "mx.example.org"), "the authserv-id still reads before the comment");

	/* signatures that pass are kept too, as many as fit, aligned first */
	for (size_t k = 0; k < 4; k++)
		r.dkim.sigs[k].result = AM_RES_PASS;
	ok(am_authres_build(&r, "mx.example.org", out, sizeof(out)) == 0, "with four passes: built");
	is_int((long long)count_of(out, "dkim=pass"), 4, "the four passing signatures listed");
	ok(strstr(out, "header.d=example.com") != NULL && strstr(out, "(11 DKIM signatures not listed") != NULL,
	   "the author's too, the 11 others counted");
	ok(strstr(out, "dmarc=fail") != NULL && strlen(out) < AM_AUTHRES_MAX, "dmarc=fail, still fits");
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

/* iprev= with policy.iprev and the verified name (2.7.3), auth= (2.7.4). */
static void test_iprev_auth(void)
{
	struct am_results r = {0};
	char out[AM_AUTHRES_MAX];

	r.iprev = (struct am_iprev_result){.checked = true, .result = AM_RES_PASS};
	strcpy(r.iprev.address, "192.0.2.1");
	strcpy(r.iprev.name, "mail.sender.example");
	am_authres_build(&r, "mx.example.org", out, sizeof(out));
	is_str(out, "mx.example.org;\n\tiprev=pass (mail.sender.example) policy.iprev=192.0.2.1",
	       "iprev pass: the name in a comment, the address as policy.iprev");
	r.iprev.result = AM_RES_FAIL;
	strcpy(r.iprev.address, "2001:db8::1");
	am_authres_build(&r, "mx.example.org", out, sizeof(out));
	is_str(out, "mx.example.org;\n\tiprev=fail policy.iprev=\"2001:db8::1\"",
	       "iprev fail: no name; an IPv6 address is a quoted-string");
	strcpy(r.iprev.name, "evil) (x");
	r.iprev.result = AM_RES_PASS;
	am_authres_build(&r, "mx.example.org", out, sizeof(out));
	ok(strstr(out, "(evil x)") != NULL, "parentheses of a name cannot end the comment");

	struct am_results a = {0};
	strcpy(a.auth_user, "alice@example.org");
	am_authres_build(&a, "mx.example.org", out, sizeof(out));
	is_str(out, "mx.example.org;\n\tauth=pass smtp.auth=alice@example.org", "auth=pass smtp.auth=USER");
	strcpy(a.auth_user, "bob smith");
	a.spf_mailfrom = (struct am_spf_result){.checked = true, .result = AM_RES_PASS};
	strcpy(a.spf_mailfrom.domain, "example.org");
	am_authres_build(&a, "mx.example.org", out, sizeof(out));
	is_str(out, "mx.example.org;\n\tauth=pass smtp.auth=\"bob smith\";\n\tspf=pass smtp.mailfrom=example.org",
	       "auth first, a login with a space quoted");
}

/* [server] other_authserv_ids: names, and .suffix for a domain and below. */
static void test_claims_any(void)
{
	static const char *others = "mx2.example.org, .corp.example\n\t.trailing.example.";
	static const struct { const char *value; int want; } cases[] = {
		{" mx.example.org; spf=pass", 1},            /* ours */
		{" MX2.example.org.; spf=pass", 1},           /* a sibling, any case, final dot */
		{" mx3.example.org; spf=pass", 0},            /* not listed */
		{" corp.example; dkim=pass", 1},              /* the .suffix domain itself */
		{" a.b.corp.example; dkim=pass", 1},          /* below it */
		{" evilcorp.example; dkim=pass", 0},          /* only at a label boundary */
		{" corp.example.evil.example; none", 0},
		{" \"x.trailing.example\"; none", 1},         /* quoted id, listed with a dot */
		{" example; none", 0},
	};
	char name[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		am_header_sanitize(cases[i].value, name, sizeof(name));
		is_int(am_authres_claims_any(cases[i].value, "mx.example.org", others), cases[i].want, name);
	}
	ok(am_authres_claims_any(" mx.example.org; none", "mx.example.org", NULL), "no list: ours only");
	ok(!am_authres_claims_any(" a.example; none", "mx.example.org", ""), "empty list");
}

int main(void)
{
	test_quoting();
	test_build();
	test_claims();
	test_claims_any();
	test_iprev_auth();
	test_over_max();
	return done_testing();
}
