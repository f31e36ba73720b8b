/*
 * am_dns_cache.h - a small in-process cache of DNS answers in front of a
 * resolver (am_dns_unbound.c), so a repeated question (the same sender
 * domain's SPF, DKIM key, DMARC and BIMI records, message after message)
 * is answered in the calling thread without the round trip through
 * libunbound's worker and delivery threads. It never outlives a TTL: an
 * entry is valid until the time the answer was asked plus the TTL the
 * resolver reported, and only final answers (records, NXDOMAIN, NODATA)
 * are kept; errors and timeouts are always asked again. Thread-safe.
 */
#ifndef AM_DNS_CACHE_H
#define AM_DNS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "am_dns.h"

struct am_dns_cache;

/* A cache of about `slots` answers (rounded up to a power of two, at least
 * 64); NULL when out of memory. */
struct am_dns_cache *am_dns_cache_new(size_t slots);

/* Free the cache and every answer in it. NULL is allowed. */
void am_dns_cache_free(struct am_dns_cache *c);

/* A copy of the live answer to name/type at now_ms into ans (which the
 * caller frees with am_dns_answer_free); false when there is none. Names
 * compare case-insensitively, with or without the final dot. */
bool am_dns_cache_get(struct am_dns_cache *c, const char *name, enum am_rrtype type, int64_t now_ms,
		      struct am_dns_answer *ans);

/* Keep a copy of ans for name/type until asked_ms + ttl_s seconds, where
 * asked_ms is when the question was sent (so the entry ends no later than
 * the resolver's). Kept only for AM_DNS_OK, NXDOMAIN and NODATA with
 * ttl_s > 0; replaces whatever shared its slot. */
void am_dns_cache_put(struct am_dns_cache *c, const char *name, enum am_rrtype type,
		      const struct am_dns_answer *ans, int ttl_s, int64_t asked_ms);

#endif
