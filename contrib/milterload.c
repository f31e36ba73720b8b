/*
 * milterload - a load generator for milters: speaks the milter protocol
 * (contrib/milterclient, as Postfix does) to any milter socket, replays a
 * corpus of messages over N concurrent connections (one thread each) for a
 * count of messages or a duration, and prints the throughput, the latency
 * percentiles and how many messages got each action. Bounded: at most
 * 1000 connections, 10,000,000 messages, 3600 seconds.
 *
 *   milterload -s SOCKET [-s SOCKET ...] [-c CONNS] [-n COUNT] [-d SECONDS]
 *              [-k MSGS] [-i IP] [-H HELO] [-f FROM] [-r RCPT[,RCPT...]]
 *              [-t SECONDS] [-q] [-v] (-M MANIFEST | FILE.eml ...)
 *
 *  -s  milter socket: unix:PATH, inet:PORT@HOST, inet:HOST:PORT, inet6:...
 *      Several -s make a chain, as smtpd_milters does: each message goes
 *      through every filter in turn, the next one seeing the headers the
 *      earlier ones inserted or added, until one refuses it.
 *  -c  concurrent connections (threads), default 1
 *  -n  messages to send (default: the corpus once); -d: stop starting new
 *      messages after SECONDS (may be fractional); with both, what comes first
 *  -k  messages per milter connection (default 1, as one SMTP session per
 *      message); later messages keep the connection's client and HELO
 *  -i -H -f -r  the default envelope: client IP (192.0.2.1), HELO
 *      (mail.example.com), MAIL FROM (sender@example.com), recipients
 *  -t  reply timeout per event (default 60 s)
 *  -q  print only the summary line
 *  -v  also print each message's verdict per filter and the headers the
 *      filter added, deleted or changed (for checking a setup, small -n)
 *
 * Manifest (-M): one message a line, fields separated by blanks, '#'
 * comments; "-" or a missing trailing field takes the default above:
 *     FILE  CLIENT-IP  HELO  MAIL-FROM  RCPT[,RCPT...]
 * FILE is relative to the manifest's directory; MAIL-FROM "<>" is the null
 * sender. The corpus is replayed in order, round robin.
 *
 * Actions counted: accept, quarantine (accepted with a quarantine request),
 * tempfail, reject (also every recipient refused), discard, error (no
 * completed conversation: connect, protocol or timeout; the first errors
 * are printed on stderr). Latency: from the connection's first event (or,
 * on a kept connection, MAIL) to the final reply, through the whole chain.
 *
 * Output: the human lines, then one "summary:" line of key=value pairs for
 * scripts. Exit status: 0 when every conversation completed, 1 when some
 * failed, 64 for bad arguments.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "milterload.h"

#define ML_MAX_CHAIN 8
#define ML_MAX_CONNS 1000
#define ML_MAX_COUNT 10000000UL
#define ML_MAX_SECONDS 3600.0
#define ML_SHOW_ERRORS 5

enum ml_action { ML_ACCEPT, ML_QUARANTINE, ML_DISCARD, ML_TEMPFAIL, ML_REJECT, ML_ERROR, ML_NACT };
static const char *const action_names[ML_NACT] = {"accept", "quarantine", "discard",
						  "tempfail", "reject", "error"};

struct ml_cfg {
	const char *sockets[ML_MAX_CHAIN];
	size_t nsockets;
	unsigned conns, per_conn;
	unsigned long count;
	double seconds;          /* 0: no time limit */
	int timeout_ms;
	bool quiet, verbose;
	const char *manifest;    /* -M, or NULL */
	struct ml_defaults def;
};

/* What every worker shares: read-only except the message counter. */
struct shared {
	const struct ml_cfg *cfg;
	const struct ml_corpus *corpus;
	atomic_ulong next;       /* index of the next message to send */
	int64_t deadline_ns;     /* INT64_MAX: none */
	atomic_uint errors_shown;
};

struct worker {
	pthread_t thread;
	struct shared *sh;
	struct mc_conn *conns[ML_MAX_CHAIN];
	unsigned used;           /* messages on the current connections */
	uint32_t *lat_us;        /* one latency per message, microseconds */
	size_t nlat, latcap;
	unsigned long counts[ML_NACT];
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Print the first few errors of the whole run. */
static void show_error(struct shared *sh, const char *socket, const char *err)
{
	if (atomic_fetch_add(&sh->errors_shown, 1) < ML_SHOW_ERRORS)
		fprintf(stderr, "milterload: %s: %s\n", socket, err);
}

/* The action a message got from one filter. */
static enum ml_action classify(const struct mc_result *res)
{
	switch (res->final.resp) {
	case MC_ACCEPT:
		for (size_t i = 0; i < res->mods.n; i++)
			if (res->mods.v[i].type == MC_MOD_QUARANTINE)
				return ML_QUARANTINE;
		return ML_ACCEPT;
	case MC_REJECT: return ML_REJECT;
	case MC_TEMPFAIL: return ML_TEMPFAIL;
	case MC_DISCARD: return ML_DISCARD;
	default: return ML_ERROR;
	}
}

/* Close the worker's connections. */
static void close_chain(struct worker *w)
{
	for (size_t j = 0; j < w->sh->cfg->nsockets; j++) {
		mc_close(w->conns[j]);
		w->conns[j] = NULL;
	}
	w->used = 0;
}

/* -v: one message's verdict from one filter and its header changes, on
 * one line each (folded values unfolded), written as one block. */
static void show_verdict(const char *socket, const struct ml_msg *m, const struct mc_result *res,
			 enum ml_action a)
{
	flockfile(stdout);
	printf("message %s via %s: %s%s%s\n", m->path, socket, action_names[a],
	       res->final.text[0] ? " " : "", res->final.text);
	for (size_t i = 0; i < res->mods.n; i++) {
		const struct mc_mod *md = &res->mods.v[i];
		const char *what = md->type == MC_MOD_INSHEADER   ? "insheader"
				   : md->type == MC_MOD_ADDHEADER ? "addheader"
				   : md->type == MC_MOD_CHGHEADER ? "chgheader"
				   : md->type == MC_MOD_QUARANTINE ? "quarantine" : NULL;
		if (what == NULL)
			continue;
		printf("  %s %s", what, md->name ? md->name : "");
		if (md->type == MC_MOD_CHGHEADER)
			printf(" #%u", (unsigned)md->index);
		if (md->type != MC_MOD_QUARANTINE)
			putchar(':');
		for (const char *v = md->value ? md->value : (md->type == MC_MOD_CHGHEADER ? " (delete)" : "");
		     *v; v++)
			if (*v != '\n' && *v != '\r')
				putchar(*v == '\t' ? ' ' : *v);
		putchar('\n');
	}
	funlockfile(stdout);
}

/* One message through filter j; ML_ERROR when the conversation broke. */
static enum ml_action one_filter(struct worker *w, size_t j, const struct ml_msg *m,
				 const char *msg, size_t len, unsigned long i, char **next,
				 size_t *nextlen)
{
	const struct ml_cfg *cfg = w->sh->cfg;
	struct mc_envelope env = {
		.client_addr = m->ip, .client_port = 20000 + (unsigned)(i % 40000), .helo = m->helo,
		.mail = m->from, .rcpts = m->rcpts, .nrcpts = m->nrcpts,
	};
	struct mc_opts o;
	struct mc_result res;
	enum ml_action a;
	char err[512] = "";

	mc_opts_default(&o);
	o.reply_timeout_ms = cfg->timeout_ms;
	if (w->conns[j] == NULL && (w->conns[j] = mc_open(cfg->sockets[j], &o, err, sizeof(err))) == NULL) {
		show_error(w->sh, cfg->sockets[j], err);
		return ML_ERROR;
	}
	if (mc_message(w->conns[j], &env, msg, len, &res, err, sizeof(err)) != 0) {
		show_error(w->sh, cfg->sockets[j], err);
		mc_result_free(&res);
		close_chain(w);
		return ML_ERROR;
	}
	a = classify(&res);
	if (cfg->verbose)
		show_verdict(cfg->sockets[j], m, &res, a);
	if (a == ML_ERROR)
		show_error(w->sh, cfg->sockets[j], mc_resp_name(&res.final));
	if (next != NULL && (a == ML_ACCEPT || a == ML_QUARANTINE) &&
	    (*next = ml_apply_headers(msg, len, &res.mods, nextlen)) == NULL) {
		show_error(w->sh, cfg->sockets[j], "out of memory");
		a = ML_ERROR;
	}
	mc_result_free(&res);
	return a;
}

/* One message through the chain: the strongest action of its filters. */
static enum ml_action run_chain(struct worker *w, const struct ml_msg *m, unsigned long i)
{
	size_t n = w->sh->cfg->nsockets, len = m->len;
	char *owned = NULL;
	const char *msg = m->data;
	enum ml_action act = ML_ACCEPT;

	for (size_t j = 0; j < n && (act == ML_ACCEPT || act == ML_QUARANTINE); j++) {
		char *next = NULL;
		size_t nextlen = 0;
		enum ml_action a = one_filter(w, j, m, msg, len, i, j + 1 < n ? &next : NULL, &nextlen);
		if (a > act)
			act = a;
		if (next != NULL) {
			free(owned);
			owned = next;
			msg = next;
			len = nextlen;
		}
	}
	free(owned);
	return act;
}

/* Keep one latency; false when out of memory. */
static bool record(struct worker *w, enum ml_action a, int64_t ns)
{
	if (w->nlat == w->latcap) {
		size_t ncap = w->latcap ? w->latcap * 2 : 1024;
		uint32_t *v = realloc(w->lat_us, ncap * sizeof(*v));
		if (v == NULL)
			return false;
		w->lat_us = v;
		w->latcap = ncap;
	}
	w->lat_us[w->nlat++] = ns / 1000 > UINT32_MAX ? UINT32_MAX : (uint32_t)(ns / 1000);
	w->counts[a]++;
	return true;
}

/* A connection's messages, until the count or the time is up. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;

	for (;;) {
		unsigned long i = atomic_fetch_add(&sh->next, 1);
		int64_t t0 = now_ns();
		if (i >= sh->cfg->count || t0 >= sh->deadline_ns)
			break;
		bool open = true;
		for (size_t j = 0; j < sh->cfg->nsockets; j++)
			open = open && w->conns[j] != NULL && mc_is_open(w->conns[j]);
		if (w->used >= sh->cfg->per_conn || !open)
			close_chain(w);
		enum ml_action a = run_chain(w, &sh->corpus->v[i % sh->corpus->n], i);
		w->used++;
		if (!record(w, a, now_ns() - t0)) {
			show_error(sh, "milterload", "out of memory");
			break;
		}
	}
	close_chain(w);
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile p of sorted v[n], in milliseconds. */
static double pct_ms(const uint32_t *v, size_t n, double p)
{
	size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);

	if (n == 0)
		return 0;
	return v[rank == 0 ? 0 : rank > n ? n - 1 : rank - 1] / 1000.0;
}

/* Merge the workers' figures and print them. Returns the error count. */
static unsigned long report(const struct ml_cfg *cfg, struct worker *ws, double secs)
{
	unsigned long counts[ML_NACT] = {0}, total = 0;
	size_t n = 0;
	uint32_t *all;

	for (unsigned t = 0; t < cfg->conns; t++)
		n += ws[t].nlat;
	all = malloc((n ? n : 1) * sizeof(*all));
	for (unsigned t = 0, o = 0; all != NULL && t < cfg->conns; o += ws[t].nlat, t++)
		memcpy(all + o, ws[t].lat_us, ws[t].nlat * sizeof(*all));
	for (unsigned t = 0; t < cfg->conns; t++)
		for (int a = 0; a < ML_NACT; a++)
			counts[a] += ws[t].counts[a], total += ws[t].counts[a];
	if (all != NULL)
		qsort(all, n, sizeof(*all), cmp_u32);
	else
		n = 0;
	double rate = secs > 0 ? (double)total / secs : 0;
	double p50 = pct_ms(all, n, 50), p95 = pct_ms(all, n, 95), p99 = pct_ms(all, n, 99);
	double max = n ? all[n - 1] / 1000.0 : 0;
	if (!cfg->quiet) {
		printf("milterload: %lu messages in %.3f s over %u connections: %.1f messages/s\n",
		       total, secs, cfg->conns, rate);
		printf("latency ms: p50 %.2f p95 %.2f p99 %.2f max %.2f\n", p50, p95, p99, max);
		printf("actions:");
		for (int a = 0; a < ML_NACT; a++)
			printf(" %s %lu", action_names[a], counts[a]);
		printf("\n");
	}
	printf("summary: messages=%lu seconds=%.3f rate=%.1f conns=%u p50_ms=%.2f p95_ms=%.2f "
	       "p99_ms=%.2f max_ms=%.2f", total, secs, rate, cfg->conns, p50, p95, p99, max);
	for (int a = 0; a < ML_NACT; a++)
		printf(" %s=%lu", action_names[a], counts[a]);
	printf("\n");
	free(all);
	return counts[ML_ERROR];
}

static void usage(FILE *out)
{
	fprintf(out, "usage: milterload -s SOCKET [-s SOCKET ...] [-c CONNS] [-n COUNT] [-d SECONDS]\n"
		     "                  [-k MSGS] [-i IP] [-H HELO] [-f FROM] [-r RCPT[,RCPT...]]\n"
		     "                  [-t SECONDS] [-q] [-v] (-M MANIFEST | FILE.eml ...)\n"
		     "       milterload -h | --help\n");
}

/* A number in [min, max], or -1 on a bad argument. */
static double number(const char *s, double min, double max)
{
	char *end;
	double v = strtod(s, &end);

	return (end == s || *end != '\0' || v < min || v > max) ? -1 : v;
}

/* Parse the options into cfg; false: usage error (err). */
static bool parse(int argc, char **argv, struct ml_cfg *cfg, char *err, size_t errlen)
{
	double v = 0;
	int c;

	*cfg = (struct ml_cfg){.conns = 1, .per_conn = 1, .timeout_ms = 60000,
			       .def = {"192.0.2.1", "mail.example.com", "sender@example.com", NULL}};
	static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};

	while ((c = getopt_long(argc, argv, "s:c:n:d:k:i:H:f:r:t:qvM:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (cfg->nsockets == ML_MAX_CHAIN)
				return snprintf(err, errlen, "at most %d -s", ML_MAX_CHAIN), false;
			cfg->sockets[cfg->nsockets++] = optarg;
			break;
		case 'c': v = number(optarg, 1, ML_MAX_CONNS); cfg->conns = (unsigned)v; break;
		case 'n': v = number(optarg, 1, ML_MAX_COUNT); cfg->count = (unsigned long)v; break;
		case 'd': v = number(optarg, 0.001, ML_MAX_SECONDS); cfg->seconds = v; break;
		case 'k': v = number(optarg, 1, 1000000); cfg->per_conn = (unsigned)v; break;
		case 't': v = number(optarg, 1, 600); cfg->timeout_ms = (int)(v * 1000); break;
		case 'i': cfg->def.ip = optarg; break;
		case 'H': cfg->def.helo = optarg; break;
		case 'f': cfg->def.from = optarg; break;
		case 'r': cfg->def.rcpt = optarg; break;
		case 'q': cfg->quiet = true; break;
		case 'v': cfg->verbose = true; break;
		case 'M': cfg->manifest = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: return snprintf(err, errlen, "unknown option"), false;
		}
		if (v < 0)
			return snprintf(err, errlen, "-%c %s: out of range", c, optarg), false;
	}
	if (cfg->nsockets == 0 || (cfg->manifest == NULL) == (optind == argc))
		return snprintf(err, errlen, "need -s and either -M MANIFEST or message files"), false;
	return true;
}

/* Read the corpus; 0 or -1 (err). */
static int load(int argc, char **argv, struct ml_cfg *cfg, struct ml_corpus *corpus, char *err,
		size_t errlen)
{
	if (cfg->manifest != NULL &&
	    ml_corpus_load_manifest(corpus, cfg->manifest, &cfg->def, err, errlen) != 0)
		return -1;
	for (int i = optind; i < argc; i++)
		if (ml_corpus_add_file(corpus, argv[i], &cfg->def, err, errlen) != 0)
			return -1;
	if (corpus->n == 0)
		return snprintf(err, errlen, "the corpus is empty"), -1;
	if (cfg->count == 0)
		cfg->count = cfg->seconds > 0 ? ML_MAX_COUNT : corpus->n;
	return 0;
}

/* Run the workers and report; the exit status. */
static int run(const struct ml_cfg *cfg, const struct ml_corpus *corpus)
{
	struct shared sh = {.cfg = cfg, .corpus = corpus, .deadline_ns = INT64_MAX};
	struct worker *ws = calloc(cfg->conns, sizeof(*ws));
	unsigned started = 0;
	unsigned long errors;
	int64_t t0 = now_ns();

	if (ws == NULL)
		return fprintf(stderr, "milterload: out of memory\n"), 1;
	if (cfg->seconds > 0)
		sh.deadline_ns = t0 + (int64_t)(cfg->seconds * 1e9);
	for (; started < cfg->conns; started++) {
		ws[started].sh = &sh;
		if (pthread_create(&ws[started].thread, NULL, worker_main, &ws[started]) != 0) {
			fprintf(stderr, "milterload: could start only %u threads\n", started);
			break;
		}
	}
	for (unsigned t = 0; t < started; t++)
		pthread_join(ws[t].thread, NULL);
	errors = report(cfg, ws, (double)(now_ns() - t0) / 1e9);
	for (unsigned t = 0; t < cfg->conns; t++)
		free(ws[t].lat_us);
	free(ws);
	return errors == 0 && started == cfg->conns ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct ml_cfg cfg;
	struct ml_corpus corpus = {0};
	char err[1024] = "";
	int rc;

	if (!parse(argc, argv, &cfg, err, sizeof(err))) {
		fprintf(stderr, "milterload: %s\n", err);
		usage(stderr);
		return 64;
	}
	if (load(argc, argv, &cfg, &corpus, err, sizeof(err)) != 0) {
		fprintf(stderr, "milterload: %s\n", err);
		ml_corpus_free(&corpus);
		return 64;
	}
	rc = run(&cfg, &corpus);
	ml_corpus_free(&corpus);
	return rc;
}
