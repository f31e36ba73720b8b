/*
 * am_bimi_record.c - the two BIMI tag-lists that come from the wire: the
 * Assertion Record (TXT at selector._bimi.domain) and the BIMI-Selector
 * header. Both are "tag=value; ..." lists as in RFC 6376 3.2; they are
 * parsed in place (pointers and lengths, no copies) and only validated
 * values leave this file. Look-ups and eligibility are am_bimi.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "am_bimi.h"
#include "am_header.h"

#define MAX_TAGS 16

/* One tag of a tag-list: name and value as spans of the input. */
struct tag {
	const char *name, *val;
	size_t nlen, vlen;
};

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trim blanks off both ends of the span [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
	while (*n > 0 && is_wsp(**s))
		(*s)++, (*n)--;
	while (*n > 0 && is_wsp((*s)[*n - 1]))
		(*n)--;
}

/* A tag name: ALPHA *(ALPHA / DIGIT / "_"). */
static bool valid_name(const char *s, size_t n)
{
	if (n == 0 || !isalpha((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

/* Split a tag-list into tags (at most MAX_TAGS). An empty element is
 * allowed only after the last ';'. 0, or -1 with the reason. */
static int split_tags(const char *s, struct tag *tags, size_t *ntags, char *err, size_t errlen)
{
	*ntags = 0;
	for (;;) {
		size_t len = strcspn(s, ";"), nlen, vlen;
		const char *eq = memchr(s, '=', len), *name = s, *val;
		bool last = s[len] == '\0';
		const char *elem = s;
		size_t elen = len;

		trim(&elem, &elen);
		if (elen == 0) {
			if (last && *ntags > 0)
				return 0;
			snprintf(err, errlen, *ntags ? "empty tag" : "empty record");
			return -1;
		}
		if (eq == NULL) {
			snprintf(err, errlen, "tag without '='");
			return -1;
		}
		nlen = (size_t)(eq - s);
		trim(&name, &nlen);
		val = eq + 1;
		vlen = (size_t)(s + len - val);
		trim(&val, &vlen);
		if (!valid_name(name, nlen)) {
			snprintf(err, errlen, "bad tag name");
			return -1;
		}
		if (*ntags == MAX_TAGS) {
			snprintf(err, errlen, "too many tags");
			return -1;
		}
		tags[(*ntags)++] = (struct tag){.name = name, .nlen = nlen, .val = val, .vlen = vlen};
		if (last)
			return 0;
		s += len + 1;
	}
}

/* Is this tag named name (without case)? */
static bool tag_is(const struct tag *t, const char *name)
{
	return t->nlen == strlen(name) && strncasecmp(t->name, name, t->nlen) == 0;
}

/* The tag named name, or NULL. */
static const struct tag *find_tag(const struct tag *tags, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (tag_is(&tags[i], name))
			return &tags[i];
	return NULL;
}

/* Checks every tag-list shares: no repeated tag, v=BIMI1 first. */
static int check_version(const struct tag *tags, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (tags[i].nlen == tags[j].nlen && strncasecmp(tags[i].name, tags[j].name, tags[i].nlen) == 0) {
				snprintf(err, errlen, "duplicate %.*s= tag", (int)(tags[i].nlen > 16 ? 16 : tags[i].nlen),
					 tags[i].name);
				return -1;
			}
	if (find_tag(tags, n, "v") == NULL) {
		snprintf(err, errlen, "missing v= tag");
		return -1;
	}
	if (!tag_is(&tags[0], "v")) {
		snprintf(err, errlen, "v= is not the first tag");
		return -1;
	}
	if (tags[0].vlen == 0) {
		snprintf(err, errlen, "empty v= tag");
		return -1;
	}
	if (tags[0].vlen != 5 || strncasecmp(tags[0].val, "bimi1", 5) != 0) {
		snprintf(err, errlen, "invalid v= tag");
		return -1;
	}
	return 0;
}

/* RFC 3986 characters (unreserved, reserved but ';', and '%'). */
static bool uri_char(unsigned char c)
{
	return isalnum(c) || (c != 0 && strchr("-._~:/?#[]@!$&'()*+,=%", c) != NULL);
}

/* Is the span an https URI with a host, short enough to carry? */
static int check_uri(const struct tag *t, const char *what, char *err, size_t errlen)
{
	size_t host;

	if (t->vlen >= AM_BIMI_URI_MAX) {
		snprintf(err, errlen, "%s= URI too long", what);
		return -1;
	}
	for (size_t i = 0; i < t->vlen; i++)
		if (!uri_char((unsigned char)t->val[i])) {
			snprintf(err, errlen, "%s= URI has a bad character", what);
			return -1;
		}
	if (t->vlen < 8 || strncasecmp(t->val, "https://", 8) != 0) {
		snprintf(err, errlen, "%s= is not an https URI", what);
		return -1;
	}
	for (host = 8; host < t->vlen && !strchr("/?#", t->val[host]); host++)
		;
	if (host == 8) {
		snprintf(err, errlen, "%s= URI has no host", what);
		return -1;
	}
	return 0;
}

/* Copy a tag's value (already checked to fit). */
static void copy_val(const struct tag *t, char *out, size_t outlen)
{
	snprintf(out, outlen, "%.*s", (int)t->vlen, t->val);
}

/* Parse an Assertion Record; see am_bimi.h. */
int am_bimi_record_parse(const char *txt, struct am_bimi_record *rec, char *err, size_t errlen)
{
	struct tag tags[MAX_TAGS];
	const struct tag *l, *a;
	size_t n;

	memset(rec, 0, sizeof(*rec));
	if (split_tags(txt, tags, &n, err, errlen) != 0 || check_version(tags, n, err, errlen) != 0)
		return -1;
	l = find_tag(tags, n, "l");
	a = find_tag(tags, n, "a");
	if (l == NULL) {
		snprintf(err, errlen, "missing l= tag");
		return -1;
	}
	if (l->vlen == 0) {
		if (a != NULL && a->vlen == 0) {
			rec->declined = true;
			return 0;
		}
		snprintf(err, errlen, "empty l= tag");
		return -1;
	}
	if (check_uri(l, "l", err, errlen) != 0)
		return -1;
	if (a != NULL && a->vlen > 0 && !(a->vlen == 4 && strncasecmp(a->val, "self", 4) == 0)) {
		if (check_uri(a, "a", err, errlen) != 0)
			return -1;
		copy_val(a, rec->authority, sizeof(rec->authority));
	}
	copy_val(l, rec->location, sizeof(rec->location));
	return 0;
}

/* "v=BIMI1" as the first tag; see am_bimi.h. */
bool am_bimi_record_is_bimi(const char *txt)
{
	const char *p = txt;

	while (is_wsp(*p))
		p++;
	if (*p != 'v' && *p != 'V')
		return false;
	for (p++; is_wsp(*p); p++)
		;
	if (*p != '=')
		return false;
	for (p++; is_wsp(*p); p++)
		;
	if (strncasecmp(p, "bimi1", 5) != 0)
		return false;
	for (p += 5; is_wsp(*p); p++)
		;
	return *p == ';' || *p == '\0';
}

/* A selector: dot-separated labels of letters, digits, '-' and '_'. */
static bool valid_selector(const char *s, size_t n)
{
	size_t label = 0;

	if (n == 0 || n >= AM_BIMI_SELECTOR_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '_')
			label++;
		else
			return false;
	}
	return label > 0;
}

/* Parse a BIMI-Selector header value; see am_bimi.h. */
int am_bimi_selector_parse(const char *value, char *sel, size_t sellen, char *err, size_t errlen)
{
	char text[512];
	struct tag tags[MAX_TAGS];
	const struct tag *s;
	size_t n;

	if (sellen > 0)
		sel[0] = '\0';
	if (!am_header_unfold(value, text, sizeof(text))) {
		snprintf(err, errlen, "BIMI-Selector too long");
		return -1;
	}
	if (split_tags(text, tags, &n, err, errlen) != 0 || check_version(tags, n, err, errlen) != 0)
		return -1;
	if ((s = find_tag(tags, n, "s")) == NULL || s->vlen == 0) {
		snprintf(err, errlen, "no s= selector");
		return -1;
	}
	if (!valid_selector(s->val, s->vlen) || s->vlen >= sellen) {
		snprintf(err, errlen, "bad selector");
		return -1;
	}
	for (size_t i = 0; i < s->vlen; i++)
		sel[i] = (char)tolower((unsigned char)s->val[i]);
	sel[s->vlen] = '\0';
	return 0;
}
