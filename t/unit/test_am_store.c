/*
 * test_am_store.c - unit tests of the greylisting store layer: SHA-256 (the
 * key hash), the value encoding, memcached's 30-day expiry rule, the LMDB
 * backend (create-if-absent, expiry, refresh by set, purge, map full, state kept
 * across close and reopen), the check of an existing LMDB file (truncated,
 * not LMDB; refused or moved aside) and the registry that keeps one
 * environment per file. Runs in a temporary directory.
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "am_sha256.h"
#include "am_store.h"
#include "tap.h"

#define DAY 86400

static char tmpdir[256];

static void test_sha256(void)
{
	char out[65], big[1001];
	am_sha256_hex("", 0, out);
	is_str(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256 empty");
	am_sha256_hex("abc", 3, out);
	is_str(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256 abc");
	am_sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, out);
	is_str(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	       "sha256 two blocks (56 bytes)");
	memset(big, 'a', 1000);
	am_sha256_hex(big, 1000, out);
	is_str(out, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3",
	       "sha256 1000 x a");
}

static void test_value_and_expiry(void)
{
	struct am_store_value v = {1700000000, 1700000300, 7, AM_STORE_PASSED}, w;
	unsigned char buf[AM_STORE_VALUE_LEN];
	am_store_value_encode(&v, buf);
	ok(am_store_value_decode(buf, sizeof(buf), &w) == 0 && w.first_seen == v.first_seen &&
		   w.last_seen == v.last_seen && w.count == 7 && w.state == AM_STORE_PASSED,
	   "value round trip");
	is_int(buf[4], 7, "count is little-endian on the wire");
	ok(am_store_value_decode(buf, sizeof(buf) - 1, &w) < 0, "short value refused");
	buf[0] = 9;
	ok(am_store_value_decode(buf, sizeof(buf), &w) < 0, "unknown version refused");
	is_int(am_store_memcached_expiry(300, 1700000000), 300, "memcached: 300 s sent relative");
	is_int(am_store_memcached_expiry(30 * DAY, 1700000000), 30 * DAY,
	       "memcached: 30 days still relative");
	is_int(am_store_memcached_expiry(36 * DAY, 1700000000), 1700000000 + 36 * DAY,
	       "memcached: 36 days sent as absolute Unix time");
}

/* Open an LMDB store at tmpdir/name. */
static struct am_store *lmdb_at(const char *name, long map_mb)
{
	struct am_store_conf c;
	char path[512], err[256];
	struct am_store *s;
	am_store_conf_defaults(&c);
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	c.lmdb_path = path;
	c.lmdb_map_size_mb = map_mb;
	s = am_store_lmdb_open(&c, err, sizeof(err));
	if (!s)
		printf("# lmdb open: %s\n", err);
	return s;
}

static void test_lmdb_store(void)
{
	struct am_store *s = lmdb_at("ops.lmdb", 4);
	struct am_store_value v = {1000, 1000, 0, AM_STORE_PENDING}, got;
	char err[256];
	size_t purged;
	if (!ok(s != NULL, "lmdb store opens"))
		return;
	is_int(am_store_get(s, "k1", 1000, &got, err, sizeof(err)), AM_STORE_NOTFOUND, "get: absent");
	is_int(am_store_add(s, "k1", &v, 100, 1000, &got, err, sizeof(err)), AM_STORE_OK, "add: new");
	v.first_seen = 1050;
	is_int(am_store_add(s, "k1", &v, 100, 1050, &got, err, sizeof(err)), AM_STORE_EXISTS,
	       "add again: exists");
	is_int(got.first_seen, 1000, "add again: the first timer is kept and returned");
	is_int(am_store_get(s, "k1", 1099, &got, err, sizeof(err)), AM_STORE_OK, "get before expiry");
	is_int(am_store_get(s, "k1", 1100, &got, err, sizeof(err)), AM_STORE_NOTFOUND,
	       "get at expiry: gone");
	is_int(am_store_add(s, "k1", &v, 100, 1100, &got, err, sizeof(err)), AM_STORE_OK,
	       "add over an expired record");
	is_int(am_store_set(s, "k1", &v, 1000, 1150, err, sizeof(err)), AM_STORE_OK, "set again");
	is_int(am_store_get(s, "k1", 2100, &got, err, sizeof(err)), AM_STORE_OK,
	       "set again: a new lifetime");
	v.state = AM_STORE_PASSED;
	is_int(am_store_set(s, "k1", &v, 10, 1200, err, sizeof(err)), AM_STORE_OK, "set replaces");
	ok(am_store_get(s, "k1", 1205, &got, err, sizeof(err)) == AM_STORE_OK &&
		   got.state == AM_STORE_PASSED,
	   "set: new value and ttl");
	is_int(am_store_del(s, "k1", 1205, err, sizeof(err)), AM_STORE_OK, "delete");
	is_int(am_store_del(s, "k1", 1205, err, sizeof(err)), AM_STORE_NOTFOUND, "delete absent");
	is_int(am_store_get(s, "bad key", 1, &got, err, sizeof(err)), AM_STORE_ERROR,
	       "blank in a key: error");
	ok(strstr(err, "key") != NULL, "error names the key");
	is_int(am_store_set(s, "k", &v, 0, 1, err, sizeof(err)), AM_STORE_ERROR, "ttl 0: error");

	for (int i = 0; i < 1000; i++) {
		char key[32];
		snprintf(key, sizeof(key), "p%d", i);
		am_store_set(s, key, &v, i % 2 ? 1000 : 10, 5000, err, sizeof(err));
	}
	is_int(am_store_purge(s, 5010, &purged, err, sizeof(err)), AM_STORE_OK, "purge runs");
	is_int(purged, 500, "purge removed exactly the 500 expired of 1000 (several batches)");
	ok(am_store_get(s, "p31", 5010, &got, err, sizeof(err)) == AM_STORE_OK,
	   "live records are kept");
	is_int(am_store_purge(s, 5010, &purged, err, sizeof(err)), AM_STORE_OK, "purge again");
	is_int(purged, 0, "nothing left to purge");
	am_store_close(s);

	/* state survives closing and reopening (a daemon restart) */
	s = lmdb_at("ops.lmdb", 4);
	ok(s && am_store_get(s, "p31", 5010, &got, err, sizeof(err)) == AM_STORE_OK,
	   "reopened: records survive");
	am_store_close(s);
}

static void test_lmdb_full(void)
{
	struct am_store *s = lmdb_at("full.lmdb", 1);
	struct am_store_value v = {1, 1, 0, AM_STORE_PENDING}, got;
	char err[256] = "", key[80];
	enum am_store_status st = AM_STORE_OK;
	int i;
	if (!ok(s != NULL, "1 MB lmdb store opens"))
		return;
	for (i = 0; i < 100000 && st == AM_STORE_OK; i++) {
		snprintf(key, sizeof(key), "g:%064d", i);
		st = am_store_set(s, key, &v, 1000, 10, err, sizeof(err));
	}
	is_int(st, AM_STORE_ERROR, "filling a 1 MB map ends in an error status");
	ok(strstr(err, "map full") != NULL, "the reason says map full");
	diag("map full after %d records: %s", i - 1, err);
	ok(am_store_get(s, "g:0000000000000000000000000000000000000000000000000000000000000000",
			10, &got, err, sizeof(err)) == AM_STORE_OK,
	   "reads still work on a full map");
	/* once the records expire, the next write purges and succeeds */
	is_int(am_store_set(s, key, &v, 1000, 2000, err, sizeof(err)), AM_STORE_OK,
	       "full map with expired records: purged and written");
	am_store_close(s);
}

/* How many files match pattern. */
static size_t count_files(const char *pattern)
{
	glob_t g;
	size_t n = glob(pattern, 0, NULL, &g) == 0 ? g.gl_pathc : 0;
	globfree(&g);
	return n;
}

/* A store of n records at path, closed again. */
static void write_records(const char *path, int n)
{
	struct am_store_conf c;
	struct am_store_value v = {1000, 1000, 0, AM_STORE_PENDING};
	struct am_store *s;
	char err[256], key[32];
	am_store_conf_defaults(&c);
	c.lmdb_path = path;
	if (!(s = am_store_lmdb_open(&c, err, sizeof(err))))
		return;
	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "g:%08d", i);
		am_store_add(s, key, &v, 3600, 1000, NULL, err, sizeof(err));
	}
	am_store_close(s);
}

static void test_lmdb_check(void)
{
	struct am_store_conf c;
	struct am_store_value v;
	struct am_store *s;
	struct stat st;
	char path[512], pattern[600], why[300] = "", err[512] = "", warn[512] = "";
	FILE *f;
	am_store_conf_defaults(&c);
	snprintf(path, sizeof(path), "%s/check.lmdb", tmpdir);
	c.lmdb_path = path;
	is_int(am_store_lmdb_check(path, 64, why, sizeof(why)), AM_LMDB_ABSENT, "check: absent file");
	is_int(am_store_check_conf(&c, warn, sizeof(warn), err, sizeof(err)), 0,
	       "-n: an absent file in an existing directory is fine");
	write_records(path, 2000);
	ok(am_store_lmdb_check(path, 64, why, sizeof(why)) == AM_LMDB_OK, "check: intact file (%s)", why);
	ok(stat(path, &st) == 0 && truncate(path, st.st_size / 2) == 0, "file cut to half its size");
	is_int(am_store_lmdb_check(path, 64, why, sizeof(why)), AM_LMDB_DAMAGED, "check: truncated file");
	ok(strncmp(why, "truncated: ", 11) == 0 && strstr(why, "but its last page"), "... says so (%s)",
	   why);
	ok(am_store_lmdb_open(&c, err, sizeof(err)) == NULL, "refused by default (lmdb_move_aside off)");
	ok(strstr(err, "damaged, truncated: ") && strstr(err, "refused"), "... and why (%s)", err);
	is_int(am_store_check_conf(&c, warn, sizeof(warn), err, sizeof(err)), -1,
	       "-n: refused, as the start would");
	c.lmdb_move_aside = true;
	is_int(am_store_check_conf(&c, warn, sizeof(warn), err, sizeof(err)), 0,
	       "-n with move-aside: passes ...");
	ok(strstr(warn, "damaged, truncated: ") && strstr(warn, "will move it aside"),
	   "... with a warning (%s)", warn);
	s = am_store_lmdb_open(&c, err, sizeof(err));
	ok(s != NULL, "move-aside: opens%s%s", s ? "" : ": ", s ? "" : err);
	snprintf(pattern, sizeof(pattern), "%s.damaged.*", path);
	is_int((int)count_files(pattern), 1, "the damaged file is kept beside it");
	if (s)
		is_int(am_store_get(s, "g:00000001", 1000, &v, err, sizeof(err)), AM_STORE_NOTFOUND,
		       "the new store starts empty");
	am_store_close(s);
	snprintf(path, sizeof(path), "%s/stub.lmdb", tmpdir);
	write_records(path, 10);
	ok(truncate(path, 100) == 0, "a store cut to 100 bytes (its first meta page, partly)");
	ok(am_store_lmdb_check(path, 64, why, sizeof(why)) == AM_LMDB_DAMAGED,
	   "check: damaged, not foreign: it starts as LMDB does (%s)", why);
	snprintf(path, sizeof(path), "%s/notlmdb.lmdb", tmpdir);
	if ((f = fopen(path, "w"))) {
		for (int i = 0; i < 1000; i++)
			fputs("not an LMDB file at all\n", f);
		fclose(f);
	}
	ok(am_store_lmdb_check(path, 64, why, sizeof(why)) == AM_LMDB_UNUSABLE, "check: not LMDB (%s)",
	   why);
	ok(am_store_lmdb_open(&c, err, sizeof(err)) == NULL && stat(path, &st) == 0,
	   "never moved aside, even with move-aside (it may be someone else's file)");
	c.lmdb_path = "/nonexistent-dir/x.lmdb";
	ok(am_store_check_conf(&c, warn, sizeof(warn), err, sizeof(err)) == -1,
	   "-n: a missing directory is an error (%s)", err);
	c.backend = "memcached";
	c.memcached_servers = "127.0.0.1:1, 127.0.0.1:2";
	ok(am_store_check_conf(&c, warn, sizeof(warn), err, sizeof(err)) == 0,
	   "-n: memcached servers parse (nothing connected)");
	c.memcached_servers = "";
	ok(am_store_check_conf(&c, warn, sizeof(warn), err, sizeof(err)) == -1,
	   "-n: a memcached list the start cannot parse fails (%s)", err);
}

static void test_registry(void)
{
	struct am_store_registry *r = am_store_registry_new();
	struct am_store_conf c;
	struct am_store *a, *b, *d;
	char p1[512], p2[512], err[256];
	am_store_conf_defaults(&c);
	snprintf(p1, sizeof(p1), "%s/reg.lmdb", tmpdir);
	snprintf(p2, sizeof(p2), "%s/./reg.lmdb", tmpdir);
	c.lmdb_path = p1;
	a = am_store_registry_acquire(r, &c, err, sizeof(err));
	c.lmdb_path = p2;
	b = am_store_registry_acquire(r, &c, err, sizeof(err));
	ok(a && a == b, "same LMDB file (another spelling): the same store, not a second open");
	snprintf(p2, sizeof(p2), "%s/other.lmdb", tmpdir);
	d = am_store_registry_acquire(r, &c, err, sizeof(err));
	ok(d && d != a, "another file: another store");
	am_store_release(a);
	am_store_release(d);
	ok(b->refs == 1, "one reference left after a release");
	am_store_release(b);
	c.lmdb_path = "/nonexistent-dir/x.lmdb";
	ok(am_store_registry_acquire(r, &c, err, sizeof(err)) == NULL && err[0],
	   "missing directory: error");
	am_store_registry_free(r);
}

int main(void)
{
	const char *base = getenv("TMPDIR");
	char cmd[600];
	snprintf(tmpdir, sizeof(tmpdir), "%s/amstore.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		printf("1..0 # SKIP cannot make a temporary directory\n");
		return 0;
	}
	test_sha256();
	test_value_and_expiry();
	test_lmdb_store();
	test_lmdb_full();
	test_lmdb_check();
	test_registry();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		diag("could not remove %s", tmpdir);
	return done_testing();
}
