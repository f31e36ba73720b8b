/*
 * am_store.c - what every greylisting store shares: the value encoding, key
 * checks, the dispatching wrappers and the registry that keeps one open
 * store per backend identity for the life of the process.
 *
 * The backends themselves are am_store_lmdb.c and am_store_memcached.c.
 */
#include "am_store.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "am_log.h"

#define AM_STORE_VALUE_VERSION 1

struct am_store_registry {
	pthread_mutex_t lock;
	struct am_store *stores;
};

/* Short name of a status, for logs. */
const char *am_store_status_name(enum am_store_status st)
{
	switch (st) {
	case AM_STORE_OK:
		return "ok";
	case AM_STORE_NOTFOUND:
		return "notfound";
	case AM_STORE_EXISTS:
		return "exists";
	case AM_STORE_ERROR:
		return "error";
	}
	return "unknown";
}

/* Write v as n little-endian bytes. */
static void put_le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* Read n little-endian bytes. */
static uint64_t get_le(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* Fixed layout: version, state, 2 reserved, count, first_seen, last_seen. */
void am_store_value_encode(const struct am_store_value *v, unsigned char *buf)
{
	buf[0] = AM_STORE_VALUE_VERSION;
	buf[1] = v->state;
	buf[2] = buf[3] = 0;
	put_le(buf + 4, v->count, 4);
	put_le(buf + 8, (uint64_t)v->first_seen, 8);
	put_le(buf + 16, (uint64_t)v->last_seen, 8);
}

/* Decode a value; a wrong length, version or state is refused. */
int am_store_value_decode(const unsigned char *buf, size_t len, struct am_store_value *v)
{
	if (len != AM_STORE_VALUE_LEN || buf[0] != AM_STORE_VALUE_VERSION)
		return -1;
	if (buf[1] < AM_STORE_PENDING || buf[1] > AM_STORE_COUNTER)
		return -1;
	v->state = buf[1];
	v->count = (uint32_t)get_le(buf + 4, 4);
	v->first_seen = (int64_t)get_le(buf + 8, 8);
	v->last_seen = (int64_t)get_le(buf + 16, 8);
	return 0;
}

/* Defaults for every backend setting. */
void am_store_conf_defaults(struct am_store_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->backend = "lmdb";
	c->lmdb_map_size_mb = 64;
	c->lmdb_purge_interval = 3600;
	c->memcached_connect_timeout_ms = 200;
	c->memcached_timeout_ms = 200;
	c->memcached_retry_timeout = 30;
	c->memcached_failure_limit = 1;
	c->memcached_eject = true;
	c->memcached_replicas = 0;
	c->memcached_pool_size = 32;
}

/* A key is 1..AM_STORE_KEY_MAX printable, non-blank ASCII characters. */
static int key_check(const char *key, char *err, size_t errlen)
{
	size_t n = key ? strlen(key) : 0;
	if (n == 0 || n > AM_STORE_KEY_MAX) {
		snprintf(err, errlen, "store key length %zu out of range", n);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (key[i] <= ' ' || key[i] >= 127) {
			snprintf(err, errlen, "store key has a blank or non-ASCII byte");
			return -1;
		}
	}
	return 0;
}

/* A lifetime must be positive. */
static int ttl_check(long ttl, char *err, size_t errlen)
{
	if (ttl <= 0) {
		snprintf(err, errlen, "store ttl %ld must be positive", ttl);
		return -1;
	}
	return 0;
}

/* Count a backend failure and log it, rate-limited: the first at once,
 * then one line per AM_STORE_LOG_EVERY s with the count since the last,
 * so a store that fails for ever is loud in the log without flooding it. */
static enum am_store_status noted(struct am_store *s, enum am_store_status st, const char *err)
{
	struct timespec ts;
	unsigned long n, before;
	int64_t due;
	if (st != AM_STORE_ERROR)
		return st;
	n = atomic_fetch_add(&s->errors, 1) + 1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	due = atomic_load(&s->next_log);
	if (ts.tv_sec < due ||
	    !atomic_compare_exchange_strong(&s->next_log, &due, ts.tv_sec + AM_STORE_LOG_EVERY))
		return st;
	before = atomic_exchange(&s->errors_logged, n);
	am_log(LOG_ERR, "greylist store %s: %lu failed operation%s since the last report (%lu in "
	       "all); latest: %s", s->describe, n - before, n - before == 1 ? "" : "s", n, err);
	return st;
}

/* Look a key up. */
enum am_store_status am_store_get(struct am_store *s, const char *key, int64_t now,
				  struct am_store_value *out, char *err, size_t errlen)
{
	if (key_check(key, err, errlen) < 0)
		return AM_STORE_ERROR;
	return noted(s, s->ops->get(s, key, now, out, err, errlen), err);
}

/* Create a record unless one exists. */
enum am_store_status am_store_add(struct am_store *s, const char *key,
				  const struct am_store_value *v, long ttl, int64_t now,
				  struct am_store_value *existing, char *err, size_t errlen)
{
	struct am_store_value dummy;
	if (key_check(key, err, errlen) < 0 || ttl_check(ttl, err, errlen) < 0)
		return AM_STORE_ERROR;
	if (!existing)
		existing = &dummy;
	memset(existing, 0, sizeof(*existing));
	return noted(s, s->ops->add(s, key, v, ttl, now, existing, err, errlen), err);
}

/* Create or replace a record. */
enum am_store_status am_store_set(struct am_store *s, const char *key,
				  const struct am_store_value *v, long ttl, int64_t now, char *err,
				  size_t errlen)
{
	if (key_check(key, err, errlen) < 0 || ttl_check(ttl, err, errlen) < 0)
		return AM_STORE_ERROR;
	return noted(s, s->ops->set(s, key, v, ttl, now, err, errlen), err);
}

/* Delete a record (NOTFOUND when absent). */
enum am_store_status am_store_del(struct am_store *s, const char *key, int64_t now, char *err,
				  size_t errlen)
{
	if (key_check(key, err, errlen) < 0)
		return AM_STORE_ERROR;
	return noted(s, s->ops->del(s, key, now, err, errlen), err);
}

/* Remove expired records now. */
enum am_store_status am_store_purge(struct am_store *s, int64_t now, size_t *purged, char *err,
				    size_t errlen)
{
	size_t dummy;
	if (!purged)
		purged = &dummy;
	*purged = 0;
	return noted(s, s->ops->purge(s, now, purged, err, errlen), err);
}

/* memcached: up to 30 days is relative, beyond is an absolute Unix time. */
int64_t am_store_memcached_expiry(long ttl, int64_t wall_now)
{
	if (ttl <= 30L * 86400)
		return ttl;
	return wall_now + ttl;
}

/* Open the backend named in c->backend. */
struct am_store *am_store_open(const struct am_store_conf *c, char *err, size_t errlen)
{
	if (c->backend && strcmp(c->backend, "lmdb") == 0)
		return am_store_lmdb_open(c, err, errlen);
	if (c->backend && strcmp(c->backend, "memcached") == 0)
		return am_store_memcached_open(c, err, errlen);
	snprintf(err, errlen, "unknown greylist store '%s' (lmdb or memcached)",
		 c->backend ? c->backend : "");
	return NULL;
}

/* Check what opening c would find, changing nothing; see am_store.h. */
int am_store_check_conf(const struct am_store_conf *c, char *warn, size_t warnlen, char *err,
			size_t errlen)
{
	char why[300], dcopy[PATH_MAX];
	struct stat st;
	enum am_store_lmdb_health h;
	struct am_store *mc;
	if (c->backend && strcmp(c->backend, "memcached") == 0) {
		/* its open parses and configures, connecting to nothing */
		if (!(mc = am_store_memcached_open(c, err, errlen)))
			return -1;
		am_store_close(mc);
		return 0;
	}
	if (!c->backend || strcmp(c->backend, "lmdb") != 0)
		return 0;
	if (!c->lmdb_path || !*c->lmdb_path || strlen(c->lmdb_path) >= PATH_MAX)
		return snprintf(err, errlen, "greylist lmdb_path is empty or too long"), -1;
	h = am_store_lmdb_check(c->lmdb_path, c->lmdb_map_size_mb, why, sizeof(why));
	if (h == AM_LMDB_OK)
		return 0;
	if (h == AM_LMDB_ABSENT) {
		strcpy(dcopy, c->lmdb_path);
		if (stat(dirname(dcopy), &st) == 0 && S_ISDIR(st.st_mode))
			return 0; /* the start creates it */
		return snprintf(err, errlen, "greylist lmdb_path %s: its directory does not exist",
				c->lmdb_path), -1;
	}
	if (h == AM_LMDB_DAMAGED && c->lmdb_move_aside) {
		snprintf(warn, warnlen, "greylist lmdb_path %s: damaged, %s: the start will move "
			 "it aside and begin empty (lmdb_on_damage = move-aside)", c->lmdb_path, why);
		return 0;
	}
	snprintf(err, errlen, "greylist lmdb_path %s: %s%s: the start would refuse it%s",
		 c->lmdb_path, h == AM_LMDB_DAMAGED ? "damaged, " : "", why,
		 h == AM_LMDB_DAMAGED ? " (lmdb_on_damage = refuse)" : "");
	return -1;
}

/* Close a store opened without the registry. */
void am_store_close(struct am_store *s)
{
	if (s)
		s->ops->destroy(s);
}

/* The identity of an LMDB store: the canonical path of its data file. */
static int lmdb_ident(const char *path, char *out, size_t outlen, char *err, size_t errlen)
{
	char dcopy[PATH_MAX], bcopy[PATH_MAX], real[PATH_MAX];
	if (!path || !*path || strlen(path) >= PATH_MAX) {
		snprintf(err, errlen, "lmdb_path is empty or too long");
		return -1;
	}
	strcpy(dcopy, path);
	strcpy(bcopy, path);
	if (!realpath(dirname(dcopy), real)) {
		snprintf(err, errlen, "lmdb_path %s: directory: %s", path, strerror(errno));
		return -1;
	}
	if ((size_t)snprintf(out, outlen, "lmdb:%s/%s", real, basename(bcopy)) >= outlen) {
		snprintf(err, errlen, "lmdb_path %s too long", path);
		return -1;
	}
	return 0;
}

/* The identity of a store configuration (what must match to share it). */
static int store_ident(const struct am_store_conf *c, char *out, size_t outlen, char *err,
		       size_t errlen)
{
	if (c->backend && strcmp(c->backend, "lmdb") == 0)
		return lmdb_ident(c->lmdb_path, out, outlen, err, errlen);
	if ((size_t)snprintf(out, outlen, "memcached:%s|%d|%d|%d|%d|%d|%d|%d",
			     c->memcached_servers ? c->memcached_servers : "",
			     c->memcached_connect_timeout_ms, c->memcached_timeout_ms,
			     c->memcached_retry_timeout, c->memcached_failure_limit,
			     (int)c->memcached_eject, c->memcached_replicas,
			     c->memcached_pool_size) >= outlen) {
		snprintf(err, errlen, "memcached_servers too long");
		return -1;
	}
	return 0;
}

/* Create an empty registry. */
struct am_store_registry *am_store_registry_new(void)
{
	struct am_store_registry *r = calloc(1, sizeof(*r));
	if (r)
		pthread_mutex_init(&r->lock, NULL);
	return r;
}

/* Find or open the store for c. */
struct am_store *am_store_registry_acquire(struct am_store_registry *r,
					   const struct am_store_conf *c, char *err, size_t errlen)
{
	char ident[sizeof(((struct am_store *)0)->ident)];
	struct am_store *s;
	if (store_ident(c, ident, sizeof(ident), err, errlen) < 0)
		return NULL;
	pthread_mutex_lock(&r->lock);
	for (s = r->stores; s; s = s->next) {
		if (strcmp(s->ident, ident) == 0) {
			s->refs++;
			pthread_mutex_unlock(&r->lock);
			return s;
		}
	}
	s = am_store_open(c, err, errlen);
	if (s) {
		snprintf(s->ident, sizeof(s->ident), "%s", ident);
		s->reg = r;
		s->refs = 1;
		s->next = r->stores;
		r->stores = s;
	}
	pthread_mutex_unlock(&r->lock);
	return s;
}

/* Drop one reference; close the store with the last one. */
void am_store_release(struct am_store *s)
{
	struct am_store_registry *r;
	struct am_store **pp;
	if (!s)
		return;
	r = s->reg;
	if (!r) {
		am_store_close(s);
		return;
	}
	pthread_mutex_lock(&r->lock);
	if (--s->refs > 0) {
		pthread_mutex_unlock(&r->lock);
		return;
	}
	for (pp = &r->stores; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	pthread_mutex_unlock(&r->lock);
	am_store_close(s);
}

/* Free the registry (stores still held are closed: a caller bug, but at
 * process exit closing them is the right thing). */
void am_store_registry_free(struct am_store_registry *r)
{
	if (!r)
		return;
	while (r->stores) {
		struct am_store *s = r->stores;
		r->stores = s->next;
		am_store_close(s);
	}
	pthread_mutex_destroy(&r->lock);
	free(r);
}
