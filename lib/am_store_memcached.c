/*
 * am_store_memcached.c - the shared greylisting store: a memcached cluster
 * through libmemcached, so that several MX hosts see the same triplets.
 *
 * Settings: binary protocol; ketama consistent hashing, so losing
 * or adding one server moves only that server's share of the keys; connect,
 * poll, send and receive timeouts in milliseconds; a failed server is
 * skipped for `retry_timeout` seconds, and with `eject` it leaves the ring
 * after `failure_limit` failures (its keys go to the next servers on the
 * ring, the other keys stay put) until it answers again. Optional replicas:
 * libmemcached copies only "set" to replicas, so with replicas an add is
 * followed by a set of the same value.
 *
 * A server that accepts connections but never answers leaves the ring
 * after failure_limit timeouts in a row, or is skipped by a breaker: see
 * am_store_memcached_ring.c, which also owns the server list.
 *
 * A memcached_st is never shared between threads: this file keeps its own
 * small pool of clones of one configured master (a mutex, a condition
 * variable, a bounded wait). Lifetimes over 30 days are sent as absolute
 * Unix times (memcached's rule), computed from the real clock.
 *
 * Not here: any greylisting logic; purging (memcached expires by itself);
 * which servers are in the ring (am_store_memcached_ring.c).
 */
#include "am_store_memcached_int.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Take a clone from the pool (creating one while below max), waiting at
 * most the I/O timeout. */
static int pool_take(struct mc_store *m, struct mc_clone *out, char *err, size_t errlen)
{
	struct timespec until;
	memcached_st *mc = NULL;
	int rc = 0, timeout_ms = m->conf.memcached_timeout_ms;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&m->lock);
	while (m->nidle == 0 && m->created >= m->max && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&m->freed, &m->lock, &until);
	if (m->nidle > 0) {
		*out = m->idle[--m->nidle];
		mc = out->mc;
	} else if (m->created < m->max) {
		if ((mc = memcached_clone(NULL, m->master))) {
			m->created++;
			out->mc = mc;
			out->gen = m->gen;
		}
	}
	pthread_mutex_unlock(&m->lock);
	if (!mc)
		snprintf(err, errlen, "memcached: %s", rc == ETIMEDOUT ? "all pooled connections busy"
									: "cannot clone connection");
	return mc ? 0 : -1;
}

/* Return a clone to the pool; one of an older ring is freed instead. */
static void pool_put(struct mc_store *m, struct mc_clone cl)
{
	pthread_mutex_lock(&m->lock);
	if (cl.gen == m->gen) {
		m->idle[m->nidle++] = cl;
	} else {
		memcached_free(cl.mc);
		m->created--;
	}
	pthread_cond_signal(&m->freed);
	pthread_mutex_unlock(&m->lock);
}

/* One operation in progress: the pooled clone and the key's server. */
struct mc_call {
	struct mc_store *m;
	struct mc_clone cl;
	memcached_st *mc;            /* cl.mc */
	uint32_t server;             /* index in the configured list (nservers: unknown) */
	bool failed;
	const char *key;
};

/* Take a clone and find the key's server; fail fast when that server
 * timed out less than retry_timeout ago. */
static int mc_begin(struct mc_call *c, struct mc_store *m, const char *key, char *err,
		    size_t errlen)
{
	int64_t now = (int64_t)time(NULL), until;
	c->m = m;
	c->key = key;
	c->failed = false;
	mc_ring_return(m, now);
	if (pool_take(m, &c->cl, err, errlen) < 0)
		return -1;
	c->mc = c->cl.mc;
	c->server = mc_ring_server_of(m, c->mc, key);
	if (c->server < m->nservers && (until = atomic_load(&m->down_until[c->server])) > now) {
		char name[300];
		mc_ring_server_name(m, c->server, name, sizeof(name));
		snprintf(err, errlen, "memcached %s: timed out, not asked again for %ld s", name,
			 (long)(until - now));
		pool_put(m, c->cl);
		return -1;
	}
	return 0;
}

/* The call is over: a server that answered has no timeouts in a row. */
static void mc_end(struct mc_call *c)
{
	if (!c->failed && c->server < c->m->nservers && atomic_load(&c->m->timeouts[c->server]))
		atomic_store(&c->m->timeouts[c->server], 0);
	pool_put(c->m, c->cl);
}

/* Describe a failure; a timeout counts towards taking the server out. */
static enum am_store_status mc_fail(struct mc_call *c, const char *what, memcached_return_t rc,
				    char *err, size_t errlen)
{
	char name[300];
	mc_ring_server_name(c->m, c->server, name, sizeof(name));
	snprintf(err, errlen, "memcached %s %s: %s", what, name, memcached_strerror(c->mc, rc));
	c->failed = true;
	if (rc == MEMCACHED_TIMEOUT && c->server < c->m->nservers)
		mc_ring_timed_out(c->m, c->server);
	return AM_STORE_ERROR;
}

/* What to send as the expiration of a ttl from now. */
static time_t mc_expiry(long ttl)
{
	return (time_t)am_store_memcached_expiry(ttl, (int64_t)time(NULL));
}

/* Fetch and decode the call's key. */
static enum am_store_status mc_get_on(struct mc_call *c, struct am_store_value *out, char *err,
				      size_t errlen)
{
	memcached_return_t rc;
	size_t len = 0;
	uint32_t flags = 0;
	char *val = memcached_get(c->mc, c->key, strlen(c->key), &len, &flags, &rc);
	int bad;
	if (!val) {
		if (rc == MEMCACHED_NOTFOUND || rc == MEMCACHED_SUCCESS)
			return AM_STORE_NOTFOUND;
		return mc_fail(c, "get", rc, err, errlen);
	}
	/* a value we cannot read is treated as absent, so it gets overwritten */
	bad = am_store_value_decode((unsigned char *)val, len, out);
	free(val);
	return bad ? AM_STORE_NOTFOUND : AM_STORE_OK;
}

/* Store v under the call's key (add or set). */
static memcached_return_t mc_store_on(struct mc_call *c, int add, const struct am_store_value *v,
				      long ttl)
{
	unsigned char buf[AM_STORE_VALUE_LEN];
	memcached_return_t rc;
	size_t klen = strlen(c->key);
	am_store_value_encode(v, buf);
	if (add)
		return memcached_add(c->mc, c->key, klen, (const char *)buf, sizeof(buf),
				     mc_expiry(ttl), 0);
	rc = memcached_set(c->mc, c->key, klen, (const char *)buf, sizeof(buf), mc_expiry(ttl), 0);
	/* libmemcached queues the replica copies unsent: push them out now */
	if (rc == MEMCACHED_SUCCESS && c->m->conf.memcached_replicas > 0)
		(void)memcached_flush_buffers(c->mc);
	return rc;
}

/* Look a key up. */
static enum am_store_status mc_get(struct am_store *s, const char *key, int64_t now,
				   struct am_store_value *out, char *err, size_t errlen)
{
	struct mc_call c;
	enum am_store_status st;
	(void)now;
	if (mc_begin(&c, s->impl, key, err, errlen) < 0)
		return AM_STORE_ERROR;
	st = mc_get_on(&c, out, err, errlen);
	mc_end(&c);
	return st;
}

/* Create if absent: memcached's add is atomic across all clients. */
static enum am_store_status mc_add(struct am_store *s, const char *key,
				   const struct am_store_value *v, long ttl, int64_t now,
				   struct am_store_value *existing, char *err, size_t errlen)
{
	struct mc_call c;
	enum am_store_status st = AM_STORE_OK;
	memcached_return_t rc;
	(void)now;
	if (mc_begin(&c, s->impl, key, err, errlen) < 0)
		return AM_STORE_ERROR;
	rc = mc_store_on(&c, 1, v, ttl);
	if (rc == MEMCACHED_NOTSTORED || rc == MEMCACHED_DATA_EXISTS) {
		st = AM_STORE_EXISTS;
		if (mc_get_on(&c, existing, err, errlen) != AM_STORE_OK)
			memset(existing, 0, sizeof(*existing));
	} else if (rc != MEMCACHED_SUCCESS) {
		st = mc_fail(&c, "add", rc, err, errlen);
	} else if (c.m->conf.memcached_replicas > 0) {
		(void)mc_store_on(&c, 0, v, ttl); /* copy to the replicas */
	}
	mc_end(&c);
	return st;
}

/* Create or replace. */
static enum am_store_status mc_set(struct am_store *s, const char *key,
				   const struct am_store_value *v, long ttl, int64_t now, char *err,
				   size_t errlen)
{
	struct mc_call c;
	enum am_store_status st = AM_STORE_OK;
	memcached_return_t rc;
	(void)now;
	if (mc_begin(&c, s->impl, key, err, errlen) < 0)
		return AM_STORE_ERROR;
	rc = mc_store_on(&c, 0, v, ttl);
	if (rc != MEMCACHED_SUCCESS)
		st = mc_fail(&c, "set", rc, err, errlen);
	mc_end(&c);
	return st;
}

/* Delete an item. */
static enum am_store_status mc_del(struct am_store *s, const char *key, int64_t now,
				   char *err, size_t errlen)
{
	struct mc_call c;
	enum am_store_status st = AM_STORE_OK;
	memcached_return_t rc;
	(void)now;
	if (mc_begin(&c, s->impl, key, err, errlen) < 0)
		return AM_STORE_ERROR;
	rc = memcached_delete(c.mc, key, strlen(key), 0);
	if (rc == MEMCACHED_NOTFOUND)
		st = AM_STORE_NOTFOUND;
	else if (rc != MEMCACHED_SUCCESS)
		st = mc_fail(&c, "delete", rc, err, errlen);
	mc_end(&c);
	return st;
}

/* memcached expires items itself: nothing to purge. */
static enum am_store_status mc_purge(struct am_store *s, int64_t now, size_t *purged,
				     char *err, size_t errlen)
{
	(void)s, (void)now, (void)err, (void)errlen;
	*purged = 0;
	return AM_STORE_OK;
}

/* Free every clone, the master and the store. */
static void mc_destroy(struct am_store *s)
{
	struct mc_store *m = s->impl;
	if (m) {
		for (size_t i = 0; i < m->nidle; i++)
			memcached_free(m->idle[i].mc);
		if (m->master)
			memcached_free(m->master);
		mc_ring_free(m);
		pthread_cond_destroy(&m->freed);
		pthread_mutex_destroy(&m->lock);
		free(m->idle);
		free(m);
	}
	free(s);
}

static const struct am_store_ops mc_ops = {
	"memcached", mc_get, mc_add, mc_set, mc_del, mc_purge, mc_destroy,
};

/* Apply every behaviour to the master before any clone is made. */
int mc_configure(memcached_st *mc, const struct am_store_conf *c, char *err, size_t errlen)
{
	const struct {
		memcached_behavior_t b;
		uint64_t v;
	} set[] = {
		{MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 1},
		/* ketama + MD5; libmemcached turns on weighted ketama by itself when a
		 * server is given a weight above 1 (give all servers one, or none) */
		{MEMCACHED_BEHAVIOR_KETAMA, 1},
		{MEMCACHED_BEHAVIOR_TCP_NODELAY, 1},
		{MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, (uint64_t)c->memcached_connect_timeout_ms},
		{MEMCACHED_BEHAVIOR_POLL_TIMEOUT, (uint64_t)c->memcached_timeout_ms},
		{MEMCACHED_BEHAVIOR_SND_TIMEOUT, (uint64_t)c->memcached_timeout_ms * 1000},
		{MEMCACHED_BEHAVIOR_RCV_TIMEOUT, (uint64_t)c->memcached_timeout_ms * 1000},
		{MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, (uint64_t)c->memcached_retry_timeout},
		{MEMCACHED_BEHAVIOR_DEAD_TIMEOUT, (uint64_t)c->memcached_retry_timeout},
		{MEMCACHED_BEHAVIOR_SERVER_FAILURE_LIMIT, (uint64_t)c->memcached_failure_limit},
		{MEMCACHED_BEHAVIOR_SERVER_TIMEOUT_LIMIT, 1},
		{MEMCACHED_BEHAVIOR_REMOVE_FAILED_SERVERS, c->memcached_eject ? 1 : 0},
		{MEMCACHED_BEHAVIOR_NUMBER_OF_REPLICAS, (uint64_t)c->memcached_replicas},
	};
	for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++) {
		memcached_return_t rc = memcached_behavior_set(mc, set[i].b, set[i].v);
		if (rc != MEMCACHED_SUCCESS) {
			snprintf(err, errlen, "memcached behaviour %d: %s", (int)set[i].b,
				 memcached_strerror(mc, rc));
			return -1;
		}
	}
	return 0;
}

/* Open a store on c->memcached_servers (no connection is made yet). */
struct am_store *am_store_memcached_open(const struct am_store_conf *c, char *err,
					 size_t errlen)
{
	struct am_store *s = calloc(1, sizeof(*s));
	struct mc_store *m = calloc(1, sizeof(*m));
	pthread_condattr_t ca;
	if (!s || !m || c->memcached_pool_size < 1 || c->memcached_timeout_ms < 1) {
		snprintf(err, errlen, (s && m) ? "memcached pool size and timeout must be positive"
					       : "out of memory");
		free(s);
		free(m);
		return NULL;
	}
	pthread_mutex_init(&m->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->freed, &ca);
	pthread_condattr_destroy(&ca);
	s->ops = &mc_ops;
	s->impl = m;
	m->conf = *c;
	m->conf.backend = m->conf.lmdb_path = m->conf.memcached_servers = NULL; /* not ours */
	m->max = (size_t)c->memcached_pool_size;
	if (!(m->idle = calloc(m->max, sizeof(*m->idle)))) {
		snprintf(err, errlen, "out of memory");
		mc_destroy(s);
		return NULL;
	}
	if (mc_ring_init(m, c->memcached_servers, err, errlen) < 0) {
		mc_destroy(s);
		return NULL;
	}
	snprintf(s->describe, sizeof(s->describe), "memcached:%s", c->memcached_servers);
	return s;
}
