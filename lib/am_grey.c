/*
 * am_grey.c - the greylisting decision: who is exempt, the auto-whitelist
 * of client networks, and the lifecycle of a triplet in the store:
 *
 *   unknown          -> add PENDING (ttl retry_window)         -> new (451)
 *   PENDING, < delay                                           -> early (451)
 *   PENDING, delay .. retry_window -> set PASSED (pass_lifetime) -> pass
 *   PENDING, past the window       -> set PENDING anew         -> new (451)
 *   PASSED                         -> refresh (pass_lifetime)  -> pass
 *
 * "add" is atomic in both stores, so two MX hosts (or threads) that see the
 * same first attempt keep the first timer. Each pass also counts on the
 * network's counter; at auto_whitelist passes the network is let through.
 * A network found whitelisted is believed for a minute without asking the
 * store again (am_grey_cache.c). A record in use is refreshed (rewritten
 * with last_seen = now and a new pass_lifetime) once its last refresh is
 * 1/REFRESH_FRACTION of that lifetime old, not on every message, so a
 * passed triplet costs no write of its own per message; a record still lives
 * at least pass_lifetime minus that fraction (35.4 of 36 days) after its
 * last use.
 * A store failure gives outcome error and, per on_store_error, accept or
 * 451 4.3.0. The key and list helpers are in am_grey_key.c and
 * am_grey_list.c; the stage rules are in am_grey.h.
 */
#include "am_grey.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "am_grey_cache.h"
#include "am_grey_list.h"

enum { SKIP_DMARC = 1, SKIP_DKIM = 2, SKIP_SPF = 4 };

/* A passed record is rewritten when its last refresh is this fraction of
 * pass_lifetime old (13.5 hours of the default 36 days). */
#define REFRESH_FRACTION 64

struct am_grey {
	const struct am_config *cfg;   /* outlives g: both belong to one generation */
	struct am_store *store;
	bool release_store;            /* acquired from a registry */
	bool at_eom, all_clients;
	unsigned skip_mask;
	struct am_grey_words hosts, senders, rcpts, keywords;
	struct am_grey_cache *listed;  /* networks whitelisted in the last minute;
					  NULL when auto_whitelist = 0 */
	int64_t (*clock)(void *arg);
	void *clock_arg;
};

/* Parse skip_if into a mask; -1 names an unknown word in bad. */
static int parse_skip(const char *text, unsigned *mask, char *bad, size_t badlen)
{
	struct am_grey_words w;
	int rc = 0;
	*mask = 0;
	if (am_grey_words_parse(text, &w) < 0)
		return snprintf(bad, badlen, "out of memory"), -1;
	for (size_t i = 0; i < w.count && rc == 0; i++) {
		if (strcmp(w.items[i], "dmarc_pass") == 0)
			*mask |= SKIP_DMARC;
		else if (strcmp(w.items[i], "dkim_aligned_pass") == 0)
			*mask |= SKIP_DKIM;
		else if (strcmp(w.items[i], "spf_aligned_pass") == 0)
			*mask |= SKIP_SPF;
		else if (strcmp(w.items[i], "none") != 0)
			rc = -1, snprintf(bad, badlen, "%s", w.items[i]);
	}
	am_grey_words_free(&w);
	return rc;
}

/* True when v (may be NULL) is one of the two choices. */
static bool one_of(const char *v, const char *a, const char *b)
{
	return v && (strcasecmp(v, a) == 0 || strcasecmp(v, b) == 0);
}

/* Check the values the option table takes as plain strings. */
int am_grey_config_check(const struct am_config *cfg, char *err, size_t errlen)
{
	unsigned mask;
	char bad[64];
	if (!one_of(cfg->grey_stage, "rcpt", "eom"))
		return snprintf(err, errlen, "[greylist] stage: '%s' is not rcpt or eom",
				cfg->grey_stage ? cfg->grey_stage : ""), -1;
	if (!one_of(cfg->grey_clients, "all", "suspicious"))
		return snprintf(err, errlen, "[greylist] clients: '%s' is not all or suspicious",
				cfg->grey_clients ? cfg->grey_clients : ""), -1;
	if (!one_of(cfg->grey_store, "lmdb", "memcached"))
		return snprintf(err, errlen, "[greylist] store: '%s' is not lmdb or memcached",
				cfg->grey_store ? cfg->grey_store : ""), -1;
	if (parse_skip(cfg->grey_skip_if, &mask, bad, sizeof(bad)) < 0)
		return snprintf(err, errlen, "[greylist] skip_if: '%s' is not dmarc_pass, "
				"dkim_aligned_pass, spf_aligned_pass or none", bad), -1;
	if (cfg->grey_delay >= cfg->grey_retry_window)
		return snprintf(err, errlen, "[greylist] delay (%d) must be below retry_window (%d)",
				cfg->grey_delay, cfg->grey_retry_window), -1;
	return 0;
}

/* The store settings of a config. */
static void store_conf(const struct am_config *cfg, struct am_store_conf *sc)
{
	am_store_conf_defaults(sc);
	sc->backend = strcasecmp(cfg->grey_store, "memcached") == 0 ? "memcached" : "lmdb";
	sc->lmdb_path = cfg->grey_lmdb_path;
	sc->lmdb_map_size_mb = cfg->grey_lmdb_map_size_mb;
	sc->lmdb_purge_interval = cfg->grey_lmdb_purge_interval;
	sc->lmdb_move_aside = cfg->grey_lmdb_on_damage &&
			      strcasecmp(cfg->grey_lmdb_on_damage, "move-aside") == 0;
	sc->memcached_servers = cfg->grey_memcached_servers;
	sc->memcached_connect_timeout_ms = cfg->grey_memcached_connect_timeout_ms;
	sc->memcached_timeout_ms = cfg->grey_memcached_timeout_ms;
	sc->memcached_retry_timeout = cfg->grey_memcached_retry_timeout;
	sc->memcached_failure_limit = cfg->grey_memcached_failure_limit;
	sc->memcached_eject = cfg->grey_memcached_eject;
	sc->memcached_replicas = cfg->grey_memcached_replicas;
	sc->memcached_pool_size = cfg->grey_memcached_pool_size;
}

/* Check the store the start would open; see am_grey.h. */
int am_grey_check_store(const struct am_config *cfg, char *warn, size_t warnlen, char *err,
			size_t errlen)
{
	struct am_store_conf sc;
	if (!cfg->grey_enable)
		return 0;
	store_conf(cfg, &sc);
	return am_store_check_conf(&sc, warn, warnlen, err, errlen);
}

/* Build everything but the store. */
static struct am_grey *grey_build(const struct am_config *cfg, char *err, size_t errlen)
{
	struct am_grey *g;
	char bad[64];
	if (am_grey_config_check(cfg, err, errlen) < 0)
		return NULL;
	if (!(g = calloc(1, sizeof(*g))) ||
	    (cfg->grey_auto_whitelist > 0 && !(g->listed = am_grey_cache_new()))) {
		free(g);
		return snprintf(err, errlen, "out of memory"), NULL;
	}
	g->cfg = cfg;
	g->at_eom = strcasecmp(cfg->grey_stage, "eom") == 0;
	g->all_clients = strcasecmp(cfg->grey_clients, "all") == 0;
	(void)parse_skip(cfg->grey_skip_if, &g->skip_mask, bad, sizeof(bad));
	if (am_grey_words_parse(cfg->grey_whitelist_hosts, &g->hosts) < 0 ||
	    am_grey_words_parse(cfg->grey_whitelist_senders, &g->senders) < 0 ||
	    am_grey_words_parse(cfg->grey_whitelist_recipients, &g->rcpts) < 0 ||
	    am_grey_words_parse(cfg->grey_dynamic_keywords, &g->keywords) < 0) {
		am_grey_free(g);
		return snprintf(err, errlen, "out of memory"), NULL;
	}
	return g;
}

/* Greylisting for cfg with a store from the registry. */
struct am_grey *am_grey_new(const struct am_config *cfg, struct am_store_registry *reg,
			    char *err, size_t errlen)
{
	struct am_grey *g = grey_build(cfg, err, errlen);
	struct am_store_conf sc;
	if (!g || !cfg->grey_enable)
		return g;
	if (!reg) {
		am_grey_free(g);
		return snprintf(err, errlen, "[greylist] no store registry"), NULL;
	}
	store_conf(cfg, &sc);
	if (!(g->store = am_store_registry_acquire(reg, &sc, err, errlen))) {
		am_grey_free(g);
		return NULL;
	}
	g->release_store = true;
	return g;
}

/* Greylisting for cfg on a store the caller owns. */
struct am_grey *am_grey_new_with_store(const struct am_config *cfg, struct am_store *store,
				       char *err, size_t errlen)
{
	struct am_grey *g;
	if (cfg->grey_enable && !store)
		return snprintf(err, errlen, "[greylist] enabled without a store"), NULL;
	if ((g = grey_build(cfg, err, errlen)))
		g->store = store;
	return g;
}

/* Free g and drop its store reference. */
void am_grey_free(struct am_grey *g)
{
	if (!g)
		return;
	if (g->release_store)
		am_store_release(g->store);
	am_grey_words_free(&g->hosts);
	am_grey_words_free(&g->senders);
	am_grey_words_free(&g->rcpts);
	am_grey_words_free(&g->keywords);
	am_grey_cache_free(g->listed);
	free(g);
}

/* The store in use. */
struct am_store *am_grey_store(const struct am_grey *g)
{
	return g ? g->store : NULL;
}

/* Inject a clock (tests). */
void am_grey_set_clock(struct am_grey *g, int64_t (*clock)(void *arg), void *arg)
{
	g->clock = clock;
	g->clock_arg = arg;
}

/* Now, by the injected clock or the real one. */
static int64_t grey_now(const struct am_grey *g)
{
	return g->clock ? g->clock(g->clock_arg) : (int64_t)time(NULL);
}

/* Why the client looks like a spam source, or NULL. */
const char *am_grey_suspicious(const struct am_grey *g, const struct am_grey_client *c)
{
	if (am_grey_no_ptr(c->ptr))
		return "no reverse DNS";
	if (!c->ptr_verified)
		return "reverse DNS does not resolve back";
	if (am_grey_host_dynamic(&g->keywords, c->ptr, c->ip))
		return "dynamic-looking host name";
	return NULL;
}

/* Fill res with an outcome and reason (no tempfail). */
static void set_outcome(struct am_grey_result *res, enum am_grey_outcome o, const char *reason)
{
	res->checked = true;
	res->outcome = o;
	res->tempfail = false;
	snprintf(res->reason, sizeof(res->reason), "%s", reason);
}

/* Outcome new/early: 451 4.7.1 with the time to wait. */
static void set_tempfail(struct am_grey_result *res, enum am_grey_outcome o, long retry_in)
{
	set_outcome(res, o, o == AM_GREY_NEW ? "first attempt" : "retry too early");
	res->tempfail = true;
	res->retry_in = retry_in;
	snprintf(res->code, sizeof(res->code), "451");
	snprintf(res->xcode, sizeof(res->xcode), "4.7.1");
	snprintf(res->text, sizeof(res->text), "Greylisted, please try again in %ld seconds",
		 retry_in);
}

/* The store failed: error, then accept or 451 4.3.0 per on_store_error. */
static void set_store_error(const struct am_grey *g, struct am_grey_result *res, const char *err)
{
	set_outcome(res, AM_GREY_ERROR, "");
	snprintf(res->reason, sizeof(res->reason), "store %s: %s", g->store->ops->name, err);
	if (g->cfg->grey_store_error_action == AM_ACT_TEMPFAIL) {
		res->tempfail = true;
		snprintf(res->code, sizeof(res->code), "451");
		snprintf(res->xcode, sizeof(res->xcode), "4.3.0");
		snprintf(res->text, sizeof(res->text),
			 "Greylisting temporarily unavailable, please try again later");
	}
}

/* Count a failed store operation on the result (for the metrics), even
 * one that decides nothing (a lost refresh), and pass the status on. */
static enum am_store_status counted(struct am_grey_result *res, enum am_store_status st)
{
	if (st == AM_STORE_ERROR)
		res->store_errors++;
	return st;
}

/* Exemptions that hold for the whole message: trusted client, whitelisted
 * network, host or sender domain, or a client that does not look suspicious.
 * Returns true when res is decided. */
static bool client_exempt(const struct am_grey *g, const struct am_grey_client *c,
			  const char *nsender, const struct am_results *r,
			  struct am_grey_result *res)
{
	const struct am_cidr *net;
	const char *m, *dom = strrchr(nsender, '@');
	struct am_ip ip;
	char text[300];
	if (r && r->trusted)
		return set_outcome(res, AM_GREY_SKIPPED, "trusted"), true;
	if (!c->ip || am_ip_parse(c->ip, &ip) != 0)
		return set_outcome(res, AM_GREY_SKIPPED, "no client address"), true;
	if ((net = am_cidr_list_match(&g->cfg->grey_whitelist_networks, &ip))) {
		snprintf(text, sizeof(text), "network %s", net->text);
		return set_outcome(res, AM_GREY_WHITELISTED, text), true;
	}
	if (c->ptr_verified && (m = am_grey_match_host(&g->hosts, c->ptr))) {
		snprintf(text, sizeof(text), "host %s", m);
		return set_outcome(res, AM_GREY_WHITELISTED, text), true;
	}
	if (dom && (m = am_grey_match_domain(&g->senders, dom + 1))) {
		snprintf(text, sizeof(text), "sender domain %s", m);
		return set_outcome(res, AM_GREY_WHITELISTED, text), true;
	}
	if (!g->all_clients && !am_grey_suspicious(g, c))
		return set_outcome(res, AM_GREY_SKIPPED, "client not suspicious"), true;
	return false;
}

/* Refresh a passed record whose last refresh is old enough (see the top
 * of the file); a write lost to a store error is counted, not decisive. */
static void refresh(const struct am_grey *g, const char *key, struct am_store_value v, int64_t now,
		    struct am_grey_result *res)
{
	char err[256];
	long ttl = g->cfg->grey_pass_lifetime;

	if (now - v.last_seen < ttl / REFRESH_FRACTION)
		return;
	v.last_seen = now;
	counted(res, am_store_set(g->store, key, &v, ttl, now, err, sizeof(err)));
}

/* The network's pass counter reached auto_whitelist? Returns true when res
 * is decided (whitelisted). A store error here is not decisive: with
 * memcached the counter may sit on a failed server while the triplet's
 * server answers, so the triplet is still looked up. */
static bool network_listed(const struct am_grey *g, const char *network, int64_t now,
			   struct am_grey_result *res)
{
	char key[AM_STORE_KEY_MAX + 1], err[256], text[300];
	struct am_store_value v;
	uint32_t passes;
	if (g->cfg->grey_auto_whitelist <= 0)
		return false;
	am_grey_network_key(network, key);
	if (!am_grey_cache_listed(g->listed, key, now, &passes)) {
		if (counted(res, am_store_get(g->store, key, now, &v, err, sizeof(err))) != AM_STORE_OK ||
		    v.count < (uint32_t)g->cfg->grey_auto_whitelist)
			return false;
		refresh(g, key, v, now, res);
		am_grey_cache_note(g->listed, key, now, v.count);
		passes = v.count;
	}
	snprintf(text, sizeof(text), "auto-whitelisted network %s (%u passes)", network, (unsigned)passes);
	set_outcome(res, AM_GREY_WHITELISTED, text);
	return true;
}

/* Count one pass on the network (best effort: a lost increment under a
 * race only delays the auto-whitelist by one pass). */
static void count_pass(const struct am_grey *g, const char *network, int64_t now,
		       struct am_grey_result *res)
{
	char key[AM_STORE_KEY_MAX + 1], err[256];
	struct am_store_value v = {now, now, 1, AM_STORE_COUNTER}, cur;
	long ttl = g->cfg->grey_pass_lifetime;
	if (g->cfg->grey_auto_whitelist <= 0)
		return;
	am_grey_network_key(network, key);
	if (counted(res, am_store_get(g->store, key, now, &cur, err, sizeof(err))) == AM_STORE_OK) {
		cur.count++;
		cur.last_seen = now;
		counted(res, am_store_set(g->store, key, &cur, ttl, now, err, sizeof(err)));
	} else if (counted(res, am_store_add(g->store, key, &v, ttl, now, &cur, err,
					     sizeof(err))) == AM_STORE_EXISTS) {
		cur.count = cur.state ? cur.count + 1 : 1;
		cur.state = AM_STORE_COUNTER;
		cur.last_seen = now;
		counted(res, am_store_set(g->store, key, &cur, ttl, now, err, sizeof(err)));
	}
}

/* Apply the lifecycle to a record found in the store. */
static void lifecycle_known(const struct am_grey *g, const char *key, const char *network,
			    struct am_store_value v, int64_t now, struct am_grey_result *res)
{
	const struct am_config *cfg = g->cfg;
	char err[256];
	int64_t elapsed = now - v.first_seen;
	if (v.state == AM_STORE_PASSED) {
		set_outcome(res, AM_GREY_PASS, "known triplet");
		refresh(g, key, v, now, res);
		count_pass(g, network, now, res);
		return;
	}
	if (elapsed < cfg->grey_delay)
		return set_tempfail(res, AM_GREY_EARLY, (long)(cfg->grey_delay - elapsed));
	if (elapsed > cfg->grey_retry_window) {
		struct am_store_value fresh = {now, now, 0, AM_STORE_PENDING};
		if (counted(res, am_store_set(g->store, key, &fresh, cfg->grey_retry_window, now,
					      err, sizeof(err))) == AM_STORE_ERROR)
			return set_store_error(g, res, err);
		return set_tempfail(res, AM_GREY_NEW, cfg->grey_delay);
	}
	v.state = AM_STORE_PASSED;
	v.count++;
	v.last_seen = now;
	if (counted(res, am_store_set(g->store, key, &v, cfg->grey_pass_lifetime, now, err,
				      sizeof(err))) == AM_STORE_ERROR)
		return set_store_error(g, res, err);
	set_outcome(res, AM_GREY_PASS, "retried in time");
	count_pass(g, network, now, res);
}

/* Look the triplet up and move it through its lifecycle. */
static void lifecycle(const struct am_grey *g, const char *network, const char *nsender,
		      const char *rcpt, int64_t now, struct am_grey_result *res)
{
	char key[AM_STORE_KEY_MAX + 1], err[256];
	struct am_store_value v, fresh = {now, now, 0, AM_STORE_PENDING};
	enum am_store_status st;
	am_grey_triplet_key(network, nsender, rcpt, key);
	st = counted(res, am_store_get(g->store, key, now, &v, err, sizeof(err)));
	if (st == AM_STORE_OK)
		return lifecycle_known(g, key, network, v, now, res);
	if (st == AM_STORE_ERROR)
		return set_store_error(g, res, err);
	st = counted(res, am_store_add(g->store, key, &fresh, g->cfg->grey_retry_window, now, &v,
				       err, sizeof(err)));
	if (st == AM_STORE_OK)
		return set_tempfail(res, AM_GREY_NEW, g->cfg->grey_delay);
	if (st == AM_STORE_ERROR)
		return set_store_error(g, res, err);
	if (v.state == 0) /* created by someone else and gone or unreadable: keep waiting */
		return set_tempfail(res, AM_GREY_EARLY, g->cfg->grey_delay);
	lifecycle_known(g, key, network, v, now, res); /* lost the add race: their timer holds */
}

/* Lower-case a recipient without <> into out. */
static void norm_rcpt(const char *rcpt, char *out, size_t outlen)
{
	size_t n = 0;
	const char *p = rcpt ? rcpt : "";
	while (*p == ' ' || *p == '<')
		p++;
	for (; *p && *p != '>' && n + 1 < outlen; p++)
		out[n++] = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
	out[n] = '\0';
}

/* Decide one recipient after the message-wide checks. */
static void decide_rcpt(const struct am_grey *g, const char *network, const char *nsender,
			const char *rcpt_raw, int64_t now, struct am_grey_result *res)
{
	char rcpt[AM_ADDR_MAX], text[300];
	const char *m;
	norm_rcpt(rcpt_raw, rcpt, sizeof(rcpt));
	if (strncmp(rcpt, "postmaster", 10) == 0 && (rcpt[10] == '\0' || rcpt[10] == '@'))
		return set_outcome(res, AM_GREY_WHITELISTED, "postmaster");
	if ((m = am_grey_match_rcpt(&g->rcpts, rcpt))) {
		snprintf(text, sizeof(text), "recipient %s", m);
		return set_outcome(res, AM_GREY_WHITELISTED, text);
	}
	lifecycle(g, network, nsender, rcpt, now, res);
}

/* With clients = suspicious, say in the log why a client was greylisted. */
static void note_suspect(const struct am_grey *g, const struct am_grey_client *c,
			 struct am_grey_result *res)
{
	const char *why;
	size_t n = strlen(res->reason);
	if (g->all_clients || (res->outcome != AM_GREY_NEW && res->outcome != AM_GREY_EARLY))
		return;
	if ((why = am_grey_suspicious(g, c)))
		snprintf(res->reason + n, sizeof(res->reason) - n, " (%s)", why);
}

/* The SPF-verified MAIL FROM domain, or NULL. */
static const char *spf_domain(const struct am_results *r)
{
	if (r && r->spf_mailfrom.checked && r->spf_mailfrom.result == AM_RES_PASS &&
	    r->spf_mailfrom.domain[0])
		return r->spf_mailfrom.domain;
	return NULL;
}

/* Decide one recipient at RCPT. */
void am_grey_rcpt(const struct am_grey *g, const struct am_grey_client *c, const char *sender,
		  const char *rcpt, const struct am_results *r, struct am_grey_result *res)
{
	char nsender[AM_ADDR_MAX], network[AM_DOMAIN_MAX + 8];
	int64_t now;
	memset(res, 0, sizeof(*res));
	if (!g || !g->cfg->grey_enable || g->at_eom)
		return;
	am_grey_norm_sender(g->cfg, sender, nsender, sizeof(nsender));
	if (!nsender[0] || client_exempt(g, c, nsender, r, res))
		return;
	now = grey_now(g);
	if (am_grey_network(g->cfg, c->ip, spf_domain(r), network, sizeof(network)) < 0)
		return set_outcome(res, AM_GREY_SKIPPED, "no client address");
	if (network_listed(g, network, now, res))
		return;
	decide_rcpt(g, network, nsender, rcpt, now, res);
	note_suspect(g, c, res);
}

/* True when the message passes one of the skip_if checks; names it. */
static bool skip_for_auth(const struct am_grey *g, const struct am_results *r, const char **why)
{
	const struct am_dmarc_result *d = r ? &r->dmarc : NULL;
	if (!d || !d->checked)
		return false;
	if ((g->skip_mask & SKIP_DMARC) && d->result == AM_RES_PASS)
		return *why = "skip_if dmarc_pass", true;
	if ((g->skip_mask & SKIP_DKIM) && d->dkim_aligned && d->dkim_result == AM_RES_PASS)
		return *why = "skip_if dkim_aligned_pass", true;
	if ((g->skip_mask & SKIP_SPF) && d->spf_aligned && d->spf_result == AM_RES_PASS)
		return *why = "skip_if spf_aligned_pass", true;
	return false;
}

/* Decide the whole message at end of data: every triplet recorded, one answer. */
void am_grey_eom(const struct am_grey *g, const struct am_grey_client *c, const char *sender,
		 const char *const *rcpts, size_t nrcpts, const struct am_results *r,
		 struct am_grey_result *res)
{
	char nsender[AM_ADDR_MAX], network[AM_DOMAIN_MAX + 8];
	const char *why;
	int64_t now;
	memset(res, 0, sizeof(*res));
	if (!g || !g->cfg->grey_enable || nrcpts == 0)
		return;
	am_grey_norm_sender(g->cfg, sender, nsender, sizeof(nsender));
	if (!g->at_eom && nsender[0])
		return; /* decided at RCPT */
	if (client_exempt(g, c, nsender, r, res))
		return;
	if (skip_for_auth(g, r, &why))
		return set_outcome(res, AM_GREY_SKIPPED, why);
	now = grey_now(g);
	if (am_grey_network(g->cfg, c->ip, spf_domain(r), network, sizeof(network)) < 0)
		return set_outcome(res, AM_GREY_SKIPPED, "no client address");
	if (network_listed(g, network, now, res))
		return;
	for (size_t i = 0; i < nrcpts; i++) {
		struct am_grey_result one;
		memset(&one, 0, sizeof(one));
		decide_rcpt(g, network, nsender, rcpts[i], now, &one);
		if (one.retry_in > res->retry_in && (one.outcome == AM_GREY_NEW ||
						     one.outcome == AM_GREY_EARLY))
			res->retry_in = one.retry_in;
		am_grey_result_merge(res, &one);
	}
	if (res->outcome == AM_GREY_NEW || res->outcome == AM_GREY_EARLY)
		set_tempfail(res, res->outcome, res->retry_in);
	note_suspect(g, c, res);
}

/* Keep the outcome that matters most (enum order). */
void am_grey_result_merge(struct am_grey_result *msg, const struct am_grey_result *one)
{
	long retry = msg->retry_in > one->retry_in ? msg->retry_in : one->retry_in;
	unsigned errors = msg->store_errors + one->store_errors;
	if (!one->checked)
		return;
	if (!msg->checked || one->outcome > msg->outcome)
		*msg = *one;
	msg->retry_in = retry;
	msg->store_errors = errors;
}
