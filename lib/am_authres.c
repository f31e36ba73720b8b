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
		snprintf(out, outlen, "%s", v);
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
	s->len += (size_t)n;
	for (size_t k = s->len - (size_t)n; k < s->len; k++)
		if (s->buf[k] == '\n')
			s->line_start = k + 1;
}

/* " name=value", folded onto a new line when this one would pass 78. */
static void put_prop(struct sink *s, const char *name, const char *value)
{
	size_t add = 1 + strlen(name) + 1 + strlen(value);
	bool fold = s->len - s->line_start + add > 78;

	put(s, "%s%s=%s", fold ? "\n\t" : " ", name, value);
}

/* "; spf=RESULT smtp.PROP=VALUE", starting a folded line. */
static void put_spf(struct sink *s, const struct am_spf_result *spf, const char *prop)
{
	char v[AM_DOMAIN_MAX + 8];

	if (!spf->checked)
		return;
	am_authres_value(spf->domain, v, sizeof(v));
	put(s, ";\n\tspf=%s", am_result_name(spf->result));
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
	put(s, ";\n\tdkim=%s", am_result_name(sig->result));
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

	put(s, ";\n\tdmarc=%s", am_result_name(d->result));
	if (d->p != AM_DMARC_P_UNSPEC) {
		put(s, " (p=%s", am_dmarc_policy_name(d->p));
		if (d->sp != AM_DMARC_P_UNSPEC)
			put(s, " sp=%s", am_dmarc_policy_name(d->sp));
		put(s, " dis=%s", am_dmarc_policy_name(d->disposition));
		/* RFC 9989 5.4: say why the disposition deviates (RFC 9990 types) */
		for (unsigned i = 0; i < d->noverrides && i < AM_DMARC_OVERRIDES_MAX; i++)
			put(s, "%s%s", i ? "," : " override=", am_dmarc_override_name(d->overrides[i].type));
		put(s, ")");
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

	put(s, ";\n\tbimi=%s", am_bimi_outcome_name(b->result));
	if (b->result != AM_BIMI_PASS && b->reason[0]) {
		comment_text(b->reason, why, sizeof(why));
		put(s, " (%s)", why);
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

/* Build our header value from the results. */
int am_authres_build(const struct am_results *r, const char *authserv_id, char *out, size_t outlen)
{
	struct sink s = {.buf = out, .cap = outlen};
	char id[AM_DOMAIN_MAX + 8];
	size_t before;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	am_authres_value(authserv_id, id, sizeof(id));
	put(&s, "%s", id);
	before = s.len;
	put_spf(&s, &r->spf_mailfrom, "smtp.mailfrom");
	put_spf(&s, &r->spf_helo, "smtp.helo");
	for (size_t k = 0; k < r->dkim.count && k < AM_DKIM_MAX_SIGS; k++)
		put_dkim(&s, &r->dkim.sigs[k]);
	if (r->dkim.checked && r->dkim.count == 0)
		put(&s, ";\n\tdkim=none");
	if (r->dmarc.checked)
		put_dmarc(&s, &r->dmarc);
	if (r->bimi.checked)
		put_bimi(&s, &r->bimi);
	if (s.len == before)
		put(&s, "; none");
	return s.overflow ? -1 : 0;
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

/* Does the header's authserv-id equal ours (ignoring case and a final dot)? */
bool am_authres_claims(const char *value, const char *authserv_id)
{
	const char *p = skip_cfws(value), *start;
	size_t len, idlen = strlen(authserv_id);
	char quoted[512];

	if (*p == '"') {
		size_t o = 0;
		for (p++; *p && *p != '"' && o + 1 < sizeof(quoted); p++) {
			if (*p == '\\' && p[1])
				p++;
			quoted[o++] = *p;
		}
		quoted[o] = '\0';
		start = quoted;
		len = o;
	} else {
		start = p;
		while (*p && *p != ';' && *p != '(' && !isspace((unsigned char)*p))
			p++;
		len = (size_t)(p - start);
	}
	if (len > 0 && start[len - 1] == '.')
		len--;
	if (idlen > 0 && authserv_id[idlen - 1] == '.')
		idlen--;
	return len == idlen && len > 0 && strncasecmp(start, authserv_id, len) == 0;
}
