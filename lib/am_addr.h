/*
 * am_addr.h - IP addresses and CIDR lists (trusted networks, forwarders,
 * greylisting networks). Parsing is strict: a bad entry is an error with the
 * offending text, never silently skipped.
 */
#ifndef AM_ADDR_H
#define AM_ADDR_H

#include <stdbool.h>
#include <stddef.h>

struct am_ip {
	int family;               /* AF_INET or AF_INET6 */
	unsigned char addr[16];   /* network order; IPv4 uses the first 4 */
};

struct am_cidr {
	struct am_ip ip;
	unsigned prefix;
	char text[64];            /* as written, for logs */
};

struct am_cidr_list {
	size_t count;
	struct am_cidr *items;
};

/* Parse "192.0.2.1" or "2001:db8::1" (also "[...]" and "IPv6:..."). */
int am_ip_parse(const char *text, struct am_ip *ip);
/* Format an address as text. */
void am_ip_format(const struct am_ip *ip, char *out, size_t outlen);
/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as plain IPv4 (the rest of
 * addr zero); any other address unchanged. */
struct am_ip am_ip_unmap_v4(const struct am_ip *ip);
/* Parse "addr[/len]"; writes the reason into err on failure. */
int am_cidr_parse(const char *text, struct am_cidr *c, char *err, size_t errlen);
/* Parse a list separated by commas and/or blanks; appends to list. */
int am_cidr_list_parse(const char *text, struct am_cidr_list *list, char *err, size_t errlen);
void am_cidr_list_free(struct am_cidr_list *list);
/* The first entry containing ip, or NULL. IPv4-mapped IPv6 matches IPv4. */
const struct am_cidr *am_cidr_list_match(const struct am_cidr_list *list, const struct am_ip *ip);
/* Mask ip to prefix bits (network part only). */
void am_ip_mask(struct am_ip *ip, unsigned prefix);

#endif
