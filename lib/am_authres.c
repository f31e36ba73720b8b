/*
 * am_authres.c - writes our Authentication-Results header and recognises
 * forged ones. RFC 8601: one header per message, authserv-id first, one
 * resinfo per method and identity; a receiver must delete incoming headers
 * that carry its own authserv-id (section 5), which am_authres_claims()
 * tells. Nothing from the wire reaches the header unquoted.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "am_authres.h"
#include "am_domlist.h"
#include "am_dmarc_record.h"

/* RFC 2045 token characters: printable ASCII except tspecials and space. */
static bool is_token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* Values that are dot-atoms or addresses may contain '@' (RFC 8601 allows
 * a local-part@domain pvalue); everything else must be a token. */
static bool is_plain_value(const char *v)
{
	if (*v == '\0')
		return false;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (!is_token_char(*p) && *p != '@')
			return false;
	return strchr(v, '@') == strrchr(v, '@');
}

/* A pvalue: token as is, else a quoted-string of printable ASCII. */
void am_authres_value(const char *v, char *out, size_t outlen)
{
	size_t o = 0;

	if (outlen < 3) {
		if (outlen)
			out[0] = '\0';
		return;
	}
	if (is_plain_value(v) && strlen(v) < outlen) {
		memcpy(out, v, strlen(v) + 1);
		return;
	}
	out[o++] = '"';
	for (const unsigned char *p = (const unsigned char *)v; *p && o + 3 < outlen; p++) {
		if (*p < 0x20 || *p >= 0x7f)
			continue;
		if (*p == '"' || *p == '\\')
			out[o++] = '\\';
		out[o++] = (char)*p;
	}
	out[o++] = '"';
	out[o] = '\0';
}

/* Appends to a fixed buffer and remembers overflow. */
struct sink {
	char *buf;
	size_t len, cap;
	size_t line_start;   /* where the current folded line begins */
	bool overflow;
};

/* s->len grew by n bytes: note where the last folded line starts. */
static void grew(struct sink *s, size_t n)
{
	s->len += n;
	for (size_t k = s->len - n; k < s->len; k++)
		if (s->buf[k] == '\n')
			s->line_start = k + 1;
}

/* Append the strings up to the NULL as one piece: all of it, or nothing
 * and overflow. Most of the header is such copies; a format string each
 * cost a vsnprintf (some 20 a message). */
static void put_texts(struct sink *s, ...) __attribute__((sentinel));
static void put_texts(struct sink *s, ...)
{
	va_list ap;
	const char *t;
	size_t n = 0;

	if (s->overflow)
		return;
	va_start(ap, s);
	while ((t = va_arg(ap, const char *)) != NULL)
		n += strlen(t);
	va_end(ap);
	if (n >= s->cap - s->len) {
		s->overflow = true;
		s->buf[s->len] = '\0';
		return;
	}
	va_start(ap, s);
	for (size_t at = s->len; (t = va_arg(ap, const char *)) != NULL;) {
		size_t k = strlen(t);
		memcpy(s->buf + at, t, k);
		at += k;
	}
	va_end(ap);
	s->buf[s->len + n] = '\0';
	grew(s, n);
}

/* Append a formatted piece (the few with numbers), all or nothing. */
static void put(struct sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct sink *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(s->buf + s->len, s->cap - s->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= s->cap - s->len) {
		s->overflow = true;
		s->buf[s->len] = '\0';
		return;
	}
	grew(s, (size_t)n);
}

/* " name=value", folded onto a new line when this one would pass 78. */
static void put_prop(struct sink *s, const char *name, const char *value)
{
	size_t add = 1 + strlen(name) + 1 + strlen(value);
	bool fold = s->len - s->line_start + add > 78;

	put_texts(s, fold ? "\n\t" : " ", name, "=", value, NULL);
}

static void comment_text(const char *in, char *out, size_t outlen);

/* "; spf=RESULT smtp.PROP=VALUE", starting a folded line; without a
 * domain (a MAIL FROM that is not one mailbox) the reason as a comment. */
static void put_spf(struct sink *s, const struct am_spf_result *spf, const char *prop)
{
	char v[AM_DOMAIN_MAX + 8];

	if (!spf->checked)
		return;
	put_texts(s, ";\n\tspf=", am_result_name(spf->result), NULL);
	if (spf->domain[0] == '\0') {
		comment_text(spf->reason, v, sizeof(v));
		put_texts(s, " (", v[0] ? v : "no domain", ")", NULL);
		return;
	}
	am_authres_value(spf->domain, v, sizeof(v));
	put_prop(s, prop, v);
}

/* One dkim= resinfo per signature. */
static void put_dkim(struct sink *s, const struct am_dkim_sig *sig)
{
	char d[AM_DOMAIN_MAX + 8], i[AM_ADDR_MAX + 8], sel[80], a[48], b[16];

	am_authres_value(sig->domain, d, sizeof(d));
	am_authres_value(sig->identity, i, sizeof(i));
	am_authres_value(sig->selector, sel, sizeof(sel));
	am_authres_value(sig->algorithm, a, sizeof(a));
	am_authres_value(sig->b_prefix, b, sizeof(b));
	put_texts(s, ";\n\tdkim=", am_result_name(sig->result), NULL);
	if (sig->key_bits)
		put(s, " (%u-bit key%s)", sig->key_bits, sig->body_partial ? "; partial body" : "");
	if (sig->domain[0])
		put_prop(s, "header.d", d);
	if (sig->identity[0])
		put_prop(s, "header.i", i);
	if (sig->selector[0])
		put_prop(s, "header.s", sel);
	if (sig->algorithm[0])
		put_prop(s, "header.a", a);
	if (sig->b_prefix[0])
		put_prop(s, "header.b", b);
}

/* dmarc=RESULT (p= sp= dis=) header.from= polrec.p= polrec.domain= */
static void put_dmarc(struct sink *s, const struct am_dmarc_result *d)
{
	char v[AM_DOMAIN_MAX + 8];

	put_texts(s, ";\n\tdmarc=", am_result_name(d->result), NULL);
	if (d->p != AM_DMARC_P_UNSPEC) {
		put_texts(s, " (p=", am_dmarc_policy_name(d->p), NULL);
		if (d->sp != AM_DMARC_P_UNSPEC)
			put_texts(s, " sp=", am_dmarc_policy_name(d->sp), NULL);
		put_texts(s, " dis=", am_dmarc_policy_name(d->disposition), NULL);
		/* RFC 9989 5.4: say why the disposition deviates (RFC 9990 types) */
		for (unsigned i = 0; i < d->noverrides && i < AM_DMARC_OVERRIDES_MAX; i++)
			put_texts(s, i ? "," : " override=", am_dmarc_override_name(d->overrides[i].type), NULL);
		put_texts(s, ")", NULL);
	}
	if (d->header_from[0]) {
		am_authres_value(d->header_from, v, sizeof(v));
		put_prop(s, "header.from", v);
	}
	/* IANA's Email Authentication Methods registry: polrec.p is the p=
	 * value read from the policy record, polrec.domain that record's
	 * domain if it is not the From domain. What sp=/np= made of a
	 * failure is the comment's dis=. */
	if (d->p != AM_DMARC_P_UNSPEC)
		put_prop(s, "polrec.p", am_dmarc_policy_name(d->p));
	if (d->policy_domain[0] && strcmp(d->policy_domain, d->header_from) != 0) {
		am_authres_value(d->policy_domain, v, sizeof(v));
		put_prop(s, "polrec.domain", v);
	}
}

/* Our own reason text as an RFC 8601 comment: no parentheses, backslashes
 * or control bytes. */
static void comment_text(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p && o + 1 < outlen; p++)
		if (*p >= 0x20 && *p < 0x7f && *p != '(' && *p != ')' && *p != '\\')
			out[o++] = (char)*p;
	out[o] = '\0';
}

/* bimi=RESULT (reason) header.d= header.selector= policy.authority= */
static void put_bimi(struct sink *s, const struct am_bimi_result *b)
{
	char v[AM_DOMAIN_MAX + 8], why[sizeof(b->reason)];

	put_texts(s, ";\n\tbimi=", am_bimi_outcome_name(b->result), NULL);
	if (b->result != AM_BIMI_PASS && b->reason[0]) {
		comment_text(b->reason, why, sizeof(why));
		put_texts(s, " (", why, ")", NULL);
	}
	if (b->domain[0] && (b->result == AM_BIMI_PASS || b->result == AM_BIMI_DECLINED ||
			     b->result == AM_BIMI_FAIL)) {
		am_authres_value(b->domain, v, sizeof(v));
		put_prop(s, "header.d", v);
		am_authres_value(b->selector, v, sizeof(v));
		put_prop(s, "header.selector", v);
	}
	/* The evidence (VMC) is not checked: no authority is claimed. */
	if (b->result == AM_BIMI_PASS)
		put_prop(s, "policy.authority", "none");
}

/* arc=RESULT (why) smtp.remote-ip= header.oldest-pass= (RFC 8617 10). */
static void put_arc(struct sink *s, const struct am_arc_result *a)
{
	char v[AM_DOMAIN_MAX + 8], why[sizeof(a->reason)];

	put_texts(s, ";\n\tarc=", am_result_name(a->result), NULL);
	if (a->result == AM_RES_PASS && a->sealer[0]) {
		comment_text(a->sealer, why, sizeof(why));
		put(s, " (i=%u sealer %s)", a->instances, why);
	} else if (a->result != AM_RES_PASS && a->reason[0]) {
		comment_text(a->reason, why, sizeof(why));
		put_texts(s, " (", why, ")", NULL);
	}
	if (a->remote_ip[0]) {
		am_authres_value(a->remote_ip, v, sizeof(v));
		put_prop(s, "smtp.remote-ip", v);
	}
	if (a->result == AM_RES_PASS) {
		snprintf(v, sizeof(v), "%u", a->oldest_pass);
		put_prop(s, "header.oldest-pass", v);
	}
}

/* iprev=RESULT (verified name) policy.iprev=ADDRESS (RFC 8601 2.7.3). */
static void put_iprev(struct sink *s, const struct am_iprev_result *ir)
{
	char v[AM_DOMAIN_MAX + 8];

	put_texts(s, ";\n\tiprev=", am_result_name(ir->result), NULL);
	if (ir->result == AM_RES_PASS && ir->name[0]) {
		comment_text(ir->name, v, sizeof(v));
		put_texts(s, " (", v, ")", NULL);
	}
	am_authres_value(ir->address, v, sizeof(v));
	put_prop(s, "policy.iprev", v);
}

/* auth=pass smtp.auth=USER: the MTA's SMTP AUTH login (RFC 8601 2.7.4). */
static void put_auth(struct sink *s, const char *user)
{
	char v[AM_ADDR_MAX + 8];

	am_authres_value(user, v, sizeof(v));
	put_texts(s, ";\n\tauth=pass", NULL);
	put_prop(s, "smtp.auth", v);
}

/* Is a ends with ".b", or equal to b (ignoring case)? */
static bool same_or_below(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (lb == 0 || la < lb || strcasecmp(a + la - lb, b) != 0)
		return false;
	return la == lb || a[la - lb - 1] == '.';
}

/* A signature that decides DMARC (its d= shares a name with the From domain,
 * one below the other) or passes: kept in a header that must be cut. */
static int sig_rank(const struct am_dkim_sig *sig, const char *from)
{
	bool aligned = from[0] && sig->domain[0] &&
		       (same_or_below(sig->domain, from) || same_or_below(from, sig->domain));

	if (aligned)
		return 2;
	return sig->result == AM_RES_PASS ? 1 : 0;
}

/* Mark which signatures to list: all (limit < 0), or up to limit of those
 * that decide, aligned ones first; returns how many are left out. */
static size_t pick_sigs(const struct am_results *r, long limit, bool *list)
{
	size_t n = r->dkim.count < AM_DKIM_MAX_SIGS ? r->dkim.count : AM_DKIM_MAX_SIGS, left = n;

	for (size_t k = 0; k < n; k++)
		list[k] = limit < 0;
	if (limit < 0)
		return 0;
	for (int rank = 2; rank >= 1; rank--)
		for (size_t k = 0; k < n && limit > 0; k++)
			if (!list[k] && sig_rank(&r->dkim.sigs[k], r->dmarc.header_from) == rank) {
				list[k] = true;
				limit--;
				left--;
			}
	return left;
}

/* The header with the signatures pick_sigs() chose; a comment after the
 * authserv-id says how many were left out (RFC 8601 allows CFWS there). */
static bool build_with(const struct am_results *r, const char *id, long limit, char *out, size_t outlen)
{
	struct sink s = {.buf = out, .cap = outlen};
	bool list[AM_DKIM_MAX_SIGS];
	size_t left = pick_sigs(r, limit, list), before;

	out[0] = '\0';
	put_texts(&s, id, NULL);
	if (left)
		put(&s, " (%zu DKIM signature%s not listed: header too long)", left, left == 1 ? "" : "s");
	before = s.len;
	if (r->auth_user[0])
		put_auth(&s, r->auth_user);
	put_spf(&s, &r->spf_mailfrom, "smtp.mailfrom");
	put_spf(&s, &r->spf_helo, "smtp.helo");
	for (size_t k = 0; k < r->dkim.count && k < AM_DKIM_MAX_SIGS; k++)
		if (list[k])
			put_dkim(&s, &r->dkim.sigs[k]);
	if (r->dkim.checked && r->dkim.count == 0)
		put_texts(&s, ";\n\tdkim=none", NULL);
	if (r->arc.checked && r->arc.result != AM_RES_NONE) /* arc=none: no ARC set, nothing to say */
		put_arc(&s, &r->arc);
	if (r->dmarc.checked)
		put_dmarc(&s, &r->dmarc);
	if (r->bimi.checked)
		put_bimi(&s, &r->bimi);
	if (r->iprev.checked)
		put_iprev(&s, &r->iprev);
	if (s.len == before)
		put_texts(&s, "; none", NULL);
	return !s.overflow;
}

/* Build our header value from the results. Past outlen the header is never
 * left out (a filter reading it would miss dmarc=fail): DKIM entries that
 * decide nothing go first, then the rest from the last, until it fits. */
int am_authres_build(const struct am_results *r, const char *authserv_id, char *out, size_t outlen)
{
	char id[AM_DOMAIN_MAX + 8];

	if (outlen == 0)
		return -1;
	am_authres_value(authserv_id, id, sizeof(id));
	if (build_with(r, id, -1, out, outlen))
		return 0;
	for (long limit = AM_DKIM_MAX_SIGS; limit >= 0; limit--)
		if (build_with(r, id, limit, out, outlen))
			return 0;
	return -1;
}

/* Skip blanks, folding and (nested) comments. */
static const char *skip_cfws(const char *p)
{
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p != '(')
			return p;
		for (int depth = 0; *p; p++) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0) {
				p++;
				break;
			}
		}
	}
}

/* The authserv-id a header value starts with (comments, folding and
 * quotes removed, one final dot dropped) into out; its length. */
static size_t header_id(const char *value, char *out, size_t outlen)
{
	const char *p = skip_cfws(value);
	size_t o = 0;

	if (*p == '"') {
		for (p++; *p && *p != '"' && o + 1 < outlen; p++) {
			if (*p == '\\' && p[1])
				p++;
			out[o++] = *p;
		}
	} else {
		while (*p && *p != ';' && *p != '(' && !isspace((unsigned char)*p) && o + 1 < outlen)
			out[o++] = *p++;
	}
	if (o > 0 && out[o - 1] == '.')
		o--;
	out[o] = '\0';
	return o;
}

/* Does id (len bytes) equal name, ignoring case and a final dot of name? */
static bool id_is(const char *id, size_t len, const char *name, size_t namelen)
{
	if (namelen > 0 && name[namelen - 1] == '.')
		namelen--;
	return len == namelen && len > 0 && strncasecmp(id, name, len) == 0;
}

/* Does the header's authserv-id equal ours (ignoring case and a final dot)? */
bool am_authres_claims(const char *value, const char *authserv_id)
{
	return am_authres_claims_any(value, authserv_id, NULL);
}

/* Ours, or one of the organisation's other authserv-ids? */
bool am_authres_claims_any(const char *value, const char *authserv_id, const char *others)
{
	char id[512];
	size_t len = header_id(value, id, sizeof(id));

	return id_is(id, len, authserv_id, strlen(authserv_id)) || am_domlist_has(others, id, len);
}
