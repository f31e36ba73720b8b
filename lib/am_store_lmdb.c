/*
 * am_store_lmdb.c - the embedded greylisting store: one LMDB file.
 *
 * Each record is the absolute expiry time (8 bytes, little-endian) followed
 * by the encoded am_store_value. Reads treat an expired record as absent.
 * Purging: expired records are deleted by the writers themselves, on a
 * schedule: the first write after `lmdb_purge_interval` seconds runs a purge
 * (in bounded batches, so no write transaction holds the lock for long)
 * before its own change; "add" overwrites an expired record on access.
 * Map full: new records are refused once the trees fill 90% of the map (a
 * completely full LMDB map cannot even delete, so the rest is headroom for
 * purges); a refused write purges once and retries before it reports
 * AM_STORE_ERROR ("map full"). State survives restarts: commits are
 * durable up to the last transaction (MDB_NOMETASYNC keeps atomicity and
 * consistency across a system crash, and may undo the last commit).
 *
 * Thread-safe: LMDB serialises writers; MDB_NOTLS lets any thread run a
 * read transaction. Open each file once per process (am_store registry):
 * LMDB's locks break if one environment is opened twice. Not fork-safe:
 * open it in the process that uses it.
 */
#include "am_store.h"

#include <errno.h>
#include <lmdb.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "am_log.h"

#define REC_LEN (8 + AM_STORE_VALUE_LEN)
/* Records deleted per purge transaction: small enough that a purge of a
 * full map finds the few free pages its copy-on-write needs. */
#define PURGE_BATCH 256
#define PURGE_BATCH_FULL 16

struct lmdb_store {
	MDB_env *env;
	MDB_dbi dbi;
	long purge_interval;
	_Atomic int64_t next_purge;
	_Atomic int64_t full_until;  /* a purge of the full map found nothing: skip until */
	long map_mb;
	size_t full_pages;         /* tree pages at which new records are refused */
};

/* One write operation run inside a write transaction. */
struct wop {
	enum { W_ADD, W_SET, W_DEL } kind;
	const char *key;
	const struct am_store_value *v;
	long ttl;
	int64_t now;
	struct am_store_value *existing;
};

/* Put "what: LMDB's message" into err. */
static enum am_store_status lmdb_fail(const char *what, int rc, struct lmdb_store *ls,
				      char *err, size_t errlen)
{
	if (rc == MDB_MAP_FULL)
		snprintf(err, errlen, "lmdb %s: map full (lmdb_map_size = %ld MB): raise it", what,
			 ls->map_mb);
	else
		snprintf(err, errlen, "lmdb %s: %s", what, mdb_strerror(rc));
	return AM_STORE_ERROR;
}

/* Decode a stored record; -1 when malformed. */
static int rec_decode(const MDB_val *d, int64_t *expires, struct am_store_value *v)
{
	const unsigned char *p = d->mv_data;
	uint64_t e = 0;
	if (d->mv_size != REC_LEN)
		return -1;
	for (int i = 7; i >= 0; i--)
		e = (e << 8) | p[i];
	*expires = (int64_t)e;
	return am_store_value_decode(p + 8, AM_STORE_VALUE_LEN, v);
}

/* Encode expiry + value into buf[REC_LEN]. */
static void rec_encode(unsigned char *buf, int64_t expires, const struct am_store_value *v)
{
	for (int i = 0; i < 8; i++)
		buf[i] = (unsigned char)((uint64_t)expires >> (8 * i));
	am_store_value_encode(v, buf + 8);
}

/* Read key in txn: *live = 1 when present and unexpired (v, expires
 * filled), 0 when absent, expired or malformed. Returns an LMDB code. */
static int rec_read(MDB_txn *txn, MDB_dbi dbi, const char *key, int64_t now,
		    struct am_store_value *v, int64_t *expires, int *live)
{
	MDB_val k = {strlen(key), (void *)key}, d;
	int rc = mdb_get(txn, dbi, &k, &d);
	*live = 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	*live = rec_decode(&d, expires, v) == 0 && *expires > now;
	return 0;
}

/* Write key = (now + ttl, v) in txn. */
static int rec_write(MDB_txn *txn, MDB_dbi dbi, const char *key, int64_t expires,
		     const struct am_store_value *v)
{
	unsigned char buf[REC_LEN];
	MDB_val k = {strlen(key), (void *)key}, d = {REC_LEN, buf};
	rec_encode(buf, expires, v);
	return mdb_put(txn, dbi, &k, &d, 0);
}

/* Look a key up in a read-only transaction. */
static enum am_store_status lmdb_get(struct am_store *s, const char *key, int64_t now,
				     struct am_store_value *out, char *err, size_t errlen)
{
	struct lmdb_store *ls = s->impl;
	MDB_txn *txn;
	int64_t exp;
	int live, rc = mdb_txn_begin(ls->env, NULL, MDB_RDONLY, &txn);
	if (rc != 0)
		return lmdb_fail("begin", rc, ls, err, errlen);
	rc = rec_read(txn, ls->dbi, key, now, out, &exp, &live);
	mdb_txn_abort(txn);
	if (rc != 0)
		return lmdb_fail("get", rc, ls, err, errlen);
	return live ? AM_STORE_OK : AM_STORE_NOTFOUND;
}

/* Where a purge goes on: the key after which the next batch starts. */
struct purge_pos {
	char key[AM_STORE_KEY_MAX + 1];
	size_t len;            /* 0: from the first key */
};

/* Delete up to batch expired records in one transaction, starting after
 * pos; *more says whether the batch was full (pos then says where). */
static int purge_batch(struct lmdb_store *ls, int64_t now, size_t batch, struct purge_pos *pos,
		       size_t *purged, int *more)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k = {pos->len, pos->key}, d;
	size_t n = 0;
	int rc = mdb_txn_begin(ls->env, NULL, 0, &txn);
	if (rc != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, ls->dbi, &cur)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	for (rc = mdb_cursor_get(cur, &k, &d, pos->len ? MDB_SET_RANGE : MDB_FIRST);
	     rc == 0 && n < batch; rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		struct am_store_value v;
		int64_t exp;
		if (rec_decode(&d, &exp, &v) == 0 && exp > now)
			continue;
		pos->len = k.mv_size <= AM_STORE_KEY_MAX ? k.mv_size : AM_STORE_KEY_MAX;
		memcpy(pos->key, k.mv_data, pos->len); /* before the delete frees it */
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
		n++;
	}
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return rc;
	}
	*more = (n == batch);
	if ((rc = mdb_txn_commit(txn)) == 0)
		*purged += n;
	return rc;
}

/* Remove every expired record, batch by batch, in one pass over the keys. */
static enum am_store_status purge_all(struct am_store *s, int64_t now, size_t batch,
				      size_t *purged, char *err, size_t errlen)
{
	struct lmdb_store *ls = s->impl;
	struct purge_pos pos = {.len = 0};
	int more = 1, rc = 0;
	while (more && rc == 0)
		rc = purge_batch(ls, now, batch, &pos, purged, &more);
	if (rc != 0)
		return lmdb_fail("purge", rc, ls, err, errlen);
	return AM_STORE_OK;
}

/* The purge operation of the interface. */
static enum am_store_status lmdb_purge(struct am_store *s, int64_t now, size_t *purged,
				       char *err, size_t errlen)
{
	return purge_all(s, now, PURGE_BATCH, purged, err, errlen);
}

/* Run the scheduled purge if it is due; one thread wins the slot. */
static void maybe_purge(struct am_store *s, int64_t now)
{
	struct lmdb_store *ls = s->impl;
	int64_t due = atomic_load(&ls->next_purge);
	char err[128];
	size_t n = 0;
	if (ls->purge_interval <= 0 || now < due)
		return;
	if (!atomic_compare_exchange_strong(&ls->next_purge, &due, now + ls->purge_interval))
		return;
	(void)lmdb_purge(s, now, &n, err, sizeof(err)); /* a failed purge is retried next time */
}

/* True when the trees fill 90% of the map. New records are refused from
 * there, so that deletes and purges (copy-on-write needs free pages) always
 * find room: a completely full LMDB map cannot even delete. */
static bool tree_full(MDB_txn *txn, MDB_dbi dbi, const struct lmdb_store *ls)
{
	MDB_stat m, f;
	if (mdb_stat(txn, dbi, &m) != 0 || mdb_stat(txn, 0, &f) != 0)
		return false;
	return m.ms_branch_pages + m.ms_leaf_pages + m.ms_overflow_pages + f.ms_branch_pages +
		       f.ms_leaf_pages + f.ms_overflow_pages >=
	       ls->full_pages;
}

/* The body of one write operation: returns an LMDB code, *st the outcome. */
static int wop_run(MDB_txn *txn, const struct lmdb_store *ls, struct wop *w,
		   enum am_store_status *st)
{
	MDB_dbi dbi = ls->dbi;
	struct am_store_value cur;
	int64_t exp;
	int rc = 0, live = 0;
	MDB_val k = {strlen(w->key), (void *)w->key};
	if (w->kind != W_SET && (rc = rec_read(txn, dbi, w->key, w->now, &cur, &exp, &live)) != 0)
		return rc;
	*st = AM_STORE_OK;
	switch (w->kind) {
	case W_ADD:
		if (live) {
			*w->existing = cur;
			*st = AM_STORE_EXISTS;
			return 0;
		}
		/* absent or expired: write it */
		if (tree_full(txn, dbi, ls))
			return MDB_MAP_FULL;
		return rec_write(txn, dbi, w->key, w->now + w->ttl, w->v);
	case W_SET:
		if (tree_full(txn, dbi, ls))
			return MDB_MAP_FULL;
		return rec_write(txn, dbi, w->key, w->now + w->ttl, w->v);
	case W_DEL:
		rc = mdb_del(txn, dbi, &k, NULL);
		if (rc == MDB_NOTFOUND || !live)
			*st = AM_STORE_NOTFOUND;
		return rc == MDB_NOTFOUND ? 0 : rc;
	}
	return 0;
}

/* Run one write operation in its own transaction; on a full map purge and
 * try once more. */
static enum am_store_status lmdb_write(struct am_store *s, struct wop *w, char *err,
				       size_t errlen)
{
	struct lmdb_store *ls = s->impl;
	enum am_store_status st = AM_STORE_OK;
	int rc = 0;
	maybe_purge(s, w->now);
	for (int attempt = 0; attempt < 2; attempt++) {
		MDB_txn *txn;
		size_t n = 0;
		if ((rc = mdb_txn_begin(ls->env, NULL, 0, &txn)) != 0)
			return lmdb_fail("begin", rc, ls, err, errlen);
		rc = wop_run(txn, ls, w, &st);
		if (rc == 0 && st != AM_STORE_OK && w->kind != W_DEL) {
			mdb_txn_abort(txn);
			return st;
		}
		if (rc == 0)
			rc = mdb_txn_commit(txn);
		else
			mdb_txn_abort(txn);
		if (rc != MDB_MAP_FULL || attempt == 1 || w->now < atomic_load(&ls->full_until))
			break;
		if (purge_all(s, w->now, PURGE_BATCH_FULL, &n, err, errlen) != AM_STORE_OK || n == 0) {
			atomic_store(&ls->full_until, w->now + 60); /* do not rescan on every write */
			break;
		}
	}
	if (rc != 0)
		return lmdb_fail("write", rc, ls, err, errlen);
	return st;
}

/* Create if absent (atomic: LMDB has one writer at a time). */
static enum am_store_status lmdb_add(struct am_store *s, const char *key,
				     const struct am_store_value *v, long ttl, int64_t now,
				     struct am_store_value *existing, char *err, size_t errlen)
{
	struct wop w = {W_ADD, key, v, ttl, now, existing};
	return lmdb_write(s, &w, err, errlen);
}

/* Create or replace. */
static enum am_store_status lmdb_set(struct am_store *s, const char *key,
				     const struct am_store_value *v, long ttl, int64_t now,
				     char *err, size_t errlen)
{
	struct wop w = {W_SET, key, v, ttl, now, NULL};
	return lmdb_write(s, &w, err, errlen);
}

/* Delete a record. */
static enum am_store_status lmdb_del(struct am_store *s, const char *key, int64_t now,
				     char *err, size_t errlen)
{
	struct wop w = {W_DEL, key, NULL, 0, now, NULL};
	return lmdb_write(s, &w, err, errlen);
}

/* Close the environment. */
static void lmdb_destroy(struct am_store *s)
{
	struct lmdb_store *ls = s->impl;
	if (ls) {
		mdb_dbi_close(ls->env, ls->dbi);
		mdb_env_close(ls->env);
		free(ls);
	}
	free(s);
}

static const struct am_store_ops lmdb_ops = {
	"lmdb", lmdb_get, lmdb_add, lmdb_set, lmdb_del, lmdb_purge, lmdb_destroy,
};

/* Open the environment and its main database. */
static int env_open(struct lmdb_store *ls, const struct am_store_conf *c, char *err,
		    size_t errlen)
{
	MDB_txn *txn;
	MDB_stat st;
	int dead, rc = mdb_env_create(&ls->env);
	if (rc == 0)
		rc = mdb_env_set_mapsize(ls->env, (size_t)c->lmdb_map_size_mb << 20);
	if (rc == 0)
		rc = mdb_env_open(ls->env, c->lmdb_path, MDB_NOSUBDIR | MDB_NOTLS | MDB_NOMETASYNC,
				  0600);
	if (rc == 0)
		rc = mdb_reader_check(ls->env, &dead); /* slots left by a crashed process */
	if (rc == 0)
		rc = mdb_env_stat(ls->env, &st);
	if (rc == 0)
		ls->full_pages = (((size_t)c->lmdb_map_size_mb << 20) / st.ms_psize) * 9 / 10;
	if (rc == 0)
		rc = mdb_txn_begin(ls->env, NULL, 0, &txn);
	if (rc == 0) {
		rc = mdb_dbi_open(txn, NULL, 0, &ls->dbi);
		rc = rc == 0 ? mdb_txn_commit(txn) : (mdb_txn_abort(txn), rc);
	}
	if (rc != 0) {
		snprintf(err, errlen, "lmdb %s: %s", c->lmdb_path, mdb_strerror(rc));
		if (ls->env)
			mdb_env_close(ls->env);
		return -1;
	}
	return 0;
}

/* An existing file is checked first (am_store_lmdb_check.c): a damaged
 * one is refused, or with lmdb_move_aside renamed PATH.damaged.UNIXTIME
 * (kept for a look, never deleted) so that a new, empty store starts in
 * its place: the greylist is a cache of retries, losing it costs senders
 * one more delay, while a refused store stops all mail. A file that is
 * not LMDB at all is never moved: lmdb_path may name someone else's file. */
static int damage_check(const struct am_store_conf *c, char *err, size_t errlen)
{
	char why[300], aside[4200];
	enum am_store_lmdb_health h = am_store_lmdb_check(c->lmdb_path, c->lmdb_map_size_mb, why,
							  sizeof(why));
	if (h == AM_LMDB_OK || h == AM_LMDB_ABSENT)
		return 0;
	if (h == AM_LMDB_UNUSABLE || !c->lmdb_move_aside) {
		snprintf(err, errlen, "lmdb %s: %s%s: refused%s", c->lmdb_path,
			 h == AM_LMDB_DAMAGED ? "damaged, " : "", why,
			 h == AM_LMDB_DAMAGED ? " (move it aside, or set lmdb_on_damage = move-aside)"
					      : "");
		return -1;
	}
	snprintf(aside, sizeof(aside), "%s.damaged.%lld", c->lmdb_path, (long long)time(NULL));
	if (rename(c->lmdb_path, aside) != 0) {
		snprintf(err, errlen, "lmdb %s: damaged, %s; cannot move it aside: %s", c->lmdb_path,
			 why, strerror(errno));
		return -1;
	}
	am_log(LOG_ERR, "greylist store lmdb %s: damaged, %s: moved aside to %s, starting empty",
	       c->lmdb_path, why, aside);
	return 0;
}

/* Open (creating if needed) the LMDB file c->lmdb_path. */
struct am_store *am_store_lmdb_open(const struct am_store_conf *c, char *err, size_t errlen)
{
	struct am_store *s;
	struct lmdb_store *ls;
	if (!c->lmdb_path || !*c->lmdb_path) {
		snprintf(err, errlen, "greylist lmdb_path is not set");
		return NULL;
	}
	if (c->lmdb_map_size_mb < 1) {
		snprintf(err, errlen, "lmdb_map_size %ld MB: must be at least 1", c->lmdb_map_size_mb);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	ls = calloc(1, sizeof(*ls));
	if (!s || !ls) {
		free(s);
		free(ls);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ls->purge_interval = c->lmdb_purge_interval;
	ls->map_mb = c->lmdb_map_size_mb;
	atomic_init(&ls->next_purge, 0); /* the first write purges what expired while down */
	atomic_init(&ls->full_until, 0);
	if (damage_check(c, err, errlen) < 0 || env_open(ls, c, err, errlen) < 0) {
		free(ls);
		free(s);
		return NULL;
	}
	s->ops = &lmdb_ops;
	s->impl = ls;
	snprintf(s->describe, sizeof(s->describe), "lmdb:%s", c->lmdb_path);
	return s;
}
