/*
 * am_sha256.h - SHA-256 (FIPS 180-4), used to turn greylisting triplets into
 * fixed-length store keys that hold no addresses. Not for signatures or
 * anything needing constant time; DKIM uses its own library's crypto.
 */
#ifndef AM_SHA256_H
#define AM_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct am_sha256 {
	uint32_t h[8];
	uint64_t bytes;          /* message length so far */
	unsigned char buf[64];
	size_t fill;             /* bytes waiting in buf */
};

void am_sha256_init(struct am_sha256 *c);
void am_sha256_update(struct am_sha256 *c, const void *data, size_t len);
/* Finish and write the 32-byte digest. */
void am_sha256_final(struct am_sha256 *c, unsigned char out[32]);
/* Digest of data as 64 lower-case hex digits plus NUL. */
void am_sha256_hex(const void *data, size_t len, char out[65]);

#endif
