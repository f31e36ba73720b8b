/*
 * am_from.c - RFC5322.From parsing for DMARC (see am_from.h).
 *
 * A small lexer turns a header value into tokens (atoms, quoted strings,
 * domain literals, specials), skipping folding white space and nested
 * comments; a recursive-descent parser then walks RFC 5322 address-list
 * syntax (mailbox, name-addr, angle-addr with obsolete route, addr-spec,
 * RFC 6854 group). Two tolerances are deliberate and safe because they do
 * not change which domain an MUA shows: a group missing its final ';' at
 * the end of the value (so "From: a@b" passed with its field name still
 * parses), and a trailing dot on a domain. Everything else that does not
 * parse is AM_FROM_SYNTAX, never a best guess.
 */
#include "am_from.h"

#include <ctype.h>
#include <idn2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FROM_MAX_LEN 16384

enum tk { T_ATOM, T_QSTR, T_DOT, T_DLIT, T_LT, T_GT, T_AT, T_COMMA, T_COLON, T_SEMI, T_END };

struct tok {
	enum tk k;
	size_t off, len;
};

struct parser {
	const char *s;
	struct tok *t;
	size_t n, pos;
	struct am_from *out;
	enum am_from_status err;
	char reason[128];
};

/* Short name of a status, for logs and AR comments. */
const char *am_from_status_name(enum am_from_status st)
{
	switch (st) {
	case AM_FROM_OK: return "ok";
	case AM_FROM_MISSING: return "missing";
	case AM_FROM_MULTIPLE_HEADERS: return "multiple-headers";
	case AM_FROM_MULTIPLE_DOMAINS: return "multiple-domains";
	case AM_FROM_NO_ADDRESS: return "no-address";
	case AM_FROM_SYNTAX: return "syntax";
	case AM_FROM_BAD_DOMAIN: return "bad-domain";
	case AM_FROM_OVER_LIMIT: return "over-limit";
	}
	return "unknown";
}

/* Record the first error of a parse; later ones are consequences. */
static int fail(struct parser *p, enum am_from_status st, const char *why)
{
	if (p->err == AM_FROM_OK) {
		p->err = st;
		snprintf(p->reason, sizeof p->reason, "%s", why);
	}
	return -1;
}

/* RFC 5322 atext, plus any 8-bit byte (RFC 6532 UTF8-non-ascii). */
static bool is_atext(unsigned char c)
{
	if (c >= 0x80 || isalnum(c))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* Skip white space (folded or not) and nested comments. */
static int skip_cfws(struct parser *p, size_t *i)
{
	const char *s = p->s;
	for (;;) {
		while (s[*i] == ' ' || s[*i] == '\t' || s[*i] == '\r' || s[*i] == '\n')
			(*i)++;
		if (s[*i] != '(')
			return 0;
		int depth = 0;
		do {
			char c = s[*i];
			if (c == '\0')
				return fail(p, AM_FROM_SYNTAX, "unterminated comment");
			if (c == '\\' && s[*i + 1] != '\0')
				(*i)++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			(*i)++;
		} while (depth > 0);
	}
}

/* Scan a quoted string or domain literal ending in `close`. */
static int scan_quoted(struct parser *p, size_t *i, char close, const char *what)
{
	for ((*i)++; p->s[*i] != close; (*i)++) {
		if (p->s[*i] == '\0')
			return fail(p, AM_FROM_SYNTAX, what);
		if (p->s[*i] == '\\' && p->s[*i + 1] != '\0')
			(*i)++;
	}
	(*i)++;
	return 0;
}

/* Map a one-character special to its token kind, or T_END if none. */
static enum tk special(char c)
{
	static const char sp[] = ".<>@,:;";
	static const enum tk kinds[] = { T_DOT, T_LT, T_GT, T_AT, T_COMMA, T_COLON, T_SEMI };
	const char *q = c ? strchr(sp, c) : NULL;
	return q ? kinds[q - sp] : T_END;
}

/* Split the value into tokens (at most strlen+1 of them). */
static int lex(struct parser *p)
{
	size_t i = 0;
	for (;;) {
		if (skip_cfws(p, &i) < 0)
			return -1;
		struct tok *t = &p->t[p->n++];
		unsigned char c = (unsigned char)p->s[i];
		t->off = i;
		if (c == '\0') {
			t->k = T_END;
			t->len = 0;
			return 0;
		}
		if (c == '"') {
			t->k = T_QSTR;
			if (scan_quoted(p, &i, '"', "unterminated quoted string") < 0)
				return -1;
		} else if (c == '[') {
			t->k = T_DLIT;
			if (scan_quoted(p, &i, ']', "unterminated domain literal") < 0)
				return -1;
		} else if (special((char)c) != T_END) {
			t->k = special((char)c);
			i++;
		} else if (is_atext(c)) {
			t->k = T_ATOM;
			while (is_atext((unsigned char)p->s[i]))
				i++;
		} else {
			char why[64];
			snprintf(why, sizeof why, "unexpected character 0x%02x", c);
			return fail(p, AM_FROM_SYNTAX, why);
		}
		t->len = i - t->off;
	}
}

static enum tk cur(const struct parser *p)
{
	return p->t[p->pos].k;
}

/* Remember one mailbox's (normalised) domain, once per distinct value. */
static void add_domain(struct am_from *out, const char *dom)
{
	out->nmailboxes++;
	for (size_t k = 0; k < out->ndomains; k++)
		if (strcmp(out->domains[k], dom) == 0)
			return;
	if (out->ndomains < AM_FROM_MAX_DOMAINS)
		snprintf(out->domains[out->ndomains++], AM_DOMAIN_MAX, "%s", dom);
	else
		out->too_many_domains = true;
}

/* domain = dot-atom [ "." ] (obs forms with CFWS already skipped). */
static int parse_domain(struct parser *p)
{
	char raw[AM_DOMAIN_MAX * 2], dom[AM_DOMAIN_MAX], err[96];
	size_t len = 0;
	if (cur(p) == T_DLIT)
		return fail(p, AM_FROM_BAD_DOMAIN, "domain literal, no DMARC possible");
	if (cur(p) != T_ATOM)
		return fail(p, AM_FROM_SYNTAX, "missing domain after '@'");
	for (;;) {
		const struct tok *t = &p->t[p->pos];
		if (len + t->len + 2 > sizeof raw)
			return fail(p, AM_FROM_BAD_DOMAIN, "domain too long");
		memcpy(raw + len, p->s + t->off, t->len);
		len += t->len;
		p->pos++;
		if (cur(p) != T_DOT)
			break;
		p->pos++;
		raw[len++] = '.';
		if (cur(p) != T_ATOM)
			break; /* trailing dot (tolerated) or an error caught by the caller */
	}
	raw[len] = '\0';
	if (am_domain_normalize(raw, dom, sizeof dom, err, sizeof err) < 0)
		return fail(p, AM_FROM_BAD_DOMAIN, err);
	add_domain(p->out, dom);
	return 0;
}

/* addr-spec = local-part "@" domain; local-part: words joined by dots. */
static int parse_addr_spec(struct parser *p)
{
	size_t start = p->pos;
	enum tk prev = T_DOT;
	while (cur(p) == T_ATOM || cur(p) == T_QSTR || cur(p) == T_DOT) {
		if (cur(p) != T_DOT && prev != T_DOT)
			return fail(p, AM_FROM_SYNTAX, "words without '.' in a local part (display name without <>?)");
		prev = cur(p);
		p->pos++;
	}
	if (p->pos == start)
		return fail(p, AM_FROM_SYNTAX, "empty local part");
	if (cur(p) != T_AT)
		return fail(p, AM_FROM_SYNTAX, "address without '@'");
	p->pos++;
	return parse_domain(p);
}

/* angle-addr = "<" [obs-route] addr-spec ">" */
static int parse_angle(struct parser *p)
{
	p->pos++; /* '<' */
	if (cur(p) == T_GT)
		return fail(p, AM_FROM_SYNTAX, "empty address <>");
	if (cur(p) == T_AT) { /* obs-route: @a,@b: */
		while (cur(p) != T_COLON) {
			if (cur(p) == T_END || cur(p) == T_GT)
				return fail(p, AM_FROM_SYNTAX, "bad source route");
			p->pos++;
		}
		p->pos++;
	}
	if (parse_addr_spec(p) < 0)
		return -1;
	if (cur(p) != T_GT)
		return fail(p, AM_FROM_SYNTAX, "missing '>' after address");
	p->pos++;
	return 0;
}

static int parse_list(struct parser *p, bool in_group);

/* address = mailbox / group, told apart by what follows the words. */
static int parse_address(struct parser *p, bool in_group)
{
	size_t j = p->pos;
	while (p->t[j].k == T_ATOM || p->t[j].k == T_QSTR || p->t[j].k == T_DOT)
		j++;
	switch (p->t[j].k) {
	case T_LT:
		p->pos = j;
		return parse_angle(p);
	case T_AT:
		return parse_addr_spec(p);
	case T_COLON:
		if (in_group)
			return fail(p, AM_FROM_SYNTAX, "group inside a group");
		if (j == p->pos)
			return fail(p, AM_FROM_SYNTAX, "group without a name");
		p->pos = j + 1;
		return parse_list(p, true);
	default:
		if (j == p->pos)
			return fail(p, AM_FROM_SYNTAX, "unexpected special character");
		return fail(p, AM_FROM_SYNTAX, "display name without an address");
	}
}

/* After an address that did not parse: on to the next one (a ',' or a
 * ';', which some mail programs take as a separator). The first error
 * stays the status, but the
 * mailboxes after it are still read: garbage placed before a spoofed
 * mailbox must not hide its domain from DMARC (a permerror alone would
 * leave the verdict to the scores, milder than that domain's policy). */
static void skip_to_next(struct parser *p)
{
	enum tk k;

	while ((k = cur(p)) != T_END && k != T_COMMA && k != T_SEMI)
		p->pos++;
}

/* address-list / group-list, empty elements allowed (obs-addr-list). */
static int parse_list(struct parser *p, bool in_group)
{
	for (;;) {
		enum tk k = cur(p);
		if (k == T_END)
			return 0; /* a group may lack its ';' at the very end */
		if (in_group && k == T_SEMI) {
			p->pos++;
			return 0;
		}
		if (k == T_COMMA) {
			p->pos++;
			continue;
		}
		if (k == T_SEMI) { /* outside a group: an error, then read on */
			fail(p, AM_FROM_SYNTAX, "';' outside a group");
			p->pos++;
			continue;
		}
		if (parse_address(p, in_group) < 0) {
			skip_to_next(p);
			continue;
		}
		k = cur(p);
		if (k == T_COMMA) {
			p->pos++;
		} else if (k != T_END && !(in_group && k == T_SEMI)) {
			fail(p, AM_FROM_SYNTAX, "unexpected text after an address");
			skip_to_next(p);
		}
	}
}

/* Parse one header value into out (domains accumulate across calls). */
static enum am_from_status parse_value(const char *value, struct am_from *out, char *reason,
				       size_t reasonlen)
{
	struct parser p = { .s = value, .out = out };
	size_t len = strlen(value);
	if (len > FROM_MAX_LEN) { /* unread mailboxes could name any domain */
		snprintf(reason, reasonlen, "From header longer than %d bytes", FROM_MAX_LEN);
		return AM_FROM_OVER_LIMIT;
	}
	size_t before = out->nmailboxes;
	p.t = calloc(len + 2, sizeof *p.t);
	if (p.t == NULL) {
		snprintf(reason, reasonlen, "out of memory");
		return AM_FROM_SYNTAX;
	}
	if (lex(&p) == 0 && parse_list(&p, false) == 0 && cur(&p) != T_END)
		fail(&p, AM_FROM_SYNTAX, "unexpected text after the address list");
	free(p.t);
	if (p.err == AM_FROM_OK && out->nmailboxes == before) {
		bool blank = strspn(value, " \t\r\n") == len;
		fail(&p, blank ? AM_FROM_SYNTAX : AM_FROM_NO_ADDRESS,
		     blank ? "empty From header" : "From names no mailbox (empty group)");
	}
	snprintf(reason, reasonlen, "%s", p.reason);
	return p.err;
}

/* Over a limit: no author can be determined (see AM_FROM_OVER_LIMIT). */
static enum am_from_status over_limit(struct am_from *out)
{
	if (out->status != AM_FROM_OVER_LIMIT) /* else keep the first reason */
		snprintf(out->reason, sizeof out->reason,
			 "From names more than %d distinct domains (%zu mailboxes)", AM_FROM_MAX_DOMAINS,
			 out->nmailboxes);
	out->domain[0] = '\0';
	return out->status = AM_FROM_OVER_LIMIT;
}

/* Parse all From headers of a message and classify the outcome. */
enum am_from_status am_from_parse(const char *const *values, size_t count, struct am_from *out)
{
	memset(out, 0, sizeof *out);
	out->nheaders = count;
	if (count == 0) {
		snprintf(out->reason, sizeof out->reason, "no From header");
		return out->status = AM_FROM_MISSING;
	}
	for (size_t i = 0; i < count; i++) {
		char why[128];
		enum am_from_status st = parse_value(values[i] ? values[i] : "", out, why, sizeof why);
		/* the first error names the status, but a limit beats any error */
		if (st != AM_FROM_OK && (out->status == AM_FROM_OK || st == AM_FROM_OVER_LIMIT) &&
		    out->status != AM_FROM_OVER_LIMIT) {
			out->status = st;
			if (count > 1)
				snprintf(out->reason, sizeof out->reason, "From #%zu: %.96s", i + 1, why);
			else
				snprintf(out->reason, sizeof out->reason, "%s", why);
		}
	}
	if (out->too_many_domains || out->status == AM_FROM_OVER_LIMIT)
		return over_limit(out);
	if (out->status == AM_FROM_SYNTAX || out->status == AM_FROM_BAD_DOMAIN)
		return out->status;
	if (count > 1) {
		out->status = AM_FROM_MULTIPLE_HEADERS;
		snprintf(out->reason, sizeof out->reason, "%zu From headers", count);
	} else if (out->ndomains > 1) {
		out->status = AM_FROM_MULTIPLE_DOMAINS;
		snprintf(out->reason, sizeof out->reason, "From names %zu mailboxes in %zu domains",
			 out->nmailboxes, out->ndomains);
	}
	if (out->status == AM_FROM_OK)
		snprintf(out->domain, sizeof out->domain, "%s", out->domains[0]);
	return out->status;
}

/* More From headers than the caller kept: over the limit, whatever they say. */
void am_from_too_many_headers(struct am_from *out, size_t count, size_t max)
{
	out->nheaders = count;
	out->status = AM_FROM_OVER_LIMIT;
	out->domain[0] = '\0';
	snprintf(out->reason, sizeof out->reason, "%zu From headers, more than the %zu evaluated", count, max);
}

/* Parse one From header value. */
enum am_from_status am_from_parse_one(const char *value, struct am_from *out)
{
	return am_from_parse(&value, 1, out);
}

/* Check that d is an LDH domain name: labels of 1-63 ASCII letters,
 * digits and hyphens, no hyphen at either end of one, at most 253 in all.
 * With idna_free, also refuse a label with hyphens in its 3rd and 4th
 * places, which leaves every "xn--" label to libidn2: a name passing then
 * is what libidn2 would return merely lower-cased, so the IDNA mapping (a
 * tenth of a message's instructions) is saved for the common all-ASCII
 * domain. 0, or -1 with the reason in err (NULL and 0 allowed). */
static int check_ldh(const char *d, bool idna_free, char *err, size_t errlen)
{
	size_t total = strlen(d), label = 0;
	if (total == 0 || total > 253) {
		snprintf(err, errlen, "domain length %zu out of range", total);
		return -1;
	}
	for (size_t i = 0; i <= total; i++) {
		unsigned char c = (unsigned char)d[i];
		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || d[i - 1] == '-' || d[i - label] == '-' ||
			    (idna_free && label >= 4 && d[i - label + 2] == '-' && d[i - label + 3] == '-')) {
				snprintf(err, errlen, "bad label in domain %.64s", d);
				return -1;
			}
			label = 0;
		} else if ((isalnum(c) && c < 0x80) || c == '-') {
			label++;
		} else {
			snprintf(err, errlen, "invalid character 0x%02x in domain", c);
			return -1;
		}
	}
	return 0;
}

/* Normalise a domain to a lower-case A-label (see am_from.h). */
int am_domain_normalize(const char *in, char *out, size_t outlen, char *err, size_t errlen)
{
	char buf[AM_DOMAIN_MAX * 4];
	size_t len = strlen(in);
	if (len == 0 || len >= sizeof buf) {
		snprintf(err, errlen, "domain empty or too long");
		return -1;
	}
	memcpy(buf, in, len + 1);
	if (buf[len - 1] == '.')
		buf[--len] = '\0';
	if (len == 0 || buf[0] == '.' || strstr(buf, "..") != NULL) {
		snprintf(err, errlen, "empty label in domain");
		return -1;
	}
	if (check_ldh(buf, true, NULL, 0) == 0) {
		if (len >= outlen) {
			snprintf(err, errlen, "domain too long");
			return -1;
		}
		for (size_t i = 0; i <= len; i++)
			out[i] = (char)tolower((unsigned char)buf[i]);
		return 0;
	}
	uint8_t *alabel = NULL;
	int rc = idn2_lookup_u8((const uint8_t *)buf, &alabel, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK) {
		snprintf(err, errlen, "invalid IDN: %s", idn2_strerror(rc));
		return -1;
	}
	int ret = check_ldh((const char *)alabel, false, err, errlen);
	if (ret == 0) {
		for (char *c = (char *)alabel; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		if ((size_t)snprintf(out, outlen, "%s", (const char *)alabel) >= outlen) {
			snprintf(err, errlen, "domain too long");
			ret = -1;
		}
	}
	idn2_free(alabel);
	return ret;
}
