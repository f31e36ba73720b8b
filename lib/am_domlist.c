/*
 * am_domlist.c - a name against a domain list in configuration text, or
 * against one parsed entry, and "this name or below it" (see
 * am_domlist.h). Reads the text in place: nothing is allocated.
 */
#include <string.h>
#include <strings.h>

#include "am_domlist.h"

#define SEPARATORS " \t\r\n,"

/* One entry (n bytes, no final dot; a leading '.' for it and every name
 * below it) against name (len bytes). */
static bool entry_matches_n(const char *entry, size_t n, const char *name, size_t len)
{
	if (n > 0 && entry[0] == '.')
		return am_domain_within_n(name, len, entry + 1, n - 1);
	return len == n && strncasecmp(name, entry, n) == 0;
}

bool am_domlist_has(const char *list, const char *name, size_t len)
{
	if (len > 0 && name[len - 1] == '.')
		len--;
	for (const char *p = list ? list : ""; *p;) {
		p += strspn(p, SEPARATORS);
		size_t n = strcspn(p, SEPARATORS);
		const char *entry = p;

		p += n;
		if (n > 0 && entry[n - 1] == '.')
			n--;
		if (n > 0 && entry_matches_n(entry, n, name, len))
			return true;
	}
	return false;
}

bool am_domain_within_n(const char *name, size_t nlen, const char *parent, size_t plen)
{
	if (plen == 0 || nlen < plen || strncasecmp(name + nlen - plen, parent, plen) != 0)
		return false;
	return nlen == plen || name[nlen - plen - 1] == '.';
}

bool am_domain_within(const char *name, const char *parent)
{
	return am_domain_within_n(name, strlen(name), parent, strlen(parent));
}

bool am_domlist_entry_matches(const char *entry, const char *name)
{
	return entry_matches_n(entry, strlen(entry), name, strlen(name));
}
