/*
 * am_grey_cache.c - the auto-whitelisted networks of the last minute (see
 * am_grey_cache.h). An established sender's network is whitelisted for
 * pass_lifetime (36 days), and a busy one sends many messages a minute:
 * each used to cost a store round trip (memcached or an LMDB read) for the
 * same answer. Only that positive answer is kept, for
 * AM_GREY_CACHE_SECONDS: a network record cannot expire sooner unless it
 * is deleted by hand, and then the deletion takes effect a minute late.
 * Triplets and counters are never cached: every pass is still counted.
 *
 * Direct-mapped by a hash of the key, fixed size, a new answer replacing
 * whatever shared its slot; slots are guarded by a set of mutexes held only
 * to compare and copy.
 */
#include "am_grey_cache.h"
#include "am_fnv.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 1024 /* a power of two */
#define LOCKS 32

struct slot {
	char key[AM_STORE_KEY_MAX + 1]; /* "" = empty */
	int64_t until;                  /* reused while now < until */
	uint32_t passes;
};

struct am_grey_cache {
	struct slot slots[SLOTS];
	pthread_mutex_t locks[LOCKS];
};

struct am_grey_cache *am_grey_cache_new(void)
{
	struct am_grey_cache *c = calloc(1, sizeof(*c));

	for (size_t i = 0; c != NULL && i < LOCKS; i++)
		pthread_mutex_init(&c->locks[i], NULL);
	return c;
}

void am_grey_cache_free(struct am_grey_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < LOCKS; i++)
		pthread_mutex_destroy(&c->locks[i]);
	free(c);
}

/* FNV-1a of the key, to pick a slot. */
static size_t slot_of(const char *key)
{
	uint64_t h = am_fnv_str(AM_FNV_OFFSET, key);

	return (size_t)(h ^ (h >> 32)) & (SLOTS - 1);
}

bool am_grey_cache_listed(struct am_grey_cache *c, const char *key, int64_t now, uint32_t *passes)
{
	size_t i;
	bool hit;

	if (c == NULL || strlen(key) > AM_STORE_KEY_MAX)
		return false;
	i = slot_of(key);
	pthread_mutex_lock(&c->locks[i % LOCKS]);
	hit = now < c->slots[i].until && strcmp(c->slots[i].key, key) == 0;
	if (hit)
		*passes = c->slots[i].passes;
	pthread_mutex_unlock(&c->locks[i % LOCKS]);
	return hit;
}

void am_grey_cache_note(struct am_grey_cache *c, const char *key, int64_t now, uint32_t passes)
{
	size_t i, n = strlen(key);

	if (c == NULL || n > AM_STORE_KEY_MAX)
		return;
	i = slot_of(key);
	pthread_mutex_lock(&c->locks[i % LOCKS]);
	memcpy(c->slots[i].key, key, n + 1);
	c->slots[i].until = now + AM_GREY_CACHE_SECONDS;
	c->slots[i].passes = passes;
	pthread_mutex_unlock(&c->locks[i % LOCKS]);
}
