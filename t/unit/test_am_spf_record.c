/*
 * test_am_spf_record.c - the RFC 7208 record validator (am_spf_record.c):
 * many valid and invalid records, domain-specs, explanation strings,
 * identity and query names; and the libspf2 rewrite (am_spf_rewrite.c).
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "am_spf_record.h"
#include "tap.h"

/* Records that RFC 7208 section 12 accepts. */
static const char *const valid[] = {
	"v=spf1",
	"V=SPF1 -ALL",
	"v=spf1 -all",
	"v=spf1 a  -all",
	"v=spf1 a -all ",
	"v=spf1 +all ?all ~all -all all",
	"v=spf1 a mx ptr a:mail.example.com mx:example.com ptr:example.com",
	"v=spf1 a/24 a//64 a/24//64 a:example.com/0 mx/32 mx//128 mx:example.com/24//48",
	"v=spf1 a:foo:bar/baz.example.com",
	"v=spf1 a:foo.example.xn--zckzah -all",
	"v=spf1 a:foo.123-456",
	"v=spf1 a:example.com. -all",
	"v=spf1 a:mail.example...com -all",
	"v=spf1 a:%{H}.bar -all",
	"v=spf1 a:%{d}",
	"v=spf1 a:%{d}.",
	"v=spf1 a:macro%%percent%_%_space%-url-space.example.com -all",
	"v=spf1 ip4:1.2.3.4 ip4:0.0.0.0/0 ip4:255.255.255.255/32 ip4:10.0.0.0/8",
	"v=spf1 ip6:::1 ip6:2001:db8::/32 ip6:::FFFF:1.2.3.4 ip6:::1.1.1.1/0 ip6:Cafe:Babe:8000::/33",
	"v=spf1 include:_spf.example.com exists:%{ir}.%{l1r+-}._spf.%{d}",
	"v=spf1 exists:%{i}.%{l2r-}.user.%{d2} exists:%{l2r+-}.user.%{d2}",
	"v=spf1 -exists:%{ir}.sbl.example.com ?all",
	"v=spf1 redirect=_spf.example.com",
	"v=spf1 exp=explain.%{d} -all",
	"v=spf1 -all exp=msg8.%{D2}",
	"v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all",
	"v=spf1 default=pass",
	"v=spf1 default=+",
	"v=spf1 foo= -all",
	"v=spf1 redirect=%{d}.d.spf.example.com.",
	"v=spf1 a:%{p}.%{v}.%{h}.%{s}.%{o}.%{l}.example.com",
	"v=spf1 a:%{d127r.-+,/_=}.example.com",
};

/* Records RFC 7208 rejects, each for its own reason. */
static const char *const invalid[] = {
	"v=spf10",
	"v=spf1 moo",
	"v=spf1 ip4:1.2.3.4 -all moo",
	"v=spf1 moo.cow/far_out=man:dog/cat ip4:1.2.3.4 -all",
	"v=spf1 moo.cow:far_out=man:dog/cat ip4:1.2.3.4 -all",
	"v=spf1 ip4:1.2.3.4 redirect:t2.example.com",
	"v=spf1 a:foo-bar -all",
	"v=spf1 -all.",
	"v=spf1 -all:foobar",
	"v=spf1 -all/8",
	"v=spf1 ptr/0 -all",
	"v=spf1 ptr:",
	"v=spf1 a:",
	"v=spf1 a//33 -all extra=%",
	"v=spf1 a/33 -all",
	"v=spf1 a//129 -all",
	"v=spf1 a/24/64 -all",
	"v=spf1 a/032",
	"v=spf1 a:example.com:8080",
	"v=spf1 a:111.222.33.44",
	"v=spf1 a:abc.123",
	"v=spf1 a:museum",
	"v=spf1 a:museum.",
	"v=spf1 a:example.-com",
	"v=spf1 a:example.com-",
	"v=spf1 mx: -all",
	"v=spf1 include",
	"v=spf1 include: -all",
	"v=spf1 include:ip5.example.com/24 -all",
	"v=spf1 exists",
	"v=spf1 exists:",
	"v=spf1 exists:mail.example.com/24",
	"v=spf1 ip4",
	"v=spf1 ip4:1.2.3.4/33 -all",
	"v=spf1 ip4:1.2.3.4/032 -all",
	"v=spf1 ip4:1.2.3.4//32",
	"v=spf1 ip4:1.2.3.4:8080",
	"v=spf1 ip4:1.2.3",
	"v=spf1 ip4:01.2.3.4",
	"v=spf1 ip4:256.2.3.4",
	"v=spf1 -all ip6",
	"v=spf1 ip6:::1.1.1.1/129",
	"v=spf1 ip6:::1.1.1.1//33",
	"v=spf1 ip6::CAFE::BABE",
	"v=spf1 ip6:1.2.3.4",
	"v=spf1 1up=foo",
	"v=spf1 =all",
	"v=spf1 -all foo=%abc",
	"v=spf1 exp= -all",
	"v=spf1 exp=-all",
	"v=spf1 redirect=-all ?all",
	"v=spf1 ?all redirect=",
	"v=spf1 exp=a.example.com -all exp=b.example.com",
	"v=spf1 redirect=a.example.com -all REDIRECT=a.example.com",
	"v=spf1 -redirect=a.example.com",
	"v=spf1 -all exp=%{r}.example.com",
	"v=spf1 a:%{c}.example.com",
	"v=spf1 a:%{t}.example.com",
	"v=spf1 a:%{a}.example.com -all",
	"v=spf1 -exists:%(ir).sbl.example.com ?all",
	"v=spf1 exists:foo%(ir).sbl.example.com ?all",
	"v=spf1 exists:foo%.sbl.example.com ?all",
	"v=spf1 exists:foo.sbl.example.com%",
	"v=spf1 a:%{d0}.example.com",
	"v=spf1 a:%{d2x}.example.com",
	"v=spf1 a:%{d.example.com",
	"v=spf1 a:foo.example.com\x01",
	"v=spf1 a:\xEF\xBB\xBF" "garbage.example.net -all",
	"v=spf1 \x80" "a:example.net -all",
	"v=spf1 a:example.net \x96" "all",
	"v=spf1 a:ctrl.example.com\rptr -all",
	"v=spf1 ip4:192.0.2.5\n include:spf.example.com ~all",
	"v=spf1\tall",
	"v=spf1 a:foo." AM_SPF_ANY_TAG,
};

static void test_records(void)
{
	char err[160];

	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		int rc = am_spf_record_check(valid[i], strlen(valid[i]), err, sizeof(err));
		if (!ok(rc == 0, "valid: %s", valid[i]))
			diag("reason: %s", err);
	}
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		err[0] = '\0';
		int rc = am_spf_record_check(invalid[i], strlen(invalid[i]), err, sizeof(err));
		ok(rc == -1 && err[0] != '\0', "invalid (%s): %.60s", err, invalid[i]);
	}
	/* a NUL inside the TXT data (the suite's a-null) is an error too */
	static const char nul[] = "v=spf1 a:foo.example.com\0";
	ok(am_spf_record_check(nul, sizeof(nul) - 1, err, sizeof(err)) == -1, "NUL byte rejected");
	ok(am_spf_record_check("v=spf1 a:x.example.com", 10, err, sizeof(err)) == -1,
	   "length is honoured (cut inside a domain)");
	am_spf_record_check("v=spf1 ip4:1.2.3.4 moo -all", 27, err, sizeof(err));
	ok(strstr(err, "moo") != NULL && strstr(err, "unknown mechanism") != NULL,
	   "the reason names the term: %s", err);
	am_spf_record_check("v=spf1 exp=a.example exp=b.example", 34, err, sizeof(err));
	ok(strstr(err, "twice") != NULL, "duplicate modifier reason: %s", err);
}

static void test_selection(void)
{
	ok(am_spf_record_is_spf1("v=spf1", 6), "v=spf1 alone is SPF");
	ok(am_spf_record_is_spf1("V=SpF1 -all", 11), "version is case-insensitive");
	ok(!am_spf_record_is_spf1("v=spf10", 7), "v=spf10 is not SPF");
	ok(!am_spf_record_is_spf1("v=spf1mx", 8), "no space after version: not SPF");
	ok(!am_spf_record_is_spf1(" v=spf1", 7), "leading space: not SPF");
	ok(!am_spf_record_is_spf1("v=spf", 5), "short: not SPF");
	ok(!am_spf_record_is_spf1("\x96", 1), "other TXT: not SPF");
}

static void test_pieces(void)
{
	char err[160];

	ok(am_spf_domain_spec_check("%{d}", 4, err, sizeof(err)) == 0, "domain-spec: a macro alone");
	ok(am_spf_domain_spec_check("a.b", 3, err, sizeof(err)) == 0, "domain-spec: a.b");
	ok(am_spf_domain_spec_check("", 0, err, sizeof(err)) == -1, "domain-spec: empty");
	ok(am_spf_domain_spec_check("a.b%", 4, err, sizeof(err)) == -1, "domain-spec: lone %");
	ok(am_spf_domain_spec_check("a.%{d}x", 7, err, sizeof(err)) == -1, "domain-spec: text after macro in toplabel");
	static const char why[] = "See http://%{d}/why?s=%{S}&ip=%{C}&r=%{R} at %{t}";
	ok(am_spf_explain_check(why, strlen(why), err, sizeof(err)) == 0,
	   "explain-string: c, r, t and spaces allowed");
	ok(am_spf_explain_check("The %{x}-files.", 15, err, sizeof(err)) == -1, "explain-string: %%{x}");
	ok(am_spf_explain_check("\xEF\xBB\xBF" "Explanation", 14, err, sizeof(err)) == -1, "explain-string: non-ASCII");
	ok(am_spf_explain_check("100%", 4, err, sizeof(err)) == -1, "explain-string: lone %");

	ok(am_spf_domain_ok("example.com"), "identity: example.com");
	ok(am_spf_domain_ok("example.com."), "identity: trailing dot");
	ok(!am_spf_domain_ok("A2345678"), "identity: one label");
	ok(!am_spf_domain_ok("[1.2.3.5]"), "identity: domain literal");
	ok(!am_spf_domain_ok("1.2.3.5"), "identity: all-numeric top label");
	ok(!am_spf_domain_ok("A...example.com"), "identity: empty label");
	ok(!am_spf_domain_ok("A123456789012345678901234567890123456789012345678901234567890123.example.com"),
	   "identity: 64-byte label");
	ok(am_spf_domain_ok("A12345678901234567890123456789012345678901234567890123456789012.example.com"),
	   "identity: 63-byte label");
	ok(!am_spf_domain_ok("JUMPIN' JUPITER"), "identity: spaces");
	ok(!am_spf_domain_ok(""), "identity: empty");
}

static void test_query_names(void)
{
	char out[256], longname[400];

	ok(am_spf_query_name("example.com.", out, sizeof(out)) == 0 && !strcmp(out, "example.com"),
	   "query name: trailing dot dropped");
	ok(am_spf_query_name("macro%percent  space%20url-space.example.com", out, sizeof(out)) == 0,
	   "query name: spaces are legal in labels");
	ok(am_spf_query_name("mail.example...com", out, sizeof(out)) == -1, "query name: empty label");
	ok(am_spf_query_name(".", out, sizeof(out)) == -1, "query name: root alone");
	ok(am_spf_query_name("a\\b.example", out, sizeof(out)) == -1, "query name: backslash");
	ok(am_spf_query_name("a\tb.example", out, sizeof(out)) == -1, "query name: control byte");
	ok(am_spf_query_name("x.a123456789012345678901234567890123456789012345678901234567890123.com",
			     out, sizeof(out)) == -1, "query name: 64-byte label");
	/* RFC 7208 7.3: over 253 bytes, labels are dropped from the left */
	snprintf(longname, sizeof(longname), "foobar");
	for (int i = 0; i < 8; i++)
		strcat(longname, ".somewhat.long.exp.example.com");
	strcat(longname, ".example.com");
	ok(am_spf_query_name(longname, out, sizeof(out)) == 0 && strlen(out) <= 253 &&
	   strncmp(out, "somewhat.long", 13) == 0, "query name: truncated on the left to %zu bytes",
	   strlen(out));
}

static void rewrites(const char *in, int family, const char *want)
{
	char out[512];
	int n = am_spf_record_rewrite(in, strlen(in), family, out, sizeof(out));
	is_str(n >= 0 ? out : "(overflow)", want, in);
}

static void test_rewrite(void)
{
	char small[8];

	rewrites("v=spf1 -all", AF_INET, "v=spf1 -all");
	rewrites("v=spf1  a   mx  -all ", AF_INET, "v=spf1 a mx -all");
	rewrites("v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all", AF_INET,
		 "v=spf1 ip4:1.2.3.4 -all");
	rewrites("v=spf1 redirect=t5.example.com ~all", AF_INET, "v=spf1 ~all");
	rewrites("v=spf1 redirect=b.example exp=e.example a", AF_INET,
		 "v=spf1 exp=e.example a redirect=b.example");
	rewrites("v=spf1 -ip4:1.1.1.1/0", AF_INET, "v=spf1 -ip4:0.0.0.0/1 -ip4:128.0.0.0/1");
	rewrites("v=spf1 ip6:::1.1.1.1/0", AF_INET6, "v=spf1 ip6:::/1 ip6:8000::/1");
	rewrites("v=spf1 ip4:1.2.3.4/32 ip6:::1/128", AF_INET, "v=spf1 ip4:1.2.3.4/32 ip6:::1/128");
	rewrites("v=spf1 a/0 -all", AF_INET, "v=spf1 a:%{d}." AM_SPF_ANY_TAG " -all");
	rewrites("v=spf1 a/0 -all", AF_INET6, "v=spf1 a -all");
	rewrites("v=spf1 ~mx:example.com./24//0", AF_INET6, "v=spf1 ~mx:example.com." AM_SPF_ANY_TAG);
	rewrites("v=spf1 mx:example.com/24//0", AF_INET, "v=spf1 mx:example.com/24");
	rewrites("v=spf1 a/24//64", AF_INET6, "v=spf1 a/24//64");
	rewrites("v=spf1 a:foo:bar/baz.example.com", AF_INET, "v=spf1 a:foo:bar/baz.example.com");
	rewrites("v=spf1 a:%{d200r}.x.example exp=%{l1000}.%%{d999}", AF_INET,
		 "v=spf1 a:%{d128r}.x.example exp=%{l128}.%%{d999}");
	ok(am_spf_record_rewrite("v=spf1 -all", 11, AF_INET, small, sizeof(small)) == -1,
	   "rewrite: overflow reported");
}

int main(void)
{
	test_records();
	test_selection();
	test_pieces();
	test_query_names();
	test_rewrite();
	return done_testing();
}
