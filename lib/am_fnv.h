/*
 * am_fnv.h - FNV-1a, the hash the in-process caches (DNS answers, parsed
 * DKIM keys, auto-whitelisted networks) pick their slot with: cheap, and
 * good enough for direct-mapped tables whose keys an outsider can only
 * partly choose. Each cache folds the 64 bits to its own table size.
 */
#ifndef AM_FNV_H
#define AM_FNV_H

#include <stddef.h>
#include <stdint.h>

#define AM_FNV_OFFSET 1469598103934665603ULL
#define AM_FNV_PRIME 1099511628211ULL

/* h extended by len bytes of data (start with AM_FNV_OFFSET). */
static inline uint64_t am_fnv_bytes(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * AM_FNV_PRIME;
	return h;
}

/* h extended by the bytes of a string, without its NUL. */
static inline uint64_t am_fnv_str(uint64_t h, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		h = (h ^ *p) * AM_FNV_PRIME;
	return h;
}

#endif
