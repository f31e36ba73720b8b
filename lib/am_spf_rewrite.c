/*
 * am_spf_rewrite.c - turn a record that passed the RFC 7208 syntax check
 * (am_spf_record.c) into text libspf2 1.2.10 compiles and evaluates with
 * RFC 7208's meaning. libspf2 rejects legal unknown modifiers, evaluates
 * redirect= where it stands instead of after the mechanisms, and cannot
 * express a prefix length of 0 (it uses 0 for "full length"). Only the
 * form changes: every rewrite here has the same outcome as the original
 * term for the given client address family. No DNS, no evaluation.
 * Not rewritten: the macro delimiters ',' and '/' (legal, but libspf2 knows
 * only . - + = _ and its own |); such a record stays a permerror.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "am_spf_record.h"

struct out {
	char *buf;
	size_t cap, len;
	bool overflow;
};

/* Append n bytes. */
static void put(struct out *o, const char *s, size_t n)
{
	if (o->overflow || o->len + n + 1 > o->cap) {
		o->overflow = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

/* Append a NUL-terminated string. */
static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* Is the mechanism name t[0..n) equal to name (any case)? */
static bool is_mech(const char *t, size_t n, const char *name)
{
	return n == strlen(name) && strncasecmp(t, name, n) == 0;
}

/* "0" as a CIDR length? */
static bool is_zero(const char *digits, size_t n)
{
	return digits != NULL && n == 1 && digits[0] == '0';
}

/* ip4:X/0 and ip6:X/0 match every address of their family: two /1
 * halves with the same qualifier say exactly that. */
static bool rewrite_ip(struct out *o, const char *q, size_t qn, const char *name, const char *r,
		       size_t n)
{
	const char *slash = memchr(r, '/', n);
	bool v6 = is_mech(name, 3, "ip6");

	if (slash == NULL || !is_zero(slash + 1, n - (size_t)(slash + 1 - r)))
		return false;
	put(o, " ", 1), put(o, q, qn), puts_(o, v6 ? "ip6:::/1" : "ip4:0.0.0.0/1");
	put(o, " ", 1), put(o, q, qn), puts_(o, v6 ? "ip6:8000::/1" : "ip4:128.0.0.0/1");
	return true;
}

/* a/mx: the prefix length of the client's family decides; the other
 * family's length is irrelevant to this client and dropped when 0. With
 * a length of 0 the term matches any address found: the target gets
 * AM_SPF_ANY_TAG and the DNS layer answers accordingly. */
static void rewrite_dual(struct out *o, const char *t, size_t name_end, const char *r, size_t n,
			 int family)
{
	struct am_spf_dual_cidr dc;
	const char *mine;
	size_t mine_len;

	am_spf_dual_cidr_split(r, n, &dc);
	mine = family == AF_INET6 ? dc.ip6 : dc.ip4;
	mine_len = family == AF_INET6 ? dc.ip6_len : dc.ip4_len;
	put(o, " ", 1), put(o, t, name_end);
	if (is_zero(mine, mine_len)) {
		size_t dlen = dc.body_len;
		if (dlen > 1 && r[dlen - 1] == '.')
			dlen--;
		if (dlen > 0)
			put(o, r, dlen);
		else
			puts_(o, ":%{d}");
		puts_(o, "." AM_SPF_ANY_TAG);
		return;
	}
	put(o, r, dc.body_len);
	if (dc.ip4 != NULL && !is_zero(dc.ip4, dc.ip4_len))
		put(o, "/", 1), put(o, dc.ip4, dc.ip4_len);
	if (dc.ip6 != NULL && !is_zero(dc.ip6, dc.ip6_len))
		put(o, "//", 2), put(o, dc.ip6, dc.ip6_len);
}

/* One term; redirect and has_all collect what the end of the record needs. */
static void rewrite_term(struct out *o, const char *t, size_t n, int family, const char **redirect,
			 size_t *redirect_len, bool *has_all)
{
	size_t i = 0, q, name;

	if (n > 0 && ((t[0] | 0x20) >= 'a' && (t[0] | 0x20) <= 'z'))
		while (++i < n && (strchr("-_.", t[i]) != NULL ||
				   ((t[i] | 0x20) >= 'a' && (t[i] | 0x20) <= 'z') ||
				   (t[i] >= '0' && t[i] <= '9')))
			;
	if (i > 0 && i < n && t[i] == '=') { /* a modifier */
		if (is_mech(t, i, "redirect"))
			*redirect = t + i + 1, *redirect_len = n - i - 1;
		else if (is_mech(t, i, "exp"))
			put(o, " ", 1), put(o, t, n);
		return; /* unknown modifiers are ignored (RFC 7208 6) */
	}
	q = strchr("+-?~", t[0]) != NULL ? 1 : 0;
	for (name = q; name < n && t[name] != ':' && t[name] != '/'; name++)
		;
	if (is_mech(t + q, name - q, "all"))
		*has_all = true;
	if ((is_mech(t + q, name - q, "ip4") || is_mech(t + q, name - q, "ip6")) &&
	    rewrite_ip(o, t, q, t + q, t + name, n - name))
		return;
	if (is_mech(t + q, name - q, "a") || is_mech(t + q, name - q, "mx")) {
		rewrite_dual(o, t, name, t + name, n - name, family);
		return;
	}
	put(o, " ", 1), put(o, t, n);
}

/* %{d200}: more parts than exist means all of them (RFC 7208 7.3), but
 * libspf2 rejects a count over 128; no value has more than 128 parts. */
static void clamp_part_counts(struct out *o)
{
	char *p = o->buf;

	while ((p = strchr(p, '%')) != NULL) {
		char *d = p + 3, *e = d;
		unsigned long v = 0;
		if (p[1] != '{' || p[2] == '\0') { /* "%%", "%_", "%-" */
			p += p[1] ? 2 : 1;
			continue;
		}
		for (; *e >= '0' && *e <= '9'; e++) /* every digit consumed, however many */
			v = v > 1000 ? v : v * 10 + (unsigned long)(*e - '0');
		if (v > 128) {
			memcpy(d, "128", 3);
			memmove(d + 3, e, strlen(e) + 1);
			o->len -= (size_t)(e - d) - 3;
		}
		p = d;
	}
}

int am_spf_record_rewrite(const char *txt, size_t len, int family, char *out, size_t outlen)
{
	struct out o = {out, outlen, 0, false};
	const char *redirect = NULL;
	size_t redirect_len = 0, i = 6;
	bool has_all = false;

	put(&o, txt, 6 < len ? 6 : len); /* "v=spf1" */
	for (size_t start, tlen; am_spf_next_term(txt, len, &i, &start, &tlen);)
		rewrite_term(&o, txt + start, tlen, family, &redirect, &redirect_len, &has_all);
	if (redirect != NULL && !has_all) /* RFC 7208 6.1 */
		puts_(&o, " redirect="), put(&o, redirect, redirect_len);
	if (o.overflow)
		return -1;
	clamp_part_counts(&o);
	return (int)o.len;
}
