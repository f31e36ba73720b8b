/*
 * am_domlist.c - a name against a domain list in configuration text (see
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
		if (len == n && strncasecmp(name, entry, n) == 0)
			return true;
		if (below && len > n && name[len - n - 1] == '.' && strncasecmp(name + len - n, entry, n) == 0)
			return true;
	}
	return false;
}
