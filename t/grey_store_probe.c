/*
 * grey_store_probe.c - looks into (and, for tests that need time to have
 * passed, writes into) the greylisting store of a running daemon, for
 * t/daemon-grey.sh and t/daemon-grey-lmdb.sh. It reads the daemon's own
 * config file, so keys and store settings are derived exactly as the
 * daemon derives them (am_grey, am_store); it is not a second
 * implementation of either, except for `dump`, which walks the LMDB file
 * record by record (8-byte little-endian expiry + the encoded value, the
 * layout am_store_lmdb.c writes).
 *
 *   grey_store_probe CONFIG key IP SENDER RCPT  triplet key (network from IP)
 *   grey_store_probe CONFIG netkey IP           the network's counter key
 *   grey_store_probe CONFIG get NOW KEY         "state=S first=F last=L count=C"
 *                                               or "notfound" (exit 1)
 *   grey_store_probe CONFIG set NOW TTL KEY STATE FIRST COUNT
 *                                               write a record as of NOW
 *   grey_store_probe CONFIG dump                lmdb: every record, expired
 *                       ones too: "KEY expires=E state=S first=F last=L count=C"
 * NOW is Unix seconds or "now". Exit 0 ok, 1 not found, 2 error.
 * Not here: any greylisting decision (the daemon makes them).
 */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "am_config.h"
#include "am_grey.h"
#include "am_store.h"

/* Print a message and exit 2. */
static void fail(const char *what, const char *why)
{
	fprintf(stderr, "grey_store_probe: %s: %s\n", what, why);
	exit(2);
}

/* "now" or a number of Unix seconds. */
static int64_t parse_time(const char *s)
{
	return strcmp(s, "now") == 0 ? (int64_t)time(NULL) : strtoll(s, NULL, 10);
}

/* Print one value. */
static void print_value(const struct am_store_value *v)
{
	printf("state=%u first=%lld last=%lld count=%u\n", (unsigned)v->state,
	       (long long)v->first_seen, (long long)v->last_seen, (unsigned)v->count);
}

/* Every record of the LMDB file, straight from LMDB (the daemon may run). */
static int dump_lmdb(const struct am_config *cfg)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_cursor *cur;
	MDB_val k, d;
	int rc = mdb_env_create(&env);

	if (rc == 0)
		rc = mdb_env_set_mapsize(env, (size_t)cfg->grey_lmdb_map_size_mb << 20);
	if (rc == 0)
		rc = mdb_env_open(env, cfg->grey_lmdb_path, MDB_NOSUBDIR | MDB_RDONLY | MDB_NOTLS, 0600);
	if (rc == 0)
		rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
	if (rc == 0)
		rc = mdb_dbi_open(txn, NULL, 0, &dbi);
	if (rc == 0)
		rc = mdb_cursor_open(txn, dbi, &cur);
	if (rc != 0)
		fail(cfg->grey_lmdb_path, mdb_strerror(rc));
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		const unsigned char *p = d.mv_data;
		struct am_store_value v;
		uint64_t exp = 0;
		if (d.mv_size != 8 + AM_STORE_VALUE_LEN ||
		    am_store_value_decode(p + 8, AM_STORE_VALUE_LEN, &v) != 0) {
			printf("%.*s malformed\n", (int)k.mv_size, (char *)k.mv_data);
			continue;
		}
		for (int i = 7; i >= 0; i--)
			exp = (exp << 8) | p[i];
		printf("%.*s expires=%lld ", (int)k.mv_size, (char *)k.mv_data, (long long)exp);
		print_value(&v);
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return 0;
}

/* The network part as the daemon computes it (no SPF domain). */
static void network_of(const struct am_config *cfg, const char *ip, char *out, size_t outlen)
{
	if (am_grey_network(cfg, ip, NULL, out, outlen) < 0)
		fail(ip, "not an IP address");
}

/* Lower-cased copy of a recipient (as am_grey does). */
static void lower(const char *in, char *out, size_t outlen)
{
	size_t i;
	for (i = 0; in[i] && i + 1 < outlen; i++)
		out[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32 : in[i]);
	out[i] = '\0';
}

/* get / set through the store the config names. */
static int store_cmd(struct am_config *cfg, int argc, char **argv)
{
	struct am_store_registry *reg = am_store_registry_new();
	struct am_store_value v = {0};
	enum am_store_status st;
	struct am_grey *g;
	char err[512];
	int rc = 0;

	cfg->grey_enable = true;
	cfg->grey_lmdb_purge_interval = 0; /* a probe never purges: the daemon must */
	if (!reg || !(g = am_grey_new(cfg, reg, err, sizeof(err))))
		fail("store", reg ? err : "out of memory");
	if (strcmp(argv[0], "get") == 0 && argc == 3) {
		st = am_store_get(am_grey_store(g), argv[2], parse_time(argv[1]), &v, err, sizeof(err));
		if (st == AM_STORE_OK)
			print_value(&v);
		else
			printf("%s\n", st == AM_STORE_ERROR ? err : "notfound");
		rc = st == AM_STORE_OK ? 0 : st == AM_STORE_NOTFOUND ? 1 : 2;
	} else if (strcmp(argv[0], "set") == 0 && argc == 7) {
		v.first_seen = v.last_seen = strtoll(argv[5], NULL, 10);
		v.state = (uint8_t)atoi(argv[4]);
		v.count = (uint32_t)atoi(argv[6]);
		st = am_store_set(am_grey_store(g), argv[3], &v, atol(argv[2]), parse_time(argv[1]),
				  err, sizeof(err));
		if (st != AM_STORE_OK)
			printf("%s\n", err);
		rc = st == AM_STORE_OK ? 0 : 2;
	} else {
		fprintf(stderr, "grey_store_probe: bad arguments to %s\n", argv[0]);
		rc = 2;
	}
	am_grey_free(g);
	am_store_registry_free(reg);
	return rc;
}

int main(int argc, char **argv)
{
	char err[512], net[300], key[AM_STORE_KEY_MAX + 1], rcpt[300], sender[300];
	struct am_config *cfg;
	int rc = 0;

	if (argc < 3)
		fail("usage", "grey_store_probe CONFIG key|netkey|get|set|dump ARGS");
	if (!(cfg = am_config_load(argv[1], err, sizeof(err))))
		fail(argv[1], err);
	if (strcmp(argv[2], "key") == 0 && argc == 6) {
		network_of(cfg, argv[3], net, sizeof(net));
		am_grey_norm_sender(cfg, argv[4], sender, sizeof(sender));
		lower(argv[5], rcpt, sizeof(rcpt));
		am_grey_triplet_key(net, sender, rcpt, key);
		printf("%s\n", key);
	} else if (strcmp(argv[2], "netkey") == 0 && argc == 4) {
		network_of(cfg, argv[3], net, sizeof(net));
		am_grey_network_key(net, key);
		printf("%s\n", key);
	} else if (strcmp(argv[2], "dump") == 0 && argc == 3) {
		rc = dump_lmdb(cfg);
	} else if (strcmp(argv[2], "get") == 0 || strcmp(argv[2], "set") == 0) {
		rc = store_cmd(cfg, argc - 2, argv + 2);
	} else {
		fail("usage", "grey_store_probe CONFIG key|netkey|get|set|dump ARGS");
	}
	am_config_free(cfg);
	return rc;
}
