/*
 * am_store_memcached_int.h - what the two halves of the memcached store
 * share: the store's state, the connection pool's clones, and the calls
 * between the operations and pool (am_store_memcached.c) and the ring of
 * servers that are in use (am_store_memcached_ring.c). Not for other files.
 */
#ifndef AM_STORE_MEMCACHED_INT_H
#define AM_STORE_MEMCACHED_INT_H

#include <libmemcached/memcached.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "am_store.h"

/* A pooled connection and the ring it was cloned from. */
struct mc_clone {
	memcached_st *mc;
	unsigned gen;
};

struct mc_store {
	pthread_mutex_t lock;        /* the pool and the ring */
	pthread_cond_t freed;
	memcached_st *master;        /* the servers in the ring, configured, only cloned */
	unsigned gen;                /* ring version: clones of an older one are dropped */
	struct mc_clone *idle;       /* clones not in use */
	size_t nidle, created, max;
	struct am_store_conf conf;   /* timeouts and behaviours (no strings kept) */
	memcached_server_st *list;   /* every configured server, in order */
	uint32_t nservers;
	_Atomic int64_t *down_until; /* per server: shared timeout breaker (Unix s) */
	_Atomic int *timeouts;       /* per server: timeouts in a row */
	int64_t *out_until;          /* per server: out of the ring until (Unix s); lock */
	_Atomic int64_t next_return; /* earliest out_until; 0: every server is in */
};

/* Apply every behaviour of c to mc (am_store_memcached.c). */
int mc_configure(memcached_st *mc, const struct am_store_conf *c, char *err, size_t errlen);

/* --- the ring (am_store_memcached_ring.c); "lock" means m->lock held --- */

/* Parse the server list and build the first ring, every server in. */
int mc_ring_init(struct mc_store *m, const char *servers, char *err, size_t errlen);
/* Free what mc_ring_init allocated (not the master). */
void mc_ring_free(struct mc_store *m);
/* A new master holding the servers now in the ring (lock held). */
int mc_ring_rebuild(struct mc_store *m, char *err, size_t errlen);
/* Put back the servers whose time out of the ring is over. */
void mc_ring_return(struct mc_store *m, int64_t now);
/* Server i timed out: count it; eject it or open its breaker. */
void mc_ring_timed_out(struct mc_store *m, uint32_t i);
/* The configured index of key's server in clone mc (nservers: none). */
uint32_t mc_ring_server_of(const struct mc_store *m, memcached_st *mc, const char *key);
/* "host:port" of configured server i. */
void mc_ring_server_name(const struct mc_store *m, uint32_t i, char *out, size_t outlen);

#endif
