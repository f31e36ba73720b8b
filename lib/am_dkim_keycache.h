/*
 * am_dkim_keycache.h - parsed DKIM public keys kept by their exact DER
 * bytes, in front of OpenSSL's d2i_PUBKEY_bio() as libopendkim calls it
 * (see am_dkim_keycache.c for why and how). Nothing to call per message.
 */
#ifndef AM_DKIM_KEYCACHE_H
#define AM_DKIM_KEYCACHE_H

/* Find OpenSSL's own parser before threads start; 0, or -1 if missing. */
int am_dkim_keycache_init(void);

/* Keys answered from the cache since the start (for tests). */
unsigned long am_dkim_keycache_hits(void);

/* Drop every cached key (tests, and leak checks at exit). */
void am_dkim_keycache_clear(void);

#endif
