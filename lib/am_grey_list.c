/*
 * am_grey_list.c - parsing and matching of the [greylist] word lists, and
 * the "does this host name look dynamic" heuristic used by
 * `clients = suspicious`. Pure string work: no DNS, no store.
 */
#include "am_grey_list.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "am_addr.h"
#include "am_domlist.h"

/* Split on blanks and commas, lower-cased, into one buffer. */
int am_grey_words_parse(const char *text, struct am_grey_words *w)
{
	size_t len = text ? strlen(text) : 0, n = 0;
	char *p;
	memset(w, 0, sizeof(*w));
	w->buf = malloc(len + 1);
	w->items = calloc(len / 2 + 1, sizeof(char *));
	if (!w->buf || !w->items) {
		am_grey_words_free(w);
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		w->buf[i] = (char)tolower((unsigned char)text[i]);
	w->buf[len] = '\0';
	for (p = w->buf; *p;) {
		size_t skip = strspn(p, ", \t\r\n"), word;
		p += skip;
		if (!*p)
			break;
		word = strcspn(p, ", \t\r\n");
		w->items[n++] = p;
		p += word;
		if (*p)
			*p++ = '\0';
	}
	w->count = n;
	return 0;
}

/* Free a list (safe on a zeroed or half-built one). */
void am_grey_words_free(struct am_grey_words *w)
{
	free(w->buf);
	free(w->items);
	memset(w, 0, sizeof(*w));
}

/* Copy a name without its trailing dot. */
static void strip_dot(const char *in, char *out, size_t outlen)
{
	size_t n;
	snprintf(out, outlen, "%s", in);
	n = strlen(out);
	if (n > 0 && out[n - 1] == '.')
		out[n - 1] = '\0';
}

/* Match a (verified) host name: domain-list entries or globs. */
const char *am_grey_match_host(const struct am_grey_words *w, const char *host)
{
	char h[256];
	if (!host || !*host)
		return NULL;
	strip_dot(host, h, sizeof(h));
	for (size_t i = 0; i < w->count; i++) {
		const char *p = w->items[i];
		if (strpbrk(p, "*?[") ? fnmatch(p, h, FNM_CASEFOLD) == 0 : am_domlist_entry_matches(p, h))
			return p;
	}
	return NULL;
}

/* Match a domain against a domain list. */
const char *am_grey_match_domain(const struct am_grey_words *w, const char *domain)
{
	char d[256];
	if (!domain || !*domain)
		return NULL;
	strip_dot(domain, d, sizeof(d));
	for (size_t i = 0; i < w->count; i++)
		if (am_domlist_entry_matches(w->items[i], d))
			return w->items[i];
	return NULL;
}

/* Match a lower-cased recipient address. */
const char *am_grey_match_rcpt(const struct am_grey_words *w, const char *rcpt)
{
	const char *at = strrchr(rcpt, '@');
	size_t llen = at ? (size_t)(at - rcpt) : strlen(rcpt);
	const char *dom = at ? at + 1 : "";
	for (size_t i = 0; i < w->count; i++) {
		const char *p = w->items[i], *pat = strchr(p, '@');
		if (!pat) {
			if (strcmp(p, dom) == 0)
				return p;
		} else if (pat == p) {
			if (strcmp(p + 1, dom) == 0)
				return p;
		} else if (pat[1] == '\0') {
			if ((size_t)(pat - p) == llen && strncmp(p, rcpt, llen) == 0)
				return p;
		} else if (strcmp(p, rcpt) == 0) {
			return p;
		}
	}
	return NULL;
}

/* "No reverse DNS" as the MTAs say it. */
bool am_grey_no_ptr(const char *ptr)
{
	return !ptr || !*ptr || strcasecmp(ptr, "unknown") == 0 || ptr[0] == '[';
}

/* True when token is keyword, or keyword followed by digits only. */
static bool token_is_keyword(const char *tok, size_t len, const struct am_grey_words *kw)
{
	for (size_t i = 0; i < kw->count; i++) {
		size_t k = strlen(kw->items[i]), j;
		if (k == 0 || k > len || strncasecmp(tok, kw->items[i], k) != 0)
			continue;
		for (j = k; j < len && isdigit((unsigned char)tok[j]); j++)
			;
		if (j == len)
			return true;
	}
	return false;
}

/* True when one of the labels left of the last two has a keyword token. */
static bool has_keyword_label(const char *host, const struct am_grey_words *kw)
{
	size_t labels = 1, seen = 0;
	for (const char *p = host; *p; p++)
		labels += (*p == '.' && p[1] != '\0');
	for (const char *p = host; *p && seen + 2 < labels;) {
		size_t len = strcspn(p, ".-_");
		if (len > 0 && token_is_keyword(p, len, kw))
			return true;
		p += len;
		if (*p == '.')
			seen++;
		if (*p)
			p++;
	}
	return false;
}

/* True when host's numbers hold three octets of ip in a row (either
 * order), or host holds the address as 8 hex digits. */
static bool spells_ipv4(const char *host, const unsigned char *o)
{
	long nums[64];
	size_t n = 0;
	char hex[9];
	snprintf(hex, sizeof(hex), "%02x%02x%02x%02x", o[0], o[1], o[2], o[3]);
	if (strcasestr(host, hex))
		return true;
	for (const char *p = host; *p && n < 64;) {
		if (!isdigit((unsigned char)*p)) {
			p++;
			continue;
		}
		long v = 0;
		while (isdigit((unsigned char)*p) && v < 100000)
			v = v * 10 + (*p++ - '0');
		while (isdigit((unsigned char)*p))
			p++;
		nums[n++] = v;
	}
	for (size_t i = 0; i + 2 < n; i++) {
		if (nums[i] == o[1] && nums[i + 1] == o[2] && nums[i + 2] == o[3])
			return true;
		if (nums[i] == o[3] && nums[i + 1] == o[2] && nums[i + 2] == o[1])
			return true;
	}
	return false;
}

/* The dynamic-host heuristic (see the header). */
bool am_grey_host_dynamic(const struct am_grey_words *keywords, const char *host,
			  const char *ip)
{
	struct am_ip a;
	if (am_grey_no_ptr(host))
		return false;
	if (has_keyword_label(host, keywords))
		return true;
	if (ip && am_ip_parse(ip, &a) == 0) {
		a = am_ip_unmap_v4(&a);
		if (a.family == AF_INET)
			return spells_ipv4(host, a.addr);
	}
	return false;
}
