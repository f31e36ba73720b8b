/*
 * am_iprev.h - the iprev check of RFC 8601 section 2.7.3 (forward-confirmed
 * reverse DNS of the client address): one PTR look-up, then the address
 * records of at most AM_IPREV_MAX_NAMES of its names, on the shared DNS
 * layer and under the message's DNS budget. The session runs it once per
 * connection and shares the verified name with greylisting and DMARC.
 */
#ifndef AM_IPREV_H
#define AM_IPREV_H

#include "am_addr.h"
#include "am_dns.h"
#include "am_results.h"

/* PTR names followed, as RFC 7208 5.5 caps the ptr mechanism: a client
 * publishing hundreds of names must not cost hundreds of queries. */
#define AM_IPREV_MAX_NAMES 10

/* Fill out for client ip: pass (out->name is the verified name), fail (no
 * name resolves back), permerror (no PTR published), temperror. */
void am_iprev_check(struct am_dns *dns, struct am_dns_budget *budget, const struct am_ip *ip,
		    struct am_iprev_result *out);

/* The name to look up for ip's PTR ("1.2.0.192.in-addr.arpa"). */
void am_iprev_ptr_name(const struct am_ip *ip, char *out, size_t outlen);

#endif
