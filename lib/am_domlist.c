/*
 * am_domlist.c - a name against a domain list in configuration text, or
 * against one parsed entry, and "this name or below it" (see
 * am_domlist.h). Reads the text in place: nothing is allocated.
 */
#include <string.h>
#include <strings.h>

#include "am_domlist.h"

#define SEPARATORS " \t\r\n,"

bool am_domlist_has(const char *list, const char *name, size_t len)
{
	if (len > 0 && name[len - 1] == '.')
		len--;
	for (const char *p = list ? list : ""; *p;) {
		p += strspn(p, SEPARATORS);
		size_t n = strcspn(p, SEPARATORS);
		const char *entry = p;
		bool below = n > 1 && entry[0] == '.';

		p += n;
		if (below) {
			entry++;
			n--;
		}
		if (n > 0 && entry[n - 1] == '.')
			n--;
		if (n == 0)
			continue;
		if (below ? am_domain_within_n(name, len, entry, n)
			  : len == n && strncasecmp(name, entry, n) == 0)
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
	if (entry[0] == '.')
		return am_domain_within(name, entry + 1);
	return strcasecmp(entry, name) == 0;
}
