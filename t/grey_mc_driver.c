/*
 * grey_mc_driver.c - the checks of t/grey-memcached.sh, against three real
 * memcached servers that the script started on 127.0.0.1 (arguments
 * PORT:PID, three times). Prints TAP.
 *
 * It runs greylisting through am_grey on memcached stores with a 2 s delay
 * and the real clock, opens two stores as two MX hosts would, races two
 * clients on the same first attempt, checks on the servers themselves (meta
 * "mg KEY t") that a 36-day lifetime was sent as an absolute time, and
 * finally stops one server (SIGSTOP: no answer; it leaves the ring after
 * its first timeout and its keys start over elsewhere) and kills another
 * (SIGKILL: refused) mid-run, timing every call.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "am_config.h"
#include "am_dns.h"
#include "am_grey.h"
#include "am_store.h"
#include "tap.h"

#define DAY 86400
#define TIMEOUT_MS 200

static int port[3];
static pid_t pid[3];
static char servers[128];
static const struct am_results none;
static const struct am_grey_client mx = {"192.0.2.10", "mx.sender.example", true};

/* A [greylist] config on the three servers, plus "key", "value" pairs. */
static struct am_config *mc_cfg(const char *const *kv)
{
	char err[512] = "", ms[16];
	const char *base[] = {"enable", "yes", "clients", "all", "store", "memcached",
			      "memcached_servers", servers, "delay", "2", "retry_window", "60",
			      "memcached_timeout_ms", ms, "memcached_connect_timeout_ms", ms,
			      "auto_whitelist", "0", "normalise_verp", "no", NULL};
	struct am_config *cfg = am_config_defaults(err, sizeof(err));
	snprintf(ms, sizeof(ms), "%d", TIMEOUT_MS);
	int bad = !cfg;
	for (const char *const *p = base; !bad && *p; p += 2)
		bad = am_config_set(cfg, "greylist", p[0], p[1], "drv", 0, err, sizeof(err));
	for (; !bad && kv && *kv; kv += 2)
		bad = am_config_set(cfg, "greylist", kv[0], kv[1], "drv", 0, err, sizeof(err));
	if (bad) {
		printf("Bail out! config: %s\n", err);
		exit(1);
	}
	return cfg;
}

/* One greylisting "host": its own registry, store and am_grey. */
struct host {
	struct am_config *cfg;
	struct am_store_registry *reg;
	struct am_grey *g;
};

static void host_open(struct host *h, const char *const *kv)
{
	char err[512];
	h->cfg = mc_cfg(kv);
	h->reg = am_store_registry_new();
	h->g = am_grey_new(h->cfg, h->reg, err, sizeof(err));
	if (!h->g) {
		printf("Bail out! am_grey_new: %s\n", err);
		exit(1);
	}
}

static void host_close(struct host *h)
{
	am_grey_free(h->g);
	am_store_registry_free(h->reg);
	am_config_free(h->cfg);
}

/* RCPT check; *ms gets the time it took. */
static enum am_grey_outcome check(struct host *h, const char *from, const char *to,
				  struct am_grey_result *res, long *ms)
{
	int64_t t0 = am_dns_now_ms();
	am_grey_rcpt(h->g, &mx, from, to, &none, res);
	if (ms)
		*ms = (long)(am_dns_now_ms() - t0);
	return res->checked ? res->outcome : AM_GREY_NONE;
}

/* Send one text-protocol line to server i and read the first reply line. */
static int raw_cmd(int i, const char *cmd, char *resp, size_t len)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port[i])};
	struct timeval tv = {1, 0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ssize_t n;
	resp[0] = '\0';
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd)) {
		close(fd);
		return -1;
	}
	n = read(fd, resp, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	resp[n] = '\0';
	resp[strcspn(resp, "\r\n")] = '\0';
	return 0;
}

/* Which server holds key (meta get), -1 for none; *ttl its remaining TTL. */
static int holder(const char *key, long *ttl)
{
	char cmd[200], resp[200];
	snprintf(cmd, sizeof(cmd), "mg %s t\r\n", key);
	for (int i = 0; i < 3; i++) {
		if (raw_cmd(i, cmd, resp, sizeof(resp)) == 0 && strncmp(resp, "HD", 2) == 0) {
			const char *t = strstr(resp, " t");
			if (ttl)
				*ttl = t ? atol(t + 2) : -2;
			return i;
		}
	}
	return -1;
}

/* The store key of sender -> rcpt from mx. */
static void key_of(const struct host *h, const char *from, const char *to, char *key)
{
	char net[64], ns[256];
	am_grey_network(h->cfg, mx.ip, NULL, net, sizeof(net));
	am_grey_norm_sender(h->cfg, from, ns, sizeof(ns));
	am_grey_triplet_key(net, ns, to, key);
}

static void test_lifecycle_two_hosts(void)
{
	struct host a, b;
	struct am_grey_result res;
	host_open(&a, NULL);
	host_open(&b, NULL);
	is_int(check(&a, "alice@s.example", "bob@r.example", &res, NULL), AM_GREY_NEW,
	       "host A, first attempt: new (451)");
	ok(res.tempfail && strstr(res.text, "2 seconds"), "451 text: retry in 2 seconds");
	is_int(check(&b, "alice@s.example", "bob@r.example", &res, NULL), AM_GREY_EARLY,
	       "host B sees A's triplet: early");
	usleep(2100 * 1000);
	is_int(check(&b, "alice@s.example", "bob@r.example", &res, NULL), AM_GREY_PASS,
	       "host B after the delay: pass");
	is_int(check(&a, "alice@s.example", "bob@r.example", &res, NULL), AM_GREY_PASS,
	       "host A sees the pass B recorded");
	is_int(check(&a, "alice@s.example", "carol@r.example", &res, NULL), AM_GREY_NEW,
	       "another recipient: new");
	host_close(&a);
	host_close(&b);
}

struct racer {
	struct am_store *s;
	struct am_grey *g;
	pthread_barrier_t *bar;
	int base, rounds;
	enum am_store_status st[40];
	enum am_grey_outcome out[40];
};

/* Race the other thread: add the same keys, then greylist the same triplets. */
static void *race(void *arg)
{
	struct racer *r = arg;
	char err[256], key[64], from[64];
	for (int i = 0; i < r->rounds; i++) {
		struct am_store_value v = {r->base + i, r->base + i, 0, AM_STORE_PENDING}, ex;
		struct am_grey_result res;
		snprintf(key, sizeof(key), "race:%d:%d", (int)getpid(), i);
		snprintf(from, sizeof(from), "racer%d@s.example", i);
		pthread_barrier_wait(r->bar);
		r->st[i] = am_store_add(r->s, key, &v, 60, 0, &ex, err, sizeof(err));
		pthread_barrier_wait(r->bar);
		am_grey_rcpt(r->g, &mx, from, "race@r.example", &none, &res);
		r->out[i] = res.outcome;
	}
	return NULL;
}

static void test_add_race(void)
{
	struct host a, b;
	struct racer ra, rb;
	pthread_t ta, tb;
	pthread_barrier_t bar;
	int one_each = 0, first_kept = 0, grey_ok = 0, rounds = 40;
	char err[256], key[64];
	host_open(&a, NULL);
	host_open(&b, NULL);
	pthread_barrier_init(&bar, NULL, 2);
	ra = (struct racer){.g = a.g, .bar = &bar, .base = 1000, .rounds = rounds};
	rb = (struct racer){.g = b.g, .bar = &bar, .base = 5000, .rounds = rounds};
	ra.s = am_grey_store(a.g);
	rb.s = am_grey_store(b.g);
	pthread_create(&ta, NULL, race, &ra);
	pthread_create(&tb, NULL, race, &rb);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	for (int i = 0; i < rounds; i++) {
		struct am_store_value v;
		int a_won = ra.st[i] == AM_STORE_OK;
		one_each += (ra.st[i] == AM_STORE_OK) + (rb.st[i] == AM_STORE_OK) == 1 &&
			    (ra.st[i] == AM_STORE_EXISTS || rb.st[i] == AM_STORE_EXISTS);
		snprintf(key, sizeof(key), "race:%d:%d", (int)getpid(), i);
		if (am_store_get(ra.s, key, 0, &v, err, sizeof(err)) == AM_STORE_OK &&
		    v.first_seen == (a_won ? 1000 : 5000) + i)
			first_kept++;
		grey_ok += (ra.out[i] == AM_GREY_NEW) + (rb.out[i] == AM_GREY_NEW) == 1 &&
			   (ra.out[i] == AM_GREY_EARLY || rb.out[i] == AM_GREY_EARLY);
	}
	is_int(one_each, rounds, "add race: exactly one of the two clients creates each key");
	is_int(first_kept, rounds, "add race: the winner's first-seen time is what is stored");
	is_int(grey_ok, rounds, "greylist race on a first attempt: one new, one early, never two new");
	pthread_barrier_destroy(&bar);
	host_close(&a);
	host_close(&b);
}

static void test_lifetimes(void)
{
	static const char *const repl[] = {"memcached_replicas", "1", NULL};
	struct host a, r;
	struct am_grey_result res;
	char key[AM_STORE_KEY_MAX + 1], resp[200];
	long ttl = 0;
	int copies = 0;
	host_open(&a, NULL);
	check(&a, "long@s.example", "bob@r.example", &res, NULL);
	usleep(2100 * 1000);
	is_int(check(&a, "long@s.example", "bob@r.example", &res, NULL), AM_GREY_PASS,
	       "36-day test triplet passes");
	key_of(&a, "long@s.example", "bob@r.example", key);
	ok(holder(key, &ttl) >= 0, "the passed triplet is on a server");
	ok(ttl > 36 * DAY - 60 && ttl <= 36 * DAY + 2,
	   "its TTL on the server is 36 days (%ld s): sent as an absolute time", ttl);
	raw_cmd(0, "set amtrap 0 3110400 1\r\nx\r\n", resp, sizeof(resp));
	raw_cmd(0, "mg amtrap t\r\n", resp, sizeof(resp));
	is_str(resp, "EN", "why: 3110400 sent as relative seconds expires at once");
	host_close(&a);

	host_open(&r, repl);
	check(&r, "replica@s.example", "bob@r.example", &res, NULL);
	key_of(&r, "replica@s.example", "bob@r.example", key);
	/* libmemcached sends the replica's copy as a quiet set and does not
	 * wait for it: allow the second server a moment (up to 2 s). */
	for (int tries = 0; tries < 100 && copies < 2; tries++) {
		if (tries > 0)
			usleep(20 * 1000);
		copies = 0;
		for (int i = 0; i < 3; i++) {
			char cmd[120];
			snprintf(cmd, sizeof(cmd), "mg %s\r\n", key);
			copies += raw_cmd(i, cmd, resp, sizeof(resp)) == 0 && !strncmp(resp, "HD", 2);
		}
	}
	is_int(copies, 2, "memcached_replicas = 1: the triplet is on two servers");
	host_close(&r);
}

#define NT 60

/* Store NT passed triplets through h's store; who[i] = the server holding each. */
static void populate(struct host *h, const char *tag, int *who, int count[3])
{
	char key[AM_STORE_KEY_MAX + 1], from[64], err[256];
	struct am_store_value v = {time(NULL), time(NULL), 1, AM_STORE_PASSED};
	count[0] = count[1] = count[2] = 0;
	for (int i = 0; i < NT; i++) {
		snprintf(from, sizeof(from), "%s%d@s.example", tag, i);
		key_of(h, from, "x@r.example", key);
		am_store_set(am_grey_store(h->g), key, &v, 3600, 0, err, sizeof(err));
		who[i] = holder(key, NULL);
		if (who[i] >= 0)
			count[who[i]]++;
	}
}

/* Greylist the NT triplets; counts outcomes for the victim's and the others' keys. */
static long total_ms; /* of the last sweep */

static long sweep(struct host *h, const char *tag, const int *who, int victim, int *others_pass,
		  int *victim_error, int *victim_other, int *tempfails)
{
	long worst = 0, ms;
	total_ms = 0;
	char from[64];
	struct am_grey_result res;
	*others_pass = *victim_error = *victim_other = *tempfails = 0;
	for (int i = 0; i < NT; i++) {
		snprintf(from, sizeof(from), "%s%d@s.example", tag, i);
		enum am_grey_outcome o = check(h, from, "x@r.example", &res, &ms);
		worst = ms > worst ? ms : worst;
		total_ms += ms;
		*tempfails += res.tempfail && strcmp(res.xcode, "4.3.0") == 0; /* store, not greylisted */
		if (who[i] != victim)
			*others_pass += o == AM_GREY_PASS;
		else if (o == AM_GREY_ERROR)
			(*victim_error)++;
		else
			(*victim_other)++;
	}
	return worst;
}

/* Wait until nothing answers on server i's port (at most 3 s). */
static bool wait_closed(int i)
{
	char resp[64];
	for (int n = 0; n < 30; n++) {
		if (raw_cmd(i, "version\r\n", resp, sizeof(resp)) < 0)
			return true;
		usleep(100 * 1000);
	}
	return false;
}

static void test_stalled_server(void)
{
	static const char *const fo[] = {"memcached_retry_timeout", "1", NULL};
	static const char *const tf[] = {"on_store_error", "tempfail", "memcached_retry_timeout",
					 "1", NULL};
	struct host h, t;
	int who[NT], count[3], pass, verr, vother, tfails, victim = 2;
	long worst;
	host_open(&h, fo);
	host_open(&t, tf);
	populate(&h, "stall", who, count);
	ok(count[0] && count[1] && count[2], "keys spread over all three servers (%d/%d/%d)",
	   count[0], count[1], count[2]);
	worst = sweep(&t, "stall", who, victim, &pass, &verr, &vother, &tfails);
	is_int(pass + vother, NT, "all up: every triplet passes");
	kill(pid[victim], SIGSTOP);
	worst = sweep(&h, "stall", who, victim, &pass, &verr, &vother, &tfails);
	is_int(pass, NT - count[victim], "server stopped (SIGSTOP): the other servers' keys pass");
	ok(verr >= 1 && verr + vother == count[victim],
	   "the stopped server's keys: %d errors (fail open), %d moved", verr, vother);
	is_int(tfails, 0, "fail open: nothing tempfailed");
	ok(worst < 5 * TIMEOUT_MS, "no call hung: slowest %ld ms (timeout %d ms)", worst, TIMEOUT_MS);
	ok(total_ms < 3 * TIMEOUT_MS, "one timeout, then fail fast: %d calls took %ld ms in all",
	   NT, total_ms);
	worst = sweep(&t, "stall", who, victim, &pass, &verr, &vother, &tfails);
	ok(verr >= 1 && tfails == verr, "on_store_error = tempfail: %d errors, all tempfailed", verr);
	ok(worst < 5 * TIMEOUT_MS, "no call hung: slowest %ld ms", worst);
	kill(pid[victim], SIGCONT);
	usleep(1300 * 1000);
	sweep(&h, "stall", who, victim, &pass, &verr, &vother, &tfails);
	is_int(pass + vother, NT, "server resumed: after retry_timeout every triplet passes again");
	host_close(&h);
	host_close(&t);
}

static void test_killed_server(void)
{
	static const char *const keep[] = {"memcached_eject", "no", NULL};
	struct host h, k;
	int who[NT], count[3], pass, verr, vother, tfails, victim = 1, moved = 0;
	long worst;
	char key[AM_STORE_KEY_MAX + 1], from[64];
	host_open(&h, NULL);
	host_open(&k, keep);
	populate(&h, "kill", who, count);
	sweep(&h, "kill", who, victim, &pass, &verr, &vother, &tfails);
	is_int(pass + vother, NT, "before the kill: every triplet passes");
	kill(pid[victim], SIGKILL);
	ok(wait_closed(victim), "memcached #%d killed mid-run", victim + 1);
	worst = sweep(&h, "kill", who, victim, &pass, &verr, &vother, &tfails);
	is_int(pass, NT - count[victim], "the remaining servers' keys are still served (all pass)");
	ok(verr >= 1 && verr + vother == count[victim],
	   "the dead server's keys: %d errors (fail open, accepted), then %d start over elsewhere",
	   verr, vother);
	ok(worst < 5 * TIMEOUT_MS, "no call hung: slowest %ld ms", worst);
	for (int i = 0; i < NT; i++) {
		snprintf(from, sizeof(from), "kill%d@s.example", i);
		key_of(&h, from, "x@r.example", key);
		moved += who[i] == victim && holder(key, NULL) >= 0 && holder(key, NULL) != victim;
	}
	ok(moved >= count[victim] - verr,
	   "eject: the dead server's keys now live on the others (%d), the rest did not move", moved);
	sweep(&k, "kill", who, victim, &pass, &verr, &vother, &tfails);
	sweep(&k, "kill", who, victim, &pass, &verr, &vother, &tfails);
	ok(pass == NT - count[victim] && verr == count[victim],
	   "memcached_eject = no: the dead server's keys keep failing (%d errors), others pass",
	   verr);
	host_close(&h);
	host_close(&k);
}

int main(int argc, char **argv)
{
	size_t n = 0;
	if (argc != 4) {
		fprintf(stderr, "usage: %s PORT:PID PORT:PID PORT:PID\n", argv[0]);
		return 2;
	}
	for (int i = 0; i < 3; i++) {
		if (sscanf(argv[i + 1], "%d:%d", &port[i], &pid[i]) != 2)
			return 2;
		n += (size_t)snprintf(servers + n, sizeof(servers) - n, "%s127.0.0.1:%d",
				      i ? "," : "", port[i]);
	}
	test_lifecycle_two_hosts();
	test_add_race();
	test_lifetimes();
	test_stalled_server();
	test_killed_server();
	return done_testing();
}
