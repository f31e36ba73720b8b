/*
 * am_dkim_keycache.h - parsed DKIM public keys kept by their exact DER
 * bytes, in front of OpenSSL's d2i_PUBKEY_bio() as libopendkim calls it
 * (see am_dkim_keycache.c for why and how): libopendkim's keys need no
 * call per message; ARC's RSA keys use find and keep.
 */
#ifndef AM_DKIM_KEYCACHE_H
#define AM_DKIM_KEYCACHE_H

#include <stddef.h>
#include <openssl/evp.h>

/* Find OpenSSL's own parser before threads start; 0, or -1 if missing. */
int am_dkim_keycache_init(void);

/* Keys answered from the cache since the start (for tests). */
unsigned long am_dkim_keycache_hits(void);

/* For other users of the same keys (ARC): the key parsed from exactly
 * these DER bytes, a new reference the caller frees, or NULL; and keep one
 * (the cache takes a reference of its own). */
EVP_PKEY *am_dkim_keycache_find(const unsigned char *der, size_t len);
void am_dkim_keycache_keep(const unsigned char *der, size_t len, EVP_PKEY *key);

/* Drop every cached key (tests, and leak checks at exit). */
void am_dkim_keycache_clear(void);

#endif
