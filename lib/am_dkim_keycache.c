/*
 * am_dkim_keycache.c - parsed DKIM public keys, kept by their exact bytes.
 *
 * libopendkim turns the key record's p= (DER, SubjectPublicKeyInfo) into an
 * EVP_PKEY with d2i_PUBKEY_bio() for every signature it verifies. With
 * OpenSSL 3 that parse builds a decoder context each time and cost about
 * 1.6 million instructions, three times the RSA-2048 verification itself
 * (callgrind, contrib/bench_profile.sh). libopendkim has no hook to hand it
 * a parsed key, so this file defines d2i_PUBKEY_bio in the program, which
 * the dynamic linker binds libopendkim's call to (the program comes first
 * in symbol look-up); it answers from a small cache and asks OpenSSL's own
 * function (dlsym RTLD_NEXT) otherwise.
 *
 * The cache is keyed by the DER bytes themselves, compared in full: the
 * same bytes always parse to the same key, so an entry can never be stale;
 * a changed DNS record is different bytes and a miss. The signature is
 * still verified by libopendkim on every message; only the parse is saved.
 * Keys are shared by reference (EVP_PKEY_up_ref; libopendkim frees its
 * reference as before); OpenSSL keys are safe to use from several threads.
 * Only a memory BIO without a result pointer (the way libopendkim calls it)
 * is served from the cache; anything else goes straight to OpenSSL.
 *
 * ARC's RSA keys (am_arc_key.c) use the same cache through
 * am_dkim_keycache_find/keep: a reused key also keeps the Montgomery
 * context OpenSSL builds on its first verification (about 80,000
 * instructions a key), and a sealer that also signs with DKIM under the
 * same key shares the entry.
 */
#include <dlfcn.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "am_dkim_keycache.h"
#include "am_fnv.h"

#define KEYCACHE_SLOTS 64
#define KEYCACHE_MAX_DER 4096 /* RSA-4096 SPKI is ~550 bytes */

struct slot {
	unsigned char *der;
	size_t len;
	EVP_PKEY *key; /* one reference held by the cache */
};

typedef EVP_PKEY *(*d2i_fn)(BIO *, EVP_PKEY **);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot slots[KEYCACHE_SLOTS];
static _Atomic(d2i_fn) real_d2i;
static atomic_ulong hits;

/* OpenSSL's own d2i_PUBKEY_bio, looked up once. */
static d2i_fn real(void)
{
	d2i_fn f = atomic_load(&real_d2i);

	if (f == NULL) {
		f = (d2i_fn)dlsym(RTLD_NEXT, "d2i_PUBKEY_bio");
		atomic_store(&real_d2i, f);
	}
	return f;
}

/* Look up OpenSSL's function now, before threads (called by am_dkim_new). */
int am_dkim_keycache_init(void)
{
	return real() != NULL ? 0 : -1;
}

/* Keys answered from the cache so far (for tests). */
unsigned long am_dkim_keycache_hits(void)
{
	return atomic_load(&hits);
}

/* FNV-1a of the DER, to pick a slot. */
static size_t slot_of(const unsigned char *der, size_t len)
{
	uint64_t h = am_fnv_bytes(AM_FNV_OFFSET, der, len);

	return (size_t)(h ^ (h >> 32)) % KEYCACHE_SLOTS;
}

/* The cached key for der (a new reference), or NULL. */
EVP_PKEY *am_dkim_keycache_find(const unsigned char *der, size_t len)
{
	size_t i = slot_of(der, len);
	EVP_PKEY *key = NULL;

	pthread_mutex_lock(&lock);
	if (slots[i].key != NULL && slots[i].len == len && memcmp(slots[i].der, der, len) == 0 &&
	    EVP_PKEY_up_ref(slots[i].key) == 1)
		key = slots[i].key;
	pthread_mutex_unlock(&lock);
	return key;
}

/* Keep key (a reference of its own) for der, replacing the slot's entry. */
void am_dkim_keycache_keep(const unsigned char *der, size_t len, EVP_PKEY *key)
{
	size_t i = slot_of(der, len);
	unsigned char *copy;
	struct slot old;

	if (len == 0 || len > KEYCACHE_MAX_DER)
		return;
	copy = malloc(len);
	if (copy == NULL || EVP_PKEY_up_ref(key) != 1) {
		free(copy);
		return;
	}
	memcpy(copy, der, len);
	pthread_mutex_lock(&lock);
	old = slots[i];
	slots[i] = (struct slot){.der = copy, .len = len, .key = key};
	pthread_mutex_unlock(&lock);
	free(old.der);
	EVP_PKEY_free(old.key); /* NULL is fine */
}

/* Free every cached key (tests and leak checkers). */
void am_dkim_keycache_clear(void)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < KEYCACHE_SLOTS; i++) {
		free(slots[i].der);
		EVP_PKEY_free(slots[i].key);
		slots[i] = (struct slot){0};
	}
	pthread_mutex_unlock(&lock);
}

/* libopendkim's key parse, answered from the cache when the bytes were seen. */
EVP_PKEY *d2i_PUBKEY_bio(BIO *bp, EVP_PKEY **a)
{
	d2i_fn parse = real();
	char *data = NULL;
	long n;
	EVP_PKEY *key;

	if (parse == NULL)
		return NULL;
	if (a != NULL || bp == NULL || BIO_method_type(bp) != BIO_TYPE_MEM ||
	    (n = BIO_get_mem_data(bp, &data)) <= 0 || n > KEYCACHE_MAX_DER)
		return parse(bp, a);
	if ((key = am_dkim_keycache_find((const unsigned char *)data, (size_t)n)) != NULL) {
		atomic_fetch_add(&hits, 1);
		/* consume the bytes as the parse would have */
		(void)BIO_read(bp, data, (int)n);
		return key;
	}
	unsigned char *der = malloc((size_t)n);
	if (der == NULL)
		return parse(bp, a);
	memcpy(der, data, (size_t)n); /* the parse consumes the BIO */
	if ((key = parse(bp, NULL)) != NULL)
		am_dkim_keycache_keep(der, (size_t)n, key);
	free(der);
	return key;
}
