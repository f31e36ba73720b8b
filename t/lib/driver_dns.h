/*
 * driver_dns.h - the resolver a verify driver (t/dkim-verify-driver.c,
 * t/arc-verify-driver.c) asks for on its command line: libunbound against
 * the test DNS server, or an am_dns_table file. For test drivers only.
 */
#ifndef AM_DRIVER_DNS_H
#define AM_DRIVER_DNS_H

#include <stddef.h>

#include "am_dns.h"

/* Unbound on ns (IP@PORT, ...) when table is NULL, else table's records;
 * NULL with a reason in err. */
struct am_dns *driver_dns_new(const char *ns, const char *table, int timeout_ms, char *err,
			      size_t errlen);

#endif
