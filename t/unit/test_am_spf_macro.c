/*
 * test_am_spf_macro.c - RFC 7208 section 7 macro expansion for explanation
 * strings (am_spf_macro.c), with the examples of RFC 7208 7.4 and the
 * explanation texts of the openspf suite.
 */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "am_spf_macro.h"
#include "tap.h"

static int p_calls;

/* %{p}: counts its calls, so a text without %{p} is seen not to ask. */
static const char *validated(void *arg)
{
	p_calls++;
	return arg;
}

static struct am_ip ip4, ip6;

static struct am_spf_macro_env env_for(const struct am_ip *ip)
{
	struct am_spf_macro_env env = {
		.sender = "strong-bad@email.example.com", .local_part = "strong-bad",
		.sender_domain = "email.example.com", .domain = "email.example.com",
		.helo = "mx.example.org", .receiver = "receiver.example.net", .ip = ip,
		.now = 1234567890, .validated_name = validated, .arg = (void *)"mx.example.org",
	};
	return env;
}

static void expands(const struct am_ip *ip, const char *text, const char *want)
{
	struct am_spf_macro_env env = env_for(ip);
	char out[512];
	int rc = am_spf_macro_expand(text, strlen(text), &env, out, sizeof(out));
	is_str(rc == 0 ? out : "(error)", want, text);
}

int main(void)
{
	struct am_spf_macro_env env;
	char out[16];

	am_ip_parse("192.0.2.3", &ip4);
	am_ip_parse("2001:db8::cb01", &ip6);
	/* RFC 7208 7.4 */
	expands(&ip4, "%{s}", "strong-bad@email.example.com");
	expands(&ip4, "%{o}", "email.example.com");
	expands(&ip4, "%{d}", "email.example.com");
	expands(&ip4, "%{d4}", "email.example.com");
	expands(&ip4, "%{d3}", "email.example.com");
	expands(&ip4, "%{d2}", "example.com");
	expands(&ip4, "%{d1}", "com");
	expands(&ip4, "%{dr}", "com.example.email");
	expands(&ip4, "%{d2r}", "example.email");
	expands(&ip4, "%{l}", "strong-bad");
	expands(&ip4, "%{l-}", "strong.bad");
	expands(&ip4, "%{lr}", "strong-bad");
	expands(&ip4, "%{lr-}", "bad.strong");
	expands(&ip4, "%{l1r-}", "strong");
	expands(&ip4, "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com");
	expands(&ip4, "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com");
	expands(&ip4, "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
		"bad.strong.lp.3.2.0.192.in-addr._spf.example.com");
	expands(&ip4, "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
		"3.2.0.192.in-addr.strong.lp._spf.example.com");
	expands(&ip4, "%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net");
	expands(&ip6, "%{ir}.%{v}._spf.%{d2}",
		"1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6._spf.example.com");
	/* escapes, upper case, explanation-only letters */
	expands(&ip4, "100%% sure%_and%-more", "100% sure and%20more");
	expands(&ip4, "%{c} via %{h} to %{r} at %{t}",
		"192.0.2.3 via mx.example.org to receiver.example.net at 1234567890");
	expands(&ip6, "%{c} is %{i}", "2001:db8::cb01 is 2.0.0.1.0.D.B.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.C.B.0.1");
	expands(&ip4, "%{S}", "strong-bad%40email.example.com");
	expands(&ip4, "%{D1r}", "email");
	p_calls = 0;
	expands(&ip4, "no macros here", "no macros here");
	ok(p_calls == 0, "%%{p} is not computed unless asked for");
	expands(&ip4, "connect from %{p}", "connect from mx.example.org");
	ok(p_calls == 1, "%%{p} computed once");

	env = env_for(&ip4);
	env.local_part = "~jack&jill=up-a_b3.c";
	ok(am_spf_macro_expand("l=%{L}", 6, &env, out, sizeof(out)) == 0 && !strcmp(out, "l=~jack%26jill"),
	   "upper-case letters URL-escape with upper-case hex, output cut to fit: '%s'", out);
	ok(am_spf_macro_expand("%{x}", 4, &env, out, sizeof(out)) == -1, "unknown letter fails");
	ok(am_spf_macro_expand("%{d0}", 5, &env, out, sizeof(out)) == -1, "zero DIGIT fails");
	ok(am_spf_macro_expand("%{d", 3, &env, out, sizeof(out)) == -1, "unterminated macro fails");
	ok(am_spf_macro_expand("50%", 3, &env, out, sizeof(out)) == -1, "lone %% fails");
	env.sender = NULL;
	ok(am_spf_macro_expand("[%{s}]", 6, &env, out, sizeof(out)) == 0 && !strcmp(out, "[]"),
	   "missing value expands to nothing");
	return done_testing();
}
