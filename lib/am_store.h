/*
 * am_store.h - the greylisting store: a small key/value interface with
 * expiry, two backends (memcached for many MX hosts, LMDB embedded).
 *
 * Keys are short printable strings (am_grey uses "g:" or "n:" plus the hex
 * SHA-256 of a normalised triplet or network), never raw addresses. Values
 * are one small fixed struct, encoded in a fixed little-endian layout so
 * that hosts of any byte order share a memcached cluster.
 *
 * Every operation returns a status; AM_STORE_ERROR carries a reason in the
 * caller's buffer. No operation crashes or waits past the backend's
 * configured timeout. Every operation takes `now` (Unix seconds): the LMDB
 * backend keeps absolute expiry times and uses it (so tests inject a
 * clock); memcached expires items by the server's own clock and only uses
 * the real time to send lifetimes over 30 days as absolute times.
 *
 * Stores live as long as the process: a registry (owned by the daemon, not
 * a global) hands out one reference-counted store per backend identity, so
 * a config reload that keeps the same LMDB file reuses its environment
 * (LMDB forbids opening one environment twice in a process).
 *
 * Not here: greylisting policy (am_grey.c), config parsing (am_config.c).
 */
#ifndef AM_STORE_H
#define AM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Outcome of one store operation. */
enum am_store_status {
	AM_STORE_ERROR = -1,   /* backend failure; reason in err */
	AM_STORE_OK = 0,
	AM_STORE_NOTFOUND = 1, /* no such key, or it expired */
	AM_STORE_EXISTS = 2,   /* add: the key is already there */
};

/* Short name of a status for logs: "ok", "notfound", "exists", "error". */
const char *am_store_status_name(enum am_store_status st);

/* Longest key, without the NUL (memcached allows 250). */
#define AM_STORE_KEY_MAX 120

/* What a record says about its triplet or network. */
enum am_store_state {
	AM_STORE_PENDING = 1,  /* seen, not yet retried successfully */
	AM_STORE_PASSED = 2,   /* retried in the window: passes */
	AM_STORE_COUNTER = 3,  /* a per-network pass counter (auto-whitelist) */
};

/* The one value type. */
struct am_store_value {
	int64_t first_seen;    /* Unix time of the first attempt */
	int64_t last_seen;     /* Unix time of the latest write (a use, or a refresh) */
	uint32_t count;        /* passes counted */
	uint8_t state;         /* enum am_store_state */
};

/* Encoded size of a value on the wire / on disk. */
#define AM_STORE_VALUE_LEN 24

/* Encode v into buf[AM_STORE_VALUE_LEN]. */
void am_store_value_encode(const struct am_store_value *v, unsigned char *buf);
/* Decode; returns 0, or -1 when len or version does not match. */
int am_store_value_decode(const unsigned char *buf, size_t len, struct am_store_value *v);

struct am_store;

/* The table of operations every backend provides. ttl is in seconds (> 0). */
struct am_store_ops {
	const char *name;  /* "lmdb", "memcached" */
	enum am_store_status (*get)(struct am_store *s, const char *key, int64_t now,
				    struct am_store_value *out, char *err, size_t errlen);
	/* Create if absent, atomically. On EXISTS, fills *existing when the
	 * record could be read (existing->state is 0 when it could not). */
	enum am_store_status (*add)(struct am_store *s, const char *key,
				    const struct am_store_value *v, long ttl, int64_t now,
				    struct am_store_value *existing, char *err, size_t errlen);
	/* Create or replace. */
	enum am_store_status (*set)(struct am_store *s, const char *key,
				    const struct am_store_value *v, long ttl, int64_t now,
				    char *err, size_t errlen);
	enum am_store_status (*del)(struct am_store *s, const char *key, int64_t now, char *err,
				    size_t errlen);
	/* Remove expired records now; *purged = how many (memcached: 0, the
	 * server expires items itself). */
	enum am_store_status (*purge)(struct am_store *s, int64_t now, size_t *purged, char *err,
				      size_t errlen);
	void (*destroy)(struct am_store *s);
};

struct am_store_registry;

struct am_store {
	const struct am_store_ops *ops;
	void *impl;
	char describe[160];               /* "lmdb:/var/lib/..", "memcached:h1:11211,..." */
	/* registry bookkeeping (am_store.c) */
	struct am_store_registry *reg;
	char ident[512];
	unsigned refs;
	struct am_store *next;	/* failures, logged at most once per AM_STORE_LOG_EVERY s (am_store.c) */
	_Atomic unsigned long errors, errors_logged;
	_Atomic int64_t next_log;
};

/* Seconds between two log lines about one store's failures. */
#define AM_STORE_LOG_EVERY 10

/* Backend settings, filled from the [greylist] section. */
struct am_store_conf {
	const char *backend;             /* "lmdb" or "memcached" */
	/* lmdb */
	const char *lmdb_path;           /* the data file (plus PATH-lock) */
	long lmdb_map_size_mb;           /* map size; full map = AM_STORE_ERROR */
	long lmdb_purge_interval;        /* s between purges run by writers; 0: never */
	bool lmdb_move_aside;            /* a damaged file: move it aside (else refuse it) */
	/* memcached */
	const char *memcached_servers;   /* "host:port[:weight], ..." */
	int memcached_connect_timeout_ms;
	int memcached_timeout_ms;        /* poll/send/receive */
	int memcached_retry_timeout;     /* s before a failed server is tried again */
	int memcached_failure_limit;     /* failures before a server is marked dead */
	bool memcached_eject;            /* dead servers leave the ketama ring */
	int memcached_replicas;          /* extra copies of each item (0: none) */
	int memcached_pool_size;         /* connections (one per concurrent caller) */
};

/* Defaults for every field (lmdb_path = NULL must be set by the caller). */
void am_store_conf_defaults(struct am_store_conf *c);

/* --- using a store (these validate the key, then call the backend) --- */
enum am_store_status am_store_get(struct am_store *s, const char *key, int64_t now,
				  struct am_store_value *out, char *err, size_t errlen);
enum am_store_status am_store_add(struct am_store *s, const char *key,
				  const struct am_store_value *v, long ttl, int64_t now,
				  struct am_store_value *existing, char *err, size_t errlen);
enum am_store_status am_store_set(struct am_store *s, const char *key,
				  const struct am_store_value *v, long ttl, int64_t now, char *err,
				  size_t errlen);
enum am_store_status am_store_del(struct am_store *s, const char *key, int64_t now, char *err,
				  size_t errlen);
enum am_store_status am_store_purge(struct am_store *s, int64_t now, size_t *purged, char *err,
				    size_t errlen);

/* --- opening stores --- */

/* Open a backend directly (tests, benchmarks). Returns NULL and writes err.
 * Never open the same LMDB file twice in one process: use the registry. */
struct am_store *am_store_lmdb_open(const struct am_store_conf *c, char *err, size_t errlen);
struct am_store *am_store_memcached_open(const struct am_store_conf *c, char *err, size_t errlen);
/* What am_store_lmdb_check found. */
enum am_store_lmdb_health {
	AM_LMDB_OK,        /* safe to open (or empty: LMDB starts a new one) */
	AM_LMDB_ABSENT,    /* no such file: opening creates it */
	AM_LMDB_DAMAGED,   /* truncated or unreadable pages: refuse or move aside */
	AM_LMDB_UNUSABLE,  /* not an LMDB file, or not readable: always refused */
};
/* Check an existing LMDB file without changing anything: its size against
 * the environment's own (last page, page size, map size), then every page
 * of its trees, in a child process (a crash there is "damaged"). Creates
 * no file: the lock file is used only when it exists and is writable. The
 * reason goes into why. */
enum am_store_lmdb_health am_store_lmdb_check(const char *path, long map_mb, char *why,
					      size_t whylen);
/* For `authmilter -n`: would opening c work? LMDB: an existing file is
 * checked read-only (am_store_lmdb_check); a missing one needs its
 * directory. Damaged with lmdb_move_aside: 0 and a warning in warn (the
 * start moves it aside); damaged otherwise, or unusable: -1 and err.
 * memcached: the server list and settings, as the start parses them
 * (nothing is connected to). */
int am_store_check_conf(const struct am_store_conf *c, char *warn, size_t warnlen, char *err,
			size_t errlen);
/* Open by c->backend. */
struct am_store *am_store_open(const struct am_store_conf *c, char *err, size_t errlen);
/* Close a store opened directly (not one from a registry). NULL allowed. */
void am_store_close(struct am_store *s);

/* memcached reads an expiry over 30 days as an absolute Unix time: return
 * what to send for ttl seconds from real time `wall_now`. */
int64_t am_store_memcached_expiry(long ttl, int64_t wall_now);

/* A registry of open stores, owned by the daemon for its whole life. */
struct am_store_registry *am_store_registry_new(void);
/* Get the store for c: the one already open with the same identity (LMDB:
 * the same file, whatever the spelling of its path; memcached: the same
 * servers and settings) with one more reference, or a newly opened one.
 * An LMDB store keeps the map size and purge interval it was opened with:
 * a reload that changes them takes effect at the next restart. A reload
 * should acquire the new generation's store before releasing the old one,
 * so that an unchanged store is reused, never closed and reopened.
 * Thread-safe. Returns NULL and writes err. */
struct am_store *am_store_registry_acquire(struct am_store_registry *r,
					   const struct am_store_conf *c, char *err, size_t errlen);
/* Drop a reference; the last one closes the store. NULL allowed. */
void am_store_release(struct am_store *s);
/* Free the registry; every store must have been released. NULL allowed. */
void am_store_registry_free(struct am_store_registry *r);

#endif
