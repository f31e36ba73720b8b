/*
 * am_dmarc_record.c - DMARC record tag-list parsing (see am_dmarc_record.h).
 *
 * Tag names and keyword values compare case-insensitively (ABNF strings
 * are case-insensitive; libopendmarc and Mail::DMARC agree), numbers are
 * digits only. An escaped "\;" (a zone-file quoting slip seen in the wild)
 * reads as ";". Duplicate tags: the first one counts.
 */
#include "am_dmarc_record.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* "none" / "quarantine" / "reject" -> policy, UNSPEC if none of them. */
static enum am_dmarc_policy parse_request(const char *v)
{
	if (strcasecmp(v, "none") == 0)
		return AM_DMARC_P_NONE;
	if (strcasecmp(v, "quarantine") == 0)
		return AM_DMARC_P_QUARANTINE;
	if (strcasecmp(v, "reject") == 0)
		return AM_DMARC_P_REJECT;
	return AM_DMARC_P_UNSPEC;
}

/* One character out of `set`, case-insensitively; 0 if not. */
static char parse_flag(const char *v, const char *set)
{
	if (v[0] == '\0' || v[1] != '\0')
		return 0;
	char c = (char)tolower((unsigned char)v[0]);
	return strchr(set, c) ? c : 0;
}

/* Digits only, value <= max; -1 otherwise. */
static long long parse_uint(const char *v, long long max)
{
	if (*v == '\0' || strlen(v) > 12)
		return -1;
	for (const char *c = v; *c; c++)
		if (!isdigit((unsigned char)*c))
			return -1;
	long long n = strtoll(v, NULL, 10);
	return n <= max ? n : -1;
}

/* fo= items 0/1/d/s separated by ':' (RFC 7489 dmarc-fo). */
static bool valid_fo(const char *v)
{
	const char *c = v;
	for (;;) {
		while (is_wsp(*c))
			c++;
		if (!strchr("01dDsS", *c) || *c == '\0')
			return false;
		c++;
		while (is_wsp(*c))
			c++;
		if (*c == '\0')
			return true;
		if (*c++ != ':')
			return false;
	}
}

/* rf= comma list of afrf / iodef. */
static bool valid_rf(const char *v)
{
	char buf[64];
	if (strlen(v) >= sizeof buf)
		return false;
	strcpy(buf, v);
	char *save = NULL;
	int n = 0;
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save), n++) {
		while (is_wsp(*tok))
			tok++;
		size_t l = strlen(tok);
		while (l > 0 && is_wsp(tok[l - 1]))
			tok[--l] = '\0';
		if (strcasecmp(tok, "afrf") != 0 && strcasecmp(tok, "iodef") != 0)
			return false;
	}
	return n > 0;
}

/* One report URI: a scheme we can use (mailto with '@', http(s)://),
 * no blanks, optional obsolete "!size" suffix. */
static bool usable_uri(const char *u, size_t len)
{
	const char *bang = memchr(u, '!', len);
	if (bang) {
		size_t i = (size_t)(bang - u) + 1, digits = 0;
		while (i < len && isdigit((unsigned char)u[i]))
			i++, digits++;
		if (i < len && strchr("kmgtKMGT", u[i]))
			i++;
		if (digits == 0 || i != len)
			return false;
		len = (size_t)(bang - u);
	}
	for (size_t i = 0; i < len; i++)
		if (isspace((unsigned char)u[i]) || (unsigned char)u[i] < 0x21)
			return false;
	if (len > 7 && strncasecmp(u, "mailto:", 7) == 0)
		return memchr(u + 7, '@', len - 7) != NULL;
	if (len > 7 && strncasecmp(u, "http://", 7) == 0)
		return true;
	return len > 8 && strncasecmp(u, "https://", 8) == 0;
}

/* rua=/ruf=: every URI in the comma list is usable. */
static bool valid_urilist(const char *v)
{
	const char *c = v;
	for (;;) {
		while (is_wsp(*c))
			c++;
		const char *end = strchr(c, ',');
		size_t len = end ? (size_t)(end - c) : strlen(c);
		while (len > 0 && is_wsp(c[len - 1]))
			len--;
		if (!usable_uri(c, len))
			return false;
		if (!end)
			return true;
		c = end + 1;
	}
}

/* Validate one tag value (see header). */
int am_dmarc_tag_check(const char *tag, const char *v)
{
	if (!strcasecmp(tag, "p") || !strcasecmp(tag, "sp") || !strcasecmp(tag, "np"))
		return parse_request(v) != AM_DMARC_P_UNSPEC;
	if (!strcasecmp(tag, "adkim") || !strcasecmp(tag, "aspf"))
		return parse_flag(v, "rs") != 0;
	if (!strcasecmp(tag, "psd"))
		return parse_flag(v, "ynu") != 0;
	if (!strcasecmp(tag, "t"))
		return parse_flag(v, "yn") != 0;
	if (!strcasecmp(tag, "pct"))
		return parse_uint(v, 100) >= 0;
	if (!strcasecmp(tag, "ri"))
		return parse_uint(v, 4294967295LL) >= 0;
	if (!strcasecmp(tag, "fo"))
		return valid_fo(v);
	if (!strcasecmp(tag, "rf"))
		return valid_rf(v);
	if (!strcasecmp(tag, "rua") || !strcasecmp(tag, "ruf"))
		return valid_urilist(v);
	return -1;
}

/* True when the record starts with v=DMARC1. */
bool am_dmarc_is_record(const char *txt)
{
	const char *c = txt;
	while (is_wsp(*c))
		c++;
	if (*c != 'v' && *c != 'V')
		return false;
	for (c++; is_wsp(*c); c++)
		;
	if (*c++ != '=')
		return false;
	while (is_wsp(*c))
		c++;
	if (strncasecmp(c, "DMARC1", 6) != 0)
		return false;
	c += 6;
	return *c == '\0' || *c == ';' || *c == '\\' || is_wsp(*c);
}

/* Note a known tag with an invalid value, for the reason text. */
static void note_bad(struct am_dmarc_record *rec, const char *tag)
{
	size_t used = strlen(rec->bad);
	rec->nbad++;
	snprintf(rec->bad + used, sizeof rec->bad - used, "%s%s", used ? " " : "", tag);
}

/* Store one tag into rec (first occurrence wins via `seen`). */
static void apply_tag(struct am_dmarc_record *rec, const char *tag, const char *v, unsigned *seen)
{
	static const char *const known[] = { "p", "sp", "np", "adkim", "aspf", "pct", "psd", "t", "rua",
					     "ruf", "fo", "rf", "ri" };
	size_t k;
	for (k = 0; k < sizeof known / sizeof *known; k++)
		if (strcasecmp(tag, known[k]) == 0)
			break;
	if (k == sizeof known / sizeof *known || (*seen & (1u << k)))
		return; /* unknown tags are ignored (RFC 9989 4.7) */
	*seen |= 1u << k;
	if (am_dmarc_tag_check(tag, v) != 1) {
		note_bad(rec, known[k]);
		if (k <= 2)
			*(k == 0 ? &rec->p_bad : k == 1 ? &rec->sp_bad : &rec->np_bad) = true;
		return;
	}
	switch (k) {
	case 0: rec->p = parse_request(v); break;
	case 1: rec->sp = parse_request(v); break;
	case 2: rec->np = parse_request(v); break;
	case 3: rec->adkim = parse_flag(v, "rs"); break;
	case 4: rec->aspf = parse_flag(v, "rs"); break;
	case 5: rec->pct = (int)parse_uint(v, 100); break;
	case 6: rec->psd = parse_flag(v, "ynu"); break;
	case 7: rec->t = parse_flag(v, "yn"); break;
	case 8:
		rec->rua_usable = true;
		snprintf(rec->rua, sizeof rec->rua, "%s", v);
		break;
	case 10: snprintf(rec->fo, sizeof rec->fo, "%s", v); break;
	default: break;
	}
}

/* Can the record be applied (see header)? */
bool am_dmarc_record_usable(const struct am_dmarc_record *rec, bool rfc9989, bool *as_none)
{
	bool bad = rec->p_bad || rec->sp_bad || rec->np_bad || (!rfc9989 && rec->p == AM_DMARC_P_UNSPEC);
	*as_none = bad && rec->rua_usable;
	return !bad || rec->rua_usable;
}

/* Trim blanks at both ends of s in place; returns the new start. */
static char *trim(char *s)
{
	while (is_wsp(*s))
		s++;
	size_t l = strlen(s);
	while (l > 0 && is_wsp(s[l - 1]))
		s[--l] = '\0';
	return s;
}

/* Parse a record (see header). */
int am_dmarc_record_parse(const char *txt, struct am_dmarc_record *rec)
{
	size_t o = 0;
	memset(rec, 0, sizeof *rec);
	rec->pct = -1;
	if (!am_dmarc_is_record(txt))
		return -1;
	/* the whole record, however long: a tag past a cut (np=reject after a
	 * long rua=) would be lost, and the outcome milder (issue 12) */
	char *buf = malloc(strlen(txt) + 1);
	if (buf == NULL)
		return -2;
	for (const char *c = txt; *c; c++)
		if (!(c[0] == '\\' && c[1] == ';'))
			buf[o++] = *c;
	buf[o] = '\0';
	unsigned seen = 0;
	char *save = NULL;
	bool first = true;
	for (char *part = strtok_r(buf, ";", &save); part; part = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(part, '=');
		if (first || eq == NULL) { /* the v= tag, or junk without '=' */
			first = false;
			continue;
		}
		*eq = '\0';
		char *tag = trim(part), *val = trim(eq + 1);
		bool alpha = *tag != '\0';
		for (const char *a = tag; *a; a++)
			alpha = alpha && isalpha((unsigned char)*a);
		if (alpha)
			apply_tag(rec, tag, val, &seen);
	}
	free(buf);
	return 0;
}
