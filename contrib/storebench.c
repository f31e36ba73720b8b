/*
 * storebench - operations per second of the greylisting stores (LMDB and
 * memcached) with 1 and N threads sharing one store, as the milter's
 * threads do. Phases: add (new keys, the first attempt of a triplet), get
 * (a lookup), set (a refresh of a passed triplet), and mixed (the
 * greylisting path: get, then add or set). Every phase is bounded by a
 * count per thread and by a time limit. A tool, not a test: it prints
 * numbers and judges nothing.
 *
 * usage: storebench [-b lmdb|memcached|both] [-s host:port,...] [-d dir]
 *                   [-t 1,10] [-n ops-per-thread] [-T seconds-per-phase]
 *        storebench -h | --help
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "am_sha256.h"
#include "am_store.h"

enum phase { P_ADD, P_GET, P_SET, P_MIXED, P_COUNT };
static const char *const phase_name[] = {"add", "get", "set", "mixed"};

struct job {
	struct am_store *store;
	enum phase phase;
	int thread, ops;
	unsigned run;            /* distinguishes runs so that adds make new keys */
	double deadline;
	long done, errors;
	char first_error[256];
};

/* Monotonic seconds. */
static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A key shaped like the real ones: "g:" + 64 hex digits. */
static void make_key(unsigned run, int thread, int i, char *key)
{
	char seed[64];
	int n = snprintf(seed, sizeof(seed), "%u/%d/%d", run, thread, i);
	key[0] = 'g';
	key[1] = ':';
	am_sha256_hex(seed, (size_t)n, key + 2);
}

/* One thread's share of a phase. */
static void *worker(void *arg)
{
	struct job *j = arg;
	struct am_store_value v = {(int64_t)time(NULL), (int64_t)time(NULL), 0, AM_STORE_PENDING};
	char key[AM_STORE_KEY_MAX + 1], err[256];
	for (int i = 0; i < j->ops; i++) {
		enum am_store_status st;
		struct am_store_value got;
		int64_t now = (int64_t)time(NULL);
		if ((i & 63) == 0 && now_s() > j->deadline)
			break;
		make_key(j->run, j->thread, i, key);
		if (j->phase == P_ADD) {
			st = am_store_add(j->store, key, &v, 3600, now, &got, err, sizeof(err));
		} else if (j->phase == P_GET) {
			st = am_store_get(j->store, key, now, &got, err, sizeof(err));
		} else if (j->phase == P_SET) {
			st = am_store_set(j->store, key, &v, 3600, now, err, sizeof(err));
		} else {
			make_key(j->run + 1000, j->thread, i / 2, key); /* half new, half known */
			st = am_store_get(j->store, key, now, &got, err, sizeof(err));
			if (st == AM_STORE_NOTFOUND)
				st = am_store_add(j->store, key, &v, 3600, now, &got, err, sizeof(err));
			else if (st == AM_STORE_OK)
				st = am_store_set(j->store, key, &v, 3600, now, err, sizeof(err));
		}
		if (st == AM_STORE_ERROR && j->errors++ == 0)
			snprintf(j->first_error, sizeof(j->first_error), "%s", err);
		j->done++;
	}
	return NULL;
}

/* Run one phase on nthreads threads; print a line. */
static void run_phase(struct am_store *s, const char *name, enum phase p, int nthreads, int ops,
		      double limit, unsigned run)
{
	pthread_t tid[256];
	struct job jobs[256];
	long done = 0, errors = 0;
	double t0 = now_s(), dt;
	const char *first = "";
	for (int t = 0; t < nthreads; t++) {
		jobs[t] = (struct job){s, p, t, ops, run, t0 + limit, 0, 0, ""};
		pthread_create(&tid[t], NULL, worker, &jobs[t]);
	}
	for (int t = 0; t < nthreads; t++) {
		pthread_join(tid[t], NULL);
		done += jobs[t].done;
		errors += jobs[t].errors;
		if (!*first && jobs[t].errors)
			first = jobs[t].first_error;
	}
	dt = now_s() - t0;
	printf("%-10s %-6s threads=%-3d ops=%-8ld %9.0f ops/s  %6.1f us/op/thread  errors=%ld%s%s\n",
	       name, phase_name[p], nthreads, done, dt > 0 ? (double)done / dt : 0.0,
	       done ? dt * 1e6 * nthreads / (double)done : 0.0, errors, *first ? " first: " : "",
	       first);
	fflush(stdout);
}

/* All phases for one store and each thread count. */
static void bench(struct am_store *s, const char *name, const int *threads, int nt, int ops,
		  double limit)
{
	static unsigned run = 1;
	for (int i = 0; i < nt; i++, run++)
		for (int p = 0; p < P_COUNT; p++)
			run_phase(s, name, (enum phase)p, threads[i], ops, limit, run * 7919u);
}

/* Parse "1,10" into threads[]; returns the count. */
static int parse_threads(const char *text, int *threads, int max)
{
	int n = 0;
	for (const char *p = text; *p && n < max;) {
		int v = atoi(p);
		if (v < 1 || v > 256)
			return -1;
		threads[n++] = v;
		p += strcspn(p, ",");
		if (*p)
			p++;
	}
	return n;
}

/* The usage, on out. */
static void usage(FILE *out)
{
	fprintf(out, "usage: storebench [-b lmdb|memcached|both] [-s host:port,...] [-d dir]\n"
		     "                  [-t 1,10] [-n ops-per-thread] [-T seconds-per-phase]\n"
		     "       storebench -h | --help\n"
		     "Operations per second of the greylisting stores (add, get, set, mixed)\n"
		     "with 1 and N threads; -b both (default) needs memcached on -s.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const char *backend = "both", *servers = "127.0.0.1:11211", *dir = NULL;
	int threads[16] = {1, 10}, nt = 2, ops = 20000, opt;
	double limit = 10;
	char tmpl[] = "/tmp/storebench.XXXXXX", path[4200], err[512];
	struct am_store_conf c;
	while ((opt = getopt_long(argc, argv, "b:s:d:t:n:T:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'b': backend = optarg; break;
		case 's': servers = optarg; break;
		case 'd': dir = optarg; break;
		case 't': nt = parse_threads(optarg, threads, 16); break;
		case 'n': ops = atoi(optarg); break;
		case 'T': limit = atof(optarg); break;
		case 'h': usage(stdout); return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (nt < 1 || ops < 1 || ops > 10000000 || limit <= 0 || limit > 600) {
		fprintf(stderr, "storebench: bad -t, -n or -T\n");
		return 2;
	}
	am_store_conf_defaults(&c);
	c.memcached_pool_size = 256;
	c.lmdb_map_size_mb = 1024;
	if (strcmp(backend, "memcached") != 0) {
		struct am_store *s;
		if (!dir && !(dir = mkdtemp(tmpl))) {
			perror("mkdtemp");
			return 1;
		}
		snprintf(path, sizeof(path), "%s/bench.lmdb", dir);
		c.lmdb_path = path;
		if (!(s = am_store_lmdb_open(&c, err, sizeof(err)))) {
			fprintf(stderr, "storebench: %s\n", err);
			return 1;
		}
		bench(s, "lmdb", threads, nt, ops, limit);
		am_store_close(s);
		unlink(path);
		snprintf(path, sizeof(path), "%s/bench.lmdb-lock", dir);
		unlink(path);
		if (dir == tmpl)
			rmdir(tmpl);
	}
	if (strcmp(backend, "lmdb") != 0) {
		struct am_store *s;
		c.memcached_servers = servers;
		if (!(s = am_store_memcached_open(&c, err, sizeof(err)))) {
			fprintf(stderr, "storebench: %s\n", err);
			return 1;
		}
		bench(s, "memcached", threads, nt, ops, limit);
		am_store_close(s);
	}
	return 0;
}
