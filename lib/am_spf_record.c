/*
 * am_spf_record.c - RFC 7208 syntax checks that libspf2 1.2.10 skips or gets
 * wrong: the record ABNF (section 12), explanation strings, identity
 * domains (4.3) and query names (7.3). A record that fails here is a
 * permerror before libspf2 ever compiles it (RFC 7208 4.6: syntax errors
 * anywhere in the record). This file only reads text; it never evaluates.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "am_spf_record.h"

#define TERM_SHOWN 48 /* at most this much of a bad term goes into a reason */

struct term_state {
	bool seen_redirect;
	bool seen_exp;
};

/* Set the reason and return -1. */
static int fail(char *err, size_t errlen, const char *fmt, const char *s, size_t n, const char *what)
{
	int shown = n > TERM_SHOWN ? TERM_SHOWN : (int)n;
	snprintf(err, errlen, fmt, shown, s, what);
	return -1;
}

/* ASCII letter (no locale). */
static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ASCII digit. */
static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* ASCII letter or digit. */
static bool is_alnum(int c)
{
	return is_alpha(c) || is_digit(c);
}

/* Length of the macro-expand at s[i] == '%', or 0 if it is malformed
 * (RFC 7208 7.1: "%{" letter *DIGIT ["r"] *delimiter "}", "%%", "%_", "%-"). */
static size_t macro_len(const char *s, size_t n, size_t i, bool in_exp)
{
	size_t j = i + 2, digits;
	bool nonzero = false;
	char letter;

	if (i + 1 >= n)
		return 0;
	if (s[i + 1] == '%' || s[i + 1] == '_' || s[i + 1] == '-')
		return 2;
	if (s[i + 1] != '{' || j >= n)
		return 0;
	letter = (char)(s[j] | 0x20);
	if (!is_alpha(s[j]) || (strchr("slodiphv", letter) == NULL &&
				!(in_exp && strchr("crt", letter) != NULL)))
		return 0;
	for (j++, digits = 0; j < n && is_digit(s[j]); j++, digits++)
		nonzero |= s[j] != '0';
	if (digits > 0 && !nonzero)
		return 0; /* 7.3: a DIGIT transformer must be nonzero */
	if (j < n && (s[j] | 0x20) == 'r')
		j++;
	while (j < n && strchr(".-+,/_=", s[j]) != NULL && s[j] != '\0')
		j++;
	if (j >= n || s[j] != '}')
		return 0;
	return j + 1 - i;
}

/* Check a macro-string (or an explain-string when in_exp: spaces and the
 * letters c, r, t allowed). *ends_macro says whether it ends in a macro. */
static int macro_string_check(const char *s, size_t n, bool in_exp, bool *ends_macro, char *err,
			      size_t errlen)
{
	size_t i = 0;

	*ends_macro = false;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			size_t k = macro_len(s, n, i, in_exp);
			if (k == 0)
				return fail(err, errlen, "bad macro in '%.*s'%s", s, n, "");
			i += k;
			*ends_macro = true;
			continue;
		}
		if ((c < 0x21 || c > 0x7e) && !(in_exp && c == ' '))
			return fail(err, errlen, "character not allowed in '%.*s'%s", s, n, "");
		*ends_macro = false;
		i++;
	}
	return 0;
}

/* RFC 7208 toplabel: LDH, starts and ends alphanumeric, not all digits
 * (an all-digit label is allowed only with a dash, per the ABNF). */
static bool toplabel_ok(const char *s, size_t n)
{
	bool alpha = false, dash = false;

	if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (is_alpha(s[i]))
			alpha = true;
		else if (s[i] == '-')
			dash = true;
		else if (!is_digit(s[i]))
			return false;
	}
	return alpha || dash;
}

/* Check a domain-spec: macro-string domain-end. A trailing dot after a
 * final macro is accepted too (a trailing dot only marks an FQDN). */
int am_spf_domain_spec_check(const char *s, size_t n, char *err, size_t errlen)
{
	bool ends_macro;
	size_t end = n, dot;

	if (n == 0) {
		snprintf(err, errlen, "empty domain-spec");
		return -1;
	}
	if (macro_string_check(s, n, false, &ends_macro, err, errlen) != 0)
		return -1;
	if (ends_macro)
		return 0;
	if (s[end - 1] == '.')
		end--;
	if (end > 0 && s[end - 1] == '}' && macro_string_check(s, end, false, &ends_macro, err,
							       errlen) == 0 && ends_macro)
		return 0;
	for (dot = end; dot > 0 && s[dot - 1] != '.'; dot--)
		;
	if (dot == 0)
		return fail(err, errlen, "domain-spec '%.*s' has no top-level label%s", s, n, "");
	if (!toplabel_ok(s + dot, end - dot))
		return fail(err, errlen, "domain-spec '%.*s' has an invalid top-level label%s", s, n, "");
	return 0;
}

/* A CIDR length: "0" or a number without leading zero, at most max. */
static bool cidr_ok(const char *s, size_t n, unsigned max)
{
	unsigned v = 0;

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v <= max;
}

/* ip4-network: four qnum without leading zeros. */
static bool ip4_network_ok(const char *s, size_t n)
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		size_t start = i;
		unsigned v = 0;
		if (part > 0) {
			if (i >= n || s[i] != '.')
				return false;
			start = ++i;
		}
		while (i < n && is_digit(s[i]) && i - start < 4)
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == start || i - start > 3 || v > 255 || (i - start > 1 && s[start] == '0'))
			return false;
	}
	return i == n;
}

/* ip6-network: RFC 4291 text form (hex, colons, an IPv4 tail). */
static bool ip6_network_ok(const char *s, size_t n)
{
	char buf[64];
	unsigned char addr[16];

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n); /* s is not terminated: scan the copy, not past n */
	buf[n] = '\0';
	if (strspn(buf, "0123456789abcdefABCDEF:.") < n)
		return false;
	return inet_pton(AF_INET6, buf, addr) == 1;
}

/* "ip4:" / "ip6:" argument: network and an optional single-slash CIDR. */
static int ip_arg_check(const char *t, size_t tn, const char *r, size_t n, bool v6, char *err,
			size_t errlen)
{
	const char *slash;
	size_t net;

	if (n < 2 || r[0] != ':')
		return fail(err, errlen, "'%.*s': %s needs an address", t, tn, v6 ? "ip6" : "ip4");
	r++, n--;
	slash = memchr(r, '/', n);
	net = slash ? (size_t)(slash - r) : n;
	if (!(v6 ? ip6_network_ok(r, net) : ip4_network_ok(r, net)))
		return fail(err, errlen, "'%.*s': bad %s network", t, tn, v6 ? "IPv6" : "IPv4");
	if (slash && !cidr_ok(slash + 1, n - net - 1, v6 ? 128 : 32))
		return fail(err, errlen, "'%.*s': bad %s prefix length", t, tn, v6 ? "IPv6" : "IPv4");
	return 0;
}

void am_spf_dual_cidr_split(const char *r, size_t n, struct am_spf_dual_cidr *dc)
{
	size_t end = n, d = n;

	memset(dc, 0, sizeof(*dc));
	while (d > 0 && is_digit(r[d - 1]))
		d--;
	if (d < end && d >= 2 && r[d - 1] == '/' && r[d - 2] == '/') {
		dc->ip6 = r + d, dc->ip6_len = end - d;
		end = d - 2;
		for (d = end; d > 0 && is_digit(r[d - 1]); d--)
			;
	}
	if (d < end && d >= 1 && r[d - 1] == '/') {
		dc->ip4 = r + d, dc->ip4_len = end - d;
		end = d - 1;
	}
	dc->body_len = end;
}

/* a / mx argument: [":" domain-spec] [ip4-cidr] ["//" ip6-cidr]. */
static int dual_cidr_arg_check(const char *t, size_t tn, const char *r, size_t n, char *err,
			       size_t errlen)
{
	struct am_spf_dual_cidr dc;

	am_spf_dual_cidr_split(r, n, &dc);
	if (dc.ip6 != NULL && !cidr_ok(dc.ip6, dc.ip6_len, 128))
		return fail(err, errlen, "'%.*s': bad IPv6 prefix length%s", t, tn, "");
	if (dc.ip4 != NULL && !cidr_ok(dc.ip4, dc.ip4_len, 32))
		return fail(err, errlen, "'%.*s': bad IPv4 prefix length%s", t, tn, "");
	if (dc.body_len == 0)
		return 0;
	if (r[0] != ':')
		return fail(err, errlen, "'%.*s': bad argument%s", t, tn, "");
	return am_spf_domain_spec_check(r + 1, dc.body_len - 1, err, errlen);
}

/* ":" domain-spec, required or optional. */
static int domain_arg_check(const char *t, size_t tn, const char *r, size_t n, bool required,
			    char *err, size_t errlen)
{
	if (n == 0 && !required)
		return 0;
	if (n == 0 || r[0] != ':')
		return fail(err, errlen, "'%.*s': needs ':' and a domain%s", t, tn, "");
	return am_spf_domain_spec_check(r + 1, n - 1, err, errlen);
}

/* directive = [qualifier] mechanism (RFC 7208 4.6.2, 5). */
static int directive_check(const char *t, size_t n, char *err, size_t errlen)
{
	size_t i = 0, name_start, name_len;
	const char *r;

	if (n > 0 && strchr("+-?~", t[0]) != NULL)
		i++;
	for (name_start = i; i < n && is_alnum(t[i]); i++)
		;
	name_len = i - name_start;
	r = t + i;
	n -= i;
	if (name_len == 0 || (n > 0 && r[0] != ':' && r[0] != '/'))
		return fail(err, errlen, "'%.*s': not a mechanism or modifier%s", t, i + n, "");
#define MECH(s) (name_len == sizeof(s) - 1 && strncasecmp(t + name_start, s, name_len) == 0)
	if (MECH("all")) {
		if (n != 0)
			return fail(err, errlen, "'%.*s': 'all' takes no argument%s", t, i + n, "");
		return 0;
	}
	if (MECH("include") || MECH("exists"))
		return domain_arg_check(t, i + n, r, n, true, err, errlen);
	if (MECH("ptr"))
		return domain_arg_check(t, i + n, r, n, false, err, errlen);
	if (MECH("a") || MECH("mx"))
		return dual_cidr_arg_check(t, i + n, r, n, err, errlen);
	if (MECH("ip4") || MECH("ip6"))
		return ip_arg_check(t, i + n, r, n, MECH("ip6"), err, errlen);
#undef MECH
	return fail(err, errlen, "'%.*s': unknown mechanism%s", t, i + n, "");
}

/* modifier = redirect / explanation / unknown-modifier (RFC 7208 6). */
static int modifier_check(const char *t, size_t name_len, size_t n, struct term_state *st,
			  char *err, size_t errlen)
{
	const char *v = t + name_len + 1;
	size_t vn = n - name_len - 1;
	bool *seen = NULL, ends_macro;

	if (name_len == 8 && strncasecmp(t, "redirect", 8) == 0)
		seen = &st->seen_redirect;
	else if (name_len == 3 && strncasecmp(t, "exp", 3) == 0)
		seen = &st->seen_exp;
	if (seen == NULL)
		return macro_string_check(v, vn, false, &ends_macro, err, errlen);
	if (*seen)
		return fail(err, errlen, "'%.*s': modifier given twice%s", t, n, "");
	*seen = true;
	if (am_spf_domain_spec_check(v, vn, err, errlen) != 0) {
		char inner[96];
		snprintf(inner, sizeof(inner), "%s", err);
		return fail(err, errlen, "'%.*s': %s", t, n, inner);
	}
	return 0;
}

/* One term: a modifier if a name is followed by '=', else a directive. */
static int term_check(const char *t, size_t n, struct term_state *st, char *err, size_t errlen)
{
	size_t i = 0;

	if (n > 0 && is_alpha(t[0])) {
		for (i = 1; i < n && (is_alnum(t[i]) || strchr("-_.", t[i]) != NULL); i++)
			;
		if (i < n && t[i] == '=')
			return modifier_check(t, i, n, st, err, errlen);
	}
	return directive_check(t, n, err, errlen);
}

bool am_spf_record_is_spf1(const char *txt, size_t len)
{
	return len >= 6 && strncasecmp(txt, "v=spf1", 6) == 0 && (len == 6 || txt[6] == ' ');
}

/* record = version terms *SP; terms separated by one or more spaces. */
int am_spf_record_check(const char *txt, size_t len, char *err, size_t errlen)
{
	struct term_state st = {false, false};
	size_t i = 6;

	if (!am_spf_record_is_spf1(txt, len)) {
		snprintf(err, errlen, "not an SPF version 1 record");
		return -1;
	}
	for (size_t k = 0; k < len; k++) {
		unsigned char c = (unsigned char)txt[k];
		if (c < 0x20 || c > 0x7e) {
			snprintf(err, errlen, "byte 0x%02x at offset %zu: only printable ASCII and "
				 "spaces are allowed", c, k);
			return -1;
		}
	}
	for (size_t start, tlen; am_spf_next_term(txt, len, &i, &start, &tlen);)
		if (term_check(txt + start, tlen, &st, err, errlen) != 0)
			return -1;
	return 0;
}

bool am_spf_next_term(const char *txt, size_t len, size_t *pos, size_t *start, size_t *tlen)
{
	size_t i = *pos;

	while (i < len && txt[i] == ' ')
		i++;
	if (i >= len)
		return false;
	*start = i;
	while (i < len && txt[i] != ' ')
		i++;
	*tlen = i - *start;
	*pos = i;
	return true;
}

int am_spf_explain_check(const char *txt, size_t len, char *err, size_t errlen)
{
	bool ends_macro;
	return macro_string_check(txt, len, true, &ends_macro, err, errlen);
}

/* Label lengths of a dotted name (no trailing dot): all 1-63 bytes? */
static bool labels_ok(const char *s, size_t n, unsigned *labels)
{
	size_t start = 0;

	*labels = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (i == start || i - start > 63)
			return false;
		(*labels)++;
		start = i + 1;
	}
	return true;
}

bool am_spf_domain_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	unsigned labels;
	const char *top;

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > 253 || name[0] == '[')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] <= 0x20 || (unsigned char)name[i] >= 0x7f)
			return false;
	if (!labels_ok(name, n, &labels) || labels < 2)
		return false;
	for (top = name + n; top > name && top[-1] != '.'; top--)
		;
	return strspn(top, "0123456789") < (size_t)(name + n - top);
}

int am_spf_query_name(const char *in, char *out, size_t outlen)
{
	size_t n = in ? strlen(in) : 0;
	unsigned labels;

	if (n > 0 && in[n - 1] == '.')
		n--;
	while (n > 253) {
		const char *dot = memchr(in, '.', n);
		if (dot == NULL)
			return -1;
		n -= (size_t)(dot + 1 - in);
		in = dot + 1;
	}
	if (n == 0 || n >= outlen || in[0] == '.' || !labels_ok(in, n, &labels))
		return -1;
	/* spaces and 8-bit bytes are legal in DNS labels (macro-mania-in-domain
	 * looks one up); control bytes and '\\' (resolver escapes) are not */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)in[i] < 0x20 || in[i] == 0x7f || in[i] == '\\')
			return -1;
	memcpy(out, in, n);
	out[n] = '\0';
	return 0;
}
