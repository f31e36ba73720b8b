/*
 * am_addr.c - IP address and CIDR list parsing and matching. Used for
 * trusted networks and every other network list in the config. Strict: an
 * entry that is not an address with a valid prefix length is an error.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "am_addr.h"

/* Parse an IPv4 or IPv6 address, tolerating "[...]" and "IPv6:" wrappers. */
int am_ip_parse(const char *text, struct am_ip *ip)
{
	char buf[64];
	size_t len;

	if (text == NULL)
		return -1;
	if (strncasecmp(text, "IPv6:", 5) == 0)
		text += 5;
	len = strlen(text);
	if (len >= sizeof(buf))
		return -1;
	if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
		memcpy(buf, text + 1, len - 2);
		buf[len - 2] = '\0';
		if (strncasecmp(buf, "IPv6:", 5) == 0)
			memmove(buf, buf + 5, strlen(buf + 5) + 1);
	} else {
		memcpy(buf, text, len + 1);
	}
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, buf, ip->addr) == 1) {
		ip->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, ip->addr) == 1) {
		ip->family = AF_INET6;
		return 0;
	}
	return -1;
}

/* Format an address as text. */
void am_ip_format(const struct am_ip *ip, char *out, size_t outlen)
{
	if (outlen == 0)
		return;
	if (inet_ntop(ip->family, ip->addr, out, (socklen_t)outlen) == NULL)
		snprintf(out, outlen, "unknown");
}

/* Keep the first prefix bits of ip, clear the rest. */
void am_ip_mask(struct am_ip *ip, unsigned prefix)
{
	unsigned bytes = ip->family == AF_INET ? 4 : 16;

	for (unsigned i = 0; i < bytes; i++) {
		unsigned bit0 = i * 8;
		if (prefix >= bit0 + 8)
			continue;
		if (prefix <= bit0)
			ip->addr[i] = 0;
		else
			ip->addr[i] &= (unsigned char)(0xff << (8 - (prefix - bit0)));
	}
}

/* Parse "addr[/len]" into c. */
int am_cidr_parse(const char *text, struct am_cidr *c, char *err, size_t errlen)
{
	char addr[64];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	unsigned max;

	memset(c, 0, sizeof(*c));
	if (alen == 0 || alen >= sizeof(addr)) {
		snprintf(err, errlen, "bad network '%s'", text);
		return -1;
	}
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	if (am_ip_parse(addr, &c->ip) != 0) {
		snprintf(err, errlen, "bad network '%s': not an IP address", text);
		return -1;
	}
	max = c->ip.family == AF_INET ? 32 : 128;
	c->prefix = max;
	if (slash) {
		char *end;
		long n;
		errno = 0;
		n = strtol(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || errno || n < 0 || n > (long)max ||
		    !isdigit((unsigned char)slash[1])) {
			snprintf(err, errlen, "bad network '%s': prefix length must be 0-%u", text, max);
			return -1;
		}
		c->prefix = (unsigned)n;
	}
	am_ip_mask(&c->ip, c->prefix);
	snprintf(c->text, sizeof(c->text), "%s", text);
	return 0;
}

/* Parse a comma/blank separated list and append every entry to list. */
int am_cidr_list_parse(const char *text, struct am_cidr_list *list, char *err, size_t errlen)
{
	const char *p = text;

	while (*p) {
		char item[80];
		size_t n = strcspn(p, ", \t");
		struct am_cidr *grown;

		if (n == 0) {
			p++;
			continue;
		}
		if (n >= sizeof(item)) {
			snprintf(err, errlen, "bad network '%.*s...': too long", 40, p);
			return -1;
		}
		memcpy(item, p, n);
		item[n] = '\0';
		grown = realloc(list->items, (list->count + 1) * sizeof(*grown));
		if (grown == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		list->items = grown;
		if (am_cidr_parse(item, &list->items[list->count], err, errlen) != 0)
			return -1;
		list->count++;
		p += n;
	}
	return 0;
}

void am_cidr_list_free(struct am_cidr_list *list)
{
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as plain IPv4; any other
 * address as it is. */
struct am_ip am_ip_unmap_v4(const struct am_ip *ip)
{
	static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	struct am_ip out = *ip;

	if (ip->family == AF_INET6 && memcmp(ip->addr, prefix, 12) == 0) {
		memset(&out, 0, sizeof(out));
		out.family = AF_INET;
		memcpy(out.addr, ip->addr + 12, 4);
	}
	return out;
}

/* First network of list that contains ip, or NULL. */
const struct am_cidr *am_cidr_list_match(const struct am_cidr_list *list, const struct am_ip *ip)
{
	struct am_ip plain = am_ip_unmap_v4(ip);

	for (size_t i = 0; i < list->count; i++) {
		const struct am_cidr *c = &list->items[i];
		struct am_ip masked = plain;
		if (c->ip.family != plain.family)
			continue;
		am_ip_mask(&masked, c->prefix);
		if (memcmp(masked.addr, c->ip.addr, 16) == 0)
			return c;
	}
	return NULL;
}
