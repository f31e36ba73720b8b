/*
 * am_iprev.c - forward-confirmed reverse DNS for the iprev result (RFC 8601
 * 2.7.3): PTR names of the client address, each looked up forward until
 * one lists the address. What the result means for the message (nothing,
 * by default) is not decided here; the AR writer reports it.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "am_iprev.h"

/* Reverse name of an address: nibbles for IPv6, octets for IPv4. */
void am_iprev_ptr_name(const struct am_ip *ip, char *out, size_t outlen)
{
	size_t o = 0;

	out[0] = '\0';
	if (ip->family == AF_INET) {
		snprintf(out, outlen, "%u.%u.%u.%u.in-addr.arpa", ip->addr[3], ip->addr[2],
			 ip->addr[1], ip->addr[0]);
		return;
	}
	for (int i = 15; i >= 0 && o + 5 < outlen; i--)
		o += (size_t)snprintf(out + o, outlen - o, "%x.%x.", ip->addr[i] & 0xf, ip->addr[i] >> 4);
	snprintf(out + o, outlen - o, "ip6.arpa");
}

/* Does one of name's A (AAAA) records equal ip? 1 yes, 0 no, -1 temporary. */
static int resolves_back(struct am_dns *dns, struct am_dns_budget *budget, const char *name,
			 const struct am_ip *ip)
{
	enum am_rrtype type = ip->family == AF_INET ? AM_RR_A : AM_RR_AAAA;
	struct am_dns_answer ans;
	int found = 0;

	am_dns_query(dns, budget, name, type, &ans);
	if (am_dns_is_temporary(ans.status))
		found = -1;
	for (size_t i = 0; ans.status == AM_DNS_OK && i < ans.count && found == 0; i++) {
		char text[64];
		struct am_ip addr;
		if (am_dns_addr(&ans.rr[i], type, text, sizeof(text)) == 0 &&
		    am_ip_parse(text, &addr) == 0 && addr.family == ip->family &&
		    memcmp(addr.addr, ip->addr, ip->family == AF_INET ? 4 : 16) == 0)
			found = 1;
	}
	am_dns_answer_free(&ans);
	return found;
}

/* Result and reason in one step. */
static void set(struct am_iprev_result *out, enum am_result r, const char *why)
{
	out->result = r;
	snprintf(out->reason, sizeof(out->reason), "%s", why);
}

/* The PTR names, followed up to the cap, until one confirms ip. */
static void confirm(struct am_dns *dns, struct am_dns_budget *budget, const struct am_ip *ip,
		    const struct am_dns_answer *ptr, struct am_iprev_result *out)
{
	bool temporary = false;
	size_t tried = 0;

	for (size_t i = 0; i < ptr->count && tried < AM_IPREV_MAX_NAMES; i++) {
		char name[AM_DOMAIN_MAX];
		int back;
		if (am_dns_name(&ptr->rr[i], name, sizeof(name)) != 0 || name[0] == '\0')
			continue;
		tried++;
		back = resolves_back(dns, budget, name, ip);
		if (back == 1) {
			snprintf(out->name, sizeof(out->name), "%s", name);
			set(out, AM_RES_PASS, "forward-confirmed");
			return;
		}
		temporary |= back < 0;
	}
	if (temporary)
		set(out, AM_RES_TEMPERROR, "forward look-up failed");
	else
		set(out, AM_RES_FAIL, tried ? "no PTR name resolves back" : "no usable PTR name");
}

/* The check; see am_iprev.h. */
void am_iprev_check(struct am_dns *dns, struct am_dns_budget *budget, const struct am_ip *ip,
		    struct am_iprev_result *out)
{
	struct am_ip v = am_ip_unmap_v4(ip);   /* ::ffff:a.b.c.d is a.b.c.d */
	struct am_dns_answer ptr;
	char qname[80];

	memset(out, 0, sizeof(*out));
	out->checked = true;
	am_ip_format(&v, out->address, sizeof(out->address));
	am_iprev_ptr_name(&v, qname, sizeof(qname));
	am_dns_query(dns, budget, qname, AM_RR_PTR, &ptr);
	if (am_dns_is_temporary(ptr.status) || ptr.status == AM_DNS_ERROR)
		set(out, AM_RES_TEMPERROR, am_dns_status_name(ptr.status));
	else if (ptr.status != AM_DNS_OK || ptr.count == 0)
		set(out, AM_RES_PERMERROR, "no PTR record");
	else
		confirm(dns, budget, &v, &ptr, out);
	am_dns_answer_free(&ptr);
}
