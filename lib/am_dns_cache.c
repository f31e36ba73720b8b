/*
 * am_dns_cache.c - the in-process DNS answer cache (see am_dns_cache.h).
 *
 * Direct-mapped: a question hashes to one slot, and a new answer replaces
 * whatever was there, so the cache has a fixed size and no eviction list.
 * Slots are guarded by a set of mutexes (slot i by lock i % AM_DNS_LOCKS),
 * so threads asking different names rarely wait for each other; a lock is
 * held only to compare and copy. Answers are copied in and out: the caller
 * owns what it gets and may outlive the entry.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "am_dns_cache.h"
#include "am_fnv.h"

#define AM_DNS_LOCKS 64
#define AM_DNS_NAME_MAX 256

struct entry {
	char name[AM_DNS_NAME_MAX]; /* lower case, no final dot; "" = empty slot */
	enum am_rrtype type;
	int64_t expires_ms;
	struct am_dns_answer ans; /* owned */
};

struct am_dns_cache {
	size_t mask; /* slots - 1 */
	struct entry *slots;
	pthread_mutex_t locks[AM_DNS_LOCKS];
};

/* The cache key's name: lower case, no final dot; -1 if too long or empty. */
static int normalise(const char *name, char out[AM_DNS_NAME_MAX])
{
	size_t n = strlen(name);

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n >= AM_DNS_NAME_MAX)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)name[i]);
	out[n] = '\0';
	return 0;
}

/* FNV-1a over the normalised name and the type. */
static size_t slot_of(const struct am_dns_cache *c, const char *key, enum am_rrtype type)
{
	uint64_t h = (am_fnv_str(AM_FNV_OFFSET, key) ^ (unsigned)type) * AM_FNV_PRIME;

	return (size_t)(h ^ (h >> 29)) & c->mask;
}

/* A deep copy of src into dst; 0, or -1 (dst left empty) when out of memory. */
static int answer_copy(struct am_dns_answer *dst, const struct am_dns_answer *src)
{
	*dst = *src;
	dst->rr = NULL;
	dst->count = 0;
	if (src->count == 0)
		return 0;
	if ((dst->rr = calloc(src->count, sizeof(*dst->rr))) == NULL)
		return -1;
	for (size_t i = 0; i < src->count; i++) {
		size_t len = src->rr[i].len;
		if ((dst->rr[i].data = malloc(len ? len : 1)) == NULL) {
			am_dns_answer_free(dst);
			return -1;
		}
		memcpy(dst->rr[i].data, src->rr[i].data, len);
		dst->rr[i].len = len;
		dst->count = i + 1;
	}
	return 0;
}

/* A cache of about `slots` answers; see am_dns_cache.h. */
struct am_dns_cache *am_dns_cache_new(size_t slots)
{
	struct am_dns_cache *c = calloc(1, sizeof(*c));
	size_t n = 64;

	while (n < slots && n < ((size_t)1 << 20))
		n <<= 1;
	if (c == NULL || (c->slots = calloc(n, sizeof(*c->slots))) == NULL) {
		free(c);
		return NULL;
	}
	c->mask = n - 1;
	for (int i = 0; i < AM_DNS_LOCKS; i++)
		pthread_mutex_init(&c->locks[i], NULL);
	return c;
}

/* Free the cache and its answers. */
void am_dns_cache_free(struct am_dns_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i <= c->mask; i++)
		am_dns_answer_free(&c->slots[i].ans);
	for (int i = 0; i < AM_DNS_LOCKS; i++)
		pthread_mutex_destroy(&c->locks[i]);
	free(c->slots);
	free(c);
}

/* A copy of the live answer to name/type; see am_dns_cache.h. */
bool am_dns_cache_get(struct am_dns_cache *c, const char *name, enum am_rrtype type, int64_t now_ms,
		      struct am_dns_answer *ans)
{
	char key[AM_DNS_NAME_MAX];
	bool hit = false;

	if (c == NULL || normalise(name, key) != 0)
		return false;
	size_t i = slot_of(c, key, type);
	struct entry *e = &c->slots[i];
	pthread_mutex_lock(&c->locks[i % AM_DNS_LOCKS]);
	if (e->type == type && now_ms < e->expires_ms && strcmp(e->name, key) == 0)
		hit = answer_copy(ans, &e->ans) == 0;
	pthread_mutex_unlock(&c->locks[i % AM_DNS_LOCKS]);
	return hit;
}

/* Keep a copy of a final answer until asked_ms + its TTL; see am_dns_cache.h. */
void am_dns_cache_put(struct am_dns_cache *c, const char *name, enum am_rrtype type,
		      const struct am_dns_answer *ans, int ttl_s, int64_t asked_ms)
{
	char key[AM_DNS_NAME_MAX];
	struct am_dns_answer copy, old;

	if (c == NULL || ttl_s <= 0 || normalise(name, key) != 0)
		return;
	if (ans->status != AM_DNS_OK && ans->status != AM_DNS_NXDOMAIN && ans->status != AM_DNS_NODATA)
		return;
	if (answer_copy(&copy, ans) != 0)
		return;
	size_t i = slot_of(c, key, type);
	struct entry *e = &c->slots[i];
	pthread_mutex_lock(&c->locks[i % AM_DNS_LOCKS]);
	old = e->ans;
	memcpy(e->name, key, strlen(key) + 1);
	e->type = type;
	e->expires_ms = asked_ms + (int64_t)ttl_s * 1000;
	e->ans = copy;
	pthread_mutex_unlock(&c->locks[i % AM_DNS_LOCKS]);
	am_dns_answer_free(&old); /* outside the lock */
}
