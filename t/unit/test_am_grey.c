/*
 * test_am_grey.c - unit tests of greylisting: sender normalisation (many
 * envelope forms), networks and keys, the word lists and the dynamic-host
 * heuristic, and the whole lifecycle with an injected clock on an LMDB
 * store in a temporary directory (new, early, pass, retry window, pass
 * lifetime, auto-whitelist, whitelists, who is greylisted, end-of-data
 * with several recipients, restart). Store failures use a memcached store
 * aimed at a closed loopback port: a real failure, not a mock.
 * The store itself is tested in test_am_store.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "am_config.h"
#include "am_dns.h"
#include "am_grey.h"
#include "am_grey_cache.h"
#include "am_grey_list.h"
#include "am_store.h"
#include "tap.h"

#define DAY 86400

static char tmpdir[256];

/* The injected clock. */
static int64_t fake_clock(void *arg)
{
	return *(int64_t *)arg;
}

/* A config with defaults plus greylisting on; extra "key=value" settings. */
static struct am_config *grey_cfg(const char *const *kv)
{
	char err[512];
	struct am_config *cfg = am_config_defaults(err, sizeof(err));
	if (!cfg) {
		printf("# config: %s\n", err);
		exit(1);
	}
	am_config_set(cfg, "greylist", "enable", "yes", "t", 0, err, sizeof(err));
	am_config_set(cfg, "greylist", "clients", "all", "t", 0, err, sizeof(err));
	for (; kv && *kv; kv += 2) {
		if (am_config_set(cfg, "greylist", kv[0], kv[1], "t", 0, err, sizeof(err)) != 0) {
			printf("# config: %s\n", err);
			exit(1);
		}
	}
	return cfg;
}

static void test_norm_sender(void)
{
	static const char *const cases[][2] = {
		{"<John.Doe@Example.COM>", "john.doe@example.com"},
		{"", ""},
		{"<>", ""},
		{"prvs=1234abcdef=bob@example.org", "bob@example.org"},
		{"PRVS=0123ABCDEF=Bob@Example.org", "bob@example.org"},
		{"msprvs1=17abc=alice@example.net", "alice@example.net"},
		{"btv1==0123abcd==carol@example.com", "carol@example.com"},
		{"SRS0=HHH=TT=example.com=alice@forwarder.example", "alice@example.com"},
		{"srs0+hhh=tt=example.com=alice@forwarder.example", "alice@example.com"},
		{"SRS1=XXX=fwd1.example==HHH=TT=example.com=alice@fwd2.example", "alice@example.com"},
		{"SRS0=HHH=TT=example.com=prvs=1234abcdef=alice@fwd.example", "alice@example.com"},
		{"SRS0=broken@fwd.example", "srs#=broken@fwd.example"},
		{"user+tag@example.com", "user@example.com"},
		{"user+tag+more@example.com", "user@example.com"},
		{"+weird@example.com", "+weird@example.com"},
		{"bounce-12345-67@lists.example.org", "bounce-#-#@lists.example.org"},
		{"list-bounces+bob=example.com@lists.example", "list-bounces@lists.example"},
		{"mc.us4_1234.5678-abcdef@mcsv.example", "mc.us#_#.#-abcdef@mcsv.example"},
		{"noat", "noat@"},
		{" <a@b.example> ", "a@b.example"},
	};
	struct am_config *cfg = grey_cfg(NULL);
	char out[AM_ADDR_MAX], name[300];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		am_grey_norm_sender(cfg, cases[i][0], out, sizeof(out));
		snprintf(name, sizeof(name), "normalise '%s'", cases[i][0]);
		is_str(out, cases[i][1], name);
	}
	am_config_free(cfg);

	static const char *const off[] = {"normalise_batv", "no", "normalise_srs", "no",
					  "normalise_extension", "no", "normalise_verp", "no", NULL};
	cfg = grey_cfg(off);
	am_grey_norm_sender(cfg, "prvs=1234abcdef=bob@example.org", out, sizeof(out));
	is_str(out, "prvs=1234abcdef=bob@example.org", "batv off: kept");
	am_grey_norm_sender(cfg, "SRS0=HHH=TT=example.com=alice@fwd.example", out, sizeof(out));
	is_str(out, "srs0=hhh=tt=example.com=alice@fwd.example", "srs off: kept (lower-cased)");
	am_grey_norm_sender(cfg, "user+tag@example.com", out, sizeof(out));
	is_str(out, "user+tag@example.com", "extension off: kept");
	am_grey_norm_sender(cfg, "bounce-12345@example.com", out, sizeof(out));
	is_str(out, "bounce-12345@example.com", "verp off: digits kept");
	am_config_free(cfg);
}

static void test_network_and_keys(void)
{
	static const char *const prefixes[] = {"ipv4_prefix", "16", "ipv6_prefix", "48", NULL};
	struct am_config *cfg = grey_cfg(NULL), *cfg2 = grey_cfg(prefixes);
	char net[128], k1[AM_STORE_KEY_MAX + 1], k2[AM_STORE_KEY_MAX + 1];
	am_grey_network(cfg, "192.0.2.77", NULL, net, sizeof(net));
	is_str(net, "192.0.2.0/24", "IPv4 masked to /24");
	am_grey_network(cfg, "2001:db8:1:2:3:4:5:6", NULL, net, sizeof(net));
	is_str(net, "2001:db8:1:2::/64", "IPv6 masked to /64");
	am_grey_network(cfg, "::ffff:198.51.100.9", NULL, net, sizeof(net));
	is_str(net, "198.51.100.0/24", "IPv4-mapped IPv6 treated as IPv4");
	am_grey_network(cfg, "[192.0.2.1]", "Example.COM", net, sizeof(net));
	is_str(net, "spf:example.com", "SPF-verified domain stands in for the network");
	ok(am_grey_network(cfg, "not-an-ip", NULL, net, sizeof(net)) < 0, "bad IP refused");
	am_grey_network(cfg2, "192.0.2.77", NULL, net, sizeof(net));
	is_str(net, "192.0.0.0/16", "ipv4_prefix = 16");
	am_grey_network(cfg2, "2001:db8:1:2::1", NULL, net, sizeof(net));
	is_str(net, "2001:db8:1::/48", "ipv6_prefix = 48");
	am_config_free(cfg2);
	cfg2 = grey_cfg((const char *const[]){"use_spf_domain", "no", NULL});
	am_grey_network(cfg2, "192.0.2.1", "example.com", net, sizeof(net));
	is_str(net, "192.0.2.0/24", "use_spf_domain = no: the network");
	am_config_free(cfg2);

	am_grey_triplet_key("192.0.2.0/24", "a@example.com", "b@example.net", k1);
	is_int(strlen(k1), 66, "triplet key: fixed length");
	ok(strncmp(k1, "g:", 2) == 0 && strspn(k1 + 2, "0123456789abcdef") == 64,
	   "triplet key: g: + hex");
	am_grey_triplet_key("192.0.2.0/24", "a@example.com", "c@example.net", k2);
	ok(strcmp(k1, k2) != 0, "other recipient, other key");
	am_grey_triplet_key("192.0.2.0/24", "a@example.com", "b@example.net", k2);
	is_str(k2, k1, "same triplet, same key");
	am_grey_network_key("192.0.2.0/24", k2);
	ok(strncmp(k2, "n:", 2) == 0 && strlen(k2) == 66, "network key: n: + hex");
	am_config_free(cfg);
}

static void test_lists(void)
{
	struct am_grey_words w;
	am_grey_words_parse("mx.Example.com, .google.example *.outbound.example", &w);
	is_int(w.count, 3, "host list parsed");
	ok(am_grey_match_host(&w, "MX.example.com.") != NULL, "host: exact, case and dot");
	ok(am_grey_match_host(&w, "mail-1.google.example") != NULL, "host: .suffix below");
	ok(am_grey_match_host(&w, "google.example") != NULL, "host: .domain matches the domain too");
	ok(am_grey_match_host(&w, "a.outbound.example") != NULL, "host: glob");
	ok(am_grey_match_host(&w, "evilgoogle.example") == NULL, "host: no partial label");
	am_grey_words_free(&w);
	am_grey_words_parse(".example.org example.net", &w);
	ok(am_grey_match_domain(&w, "example.org") && am_grey_match_domain(&w, "Lists.Example.org."),
	   "sender .domain: the domain and below");
	ok(!am_grey_match_domain(&w, "badexample.org"), "sender domain: not a suffix of a label");
	ok(am_grey_match_domain(&w, "example.net") && !am_grey_match_domain(&w, "a.example.net"),
	   "sender name without a dot: that name only");
	am_grey_words_free(&w);
	am_grey_words_parse("abuse@ sales@example.com @hosted.example other.example", &w);
	ok(am_grey_match_rcpt(&w, "abuse@anything.example") != NULL, "rcpt: local part anywhere");
	ok(am_grey_match_rcpt(&w, "sales@example.com") != NULL, "rcpt: exact address");
	ok(am_grey_match_rcpt(&w, "info@example.com") == NULL, "rcpt: other user not listed");
	ok(am_grey_match_rcpt(&w, "x@hosted.example") && am_grey_match_rcpt(&w, "y@other.example"),
	   "rcpt: whole domains (@dom and dom)");
	am_grey_words_free(&w);

	static const struct {
		const char *host, *ip;
		bool dynamic;
	} dyn[] = {
		{"c-73-15-200-5.hsd1.ca.comcast.example", "73.15.200.5", true},
		{"5.200.15.73.dynamic.isp.example", "73.15.200.5", true},
		{"host-015-200-005.isp.example", "73.15.200.5", true},
		{"4a0fc805.cust.isp.example", "74.15.200.5", true},
		{"dsl-pool.isp.example", "192.0.2.1", true},
		{"adsl123.isp.example", "192.0.2.1", true},
		{"ppp-9.foo.isp.example", "192.0.2.1", true},
		{"mail.example.com", "192.0.2.1", false},
		{"mx2.example.com", "192.0.2.2", false},
		{"dsl.example", "192.0.2.1", false},
		{"pooltech.example.com", "192.0.2.1", false},
		{"mail-out.dynamics.example", "192.0.2.1", false},
		{"unknown", "192.0.2.1", false},
	};
	am_grey_words_parse("dyn dynamic dsl adsl ppp pool cust", &w);
	for (size_t i = 0; i < sizeof(dyn) / sizeof(dyn[0]); i++) {
		char name[200];
		snprintf(name, sizeof(name), "%s [%s] %s dynamic", dyn[i].host, dyn[i].ip,
			 dyn[i].dynamic ? "is" : "is not");
		ok(am_grey_host_dynamic(&w, dyn[i].host, dyn[i].ip) == dyn[i].dynamic, "%s", name);
	}
	am_grey_words_free(&w);
	ok(am_grey_no_ptr(NULL) && am_grey_no_ptr("unknown") && am_grey_no_ptr("[192.0.2.1]") &&
		   !am_grey_no_ptr("mx.example.com"),
	   "no-PTR forms");
}

/* One greylisting set-up: a config, an LMDB store, the clock. */
struct rig {
	struct am_config *cfg;
	struct am_store *store;
	struct am_grey *g;
	int64_t now;
};

/* Build a rig on tmpdir/file with extra [greylist] settings. */
static void rig_open(struct rig *x, const char *file, const char *const *kv)
{
	char err[512], path[512];
	struct am_store_conf c;
	x->cfg = grey_cfg(kv);
	am_store_conf_defaults(&c);
	snprintf(path, sizeof(path), "%s/%s", tmpdir, file);
	c.lmdb_path = path;
	x->store = am_store_lmdb_open(&c, err, sizeof(err));
	x->g = x->store ? am_grey_new_with_store(x->cfg, x->store, err, sizeof(err)) : NULL;
	if (!x->g) {
		printf("# rig: %s\n", err);
		exit(1);
	}
	x->now = 1700000000;
	am_grey_set_clock(x->g, fake_clock, &x->now);
}

static void rig_close(struct rig *x)
{
	am_grey_free(x->g);
	am_store_close(x->store);
	am_config_free(x->cfg);
}

/* One RCPT check; returns the outcome. */
static enum am_grey_outcome rcpt_at(struct rig *x, const struct am_grey_client *c,
				    const char *from, const char *to, const struct am_results *r,
				    struct am_grey_result *res)
{
	static const struct am_results none;
	am_grey_rcpt(x->g, c, from, to, r ? r : &none, res);
	return res->checked ? res->outcome : AM_GREY_NONE;
}

static const struct am_grey_client mx = {"192.0.2.10", "mx.sender.example", true};
static const struct am_grey_client mx_neighbour = {"192.0.2.99", "mx2.sender.example", true};

static void test_lifecycle(void)
{
	struct rig x;
	struct am_grey_result res;
	const char *a = "<alice@sender.example>", *b = "<bob@rcpt.example>";
	static const char *const no_awl[] = {"auto_whitelist", "0", NULL};
	rig_open(&x, "life.lmdb", no_awl);

	is_int(rcpt_at(&x, &mx, a, b, NULL, &res), AM_GREY_NEW, "first attempt: new");
	ok(res.tempfail && !strcmp(res.code, "451") && !strcmp(res.xcode, "4.7.1"),
	   "new: 451 4.7.1");
	ok(strstr(res.text, "Greylisted") && strstr(res.text, "300 seconds"),
	   "new: the text says greylisted and when to retry");
	is_int(res.retry_in, 300, "new: retry in 300 s");
	x.now += 100;
	is_int(rcpt_at(&x, &mx, a, b, NULL, &res), AM_GREY_EARLY, "retry after 100 s: early");
	ok(res.tempfail && strstr(res.text, "200 seconds"), "early: 451, 200 s left");
	x.now += 200;
	is_int(rcpt_at(&x, &mx_neighbour, a, b, NULL, &res), AM_GREY_PASS,
	       "retry after 300 s from the same /24: pass");
	ok(!res.tempfail, "pass: no tempfail");
	x.now += 3600;
	is_int(rcpt_at(&x, &mx, a, b, NULL, &res), AM_GREY_PASS, "later: still passes");
	is_int(rcpt_at(&x, &mx, "prvs=0999abcdef=Alice+x@Sender.Example", b, NULL, &res),
	       AM_GREY_PASS, "BATV/+ext/case variant of the sender: same triplet");
	is_int(rcpt_at(&x, &mx, a, "<carol@rcpt.example>", NULL, &res), AM_GREY_NEW,
	       "another recipient: new");

	/* the retry window */
	const char *d = "dave@sender.example";
	is_int(rcpt_at(&x, &mx, d, b, NULL, &res), AM_GREY_NEW, "window: first attempt");
	x.now += 2 * DAY + 1;
	is_int(rcpt_at(&x, &mx, d, b, NULL, &res), AM_GREY_NEW,
	       "retry after the 2-day window: starts over (new)");
	x.now += 299;
	is_int(rcpt_at(&x, &mx, d, b, NULL, &res), AM_GREY_EARLY, "restarted timer: early at 299 s");
	x.now += 1;
	is_int(rcpt_at(&x, &mx, d, b, NULL, &res), AM_GREY_PASS, "restarted timer: pass at 300 s");

	/* the 36-day pass lifetime, refreshed on use */
	x.now += 35 * DAY;
	is_int(rcpt_at(&x, &mx, d, b, NULL, &res), AM_GREY_PASS, "35 days later: still passed");
	x.now += 35 * DAY;
	is_int(rcpt_at(&x, &mx, d, b, NULL, &res), AM_GREY_PASS,
	       "35 more days (70 after passing): refreshed by the use, passes");
	x.now += 36 * DAY + 1;
	is_int(rcpt_at(&x, &mx, d, b, NULL, &res), AM_GREY_NEW,
	       "36 days without use: expired, new again");
	int64_t then = x.now;
	rig_close(&x);

	/* state survives a restart (store closed and reopened) */
	rig_open(&x, "life.lmdb", no_awl);
	x.now = then + 300;
	is_int(rcpt_at(&x, &mx, d, b, NULL, &res), AM_GREY_PASS,
	       "after a restart: the pending triplet is still known and passes");
	rig_close(&x);
}

/* The record of a known triplet or network as stored now. */
static struct am_store_value stored(struct rig *x, const char *key)
{
	struct am_store_value v = {0, 0, 0, 0};
	char err[256];
	if (am_store_get(x->store, key, x->now, &v, err, sizeof(err)) != AM_STORE_OK)
		printf("# no record %s: %s\n", key, err);
	return v;
}

/* A passed record in use is rewritten once its last refresh is 1/64 of
 * pass_lifetime old (13.5 h of 36 days), not on every message. */
static void test_refresh(void)
{
	struct rig x;
	struct am_grey_result res;
	const char *a = "<alice@sender.example>", *b = "<bob@rcpt.example>";
	static const char *const awl3[] = {"auto_whitelist", "3", NULL};
	char net[64], tkey[AM_STORE_KEY_MAX + 1], nkey[AM_STORE_KEY_MAX + 1];
	int64_t passed, listed;
	rig_open(&x, "refresh.lmdb", awl3);
	am_grey_network(x.cfg, mx.ip, NULL, net, sizeof(net));
	am_grey_triplet_key(net, "alice@sender.example", "bob@rcpt.example", tkey);
	am_grey_network_key(net, nkey);

	rcpt_at(&x, &mx, a, b, NULL, &res);
	x.now += 300;
	is_int(rcpt_at(&x, &mx, a, b, NULL, &res), AM_GREY_PASS, "refresh: the triplet passes");
	passed = x.now;
	x.now += 13 * 3600;
	is_int(rcpt_at(&x, &mx, a, b, NULL, &res), AM_GREY_PASS, "refresh: 13 h later, known");
	is_int(stored(&x, tkey).last_seen, passed, "... its record is not rewritten (13 h < 13.5 h)");
	x.now += 3600;
	is_int(rcpt_at(&x, &mx, a, b, NULL, &res), AM_GREY_PASS, "refresh: 14 h after the pass");
	is_int(stored(&x, tkey).last_seen, x.now, "... the record is rewritten (refreshed)");
	x.now += 36 * 24 * 3600 - 60;
	is_int(rcpt_at(&x, &mx, a, b, NULL, &res), AM_GREY_WHITELISTED,
	       "36 days after the refresh: still known; three passes whitelisted the network");
	listed = stored(&x, nkey).last_seen;
	x.now += 3600;
	is_int(rcpt_at(&x, &mx, a, b, NULL, &res), AM_GREY_WHITELISTED, "whitelisted network: an hour later");
	is_int(stored(&x, nkey).last_seen, listed, "... its counter is not rewritten");
	x.now += 14 * 3600;
	is_int(rcpt_at(&x, &mx, a, b, NULL, &res), AM_GREY_WHITELISTED, "whitelisted network: 15 h later");
	is_int(stored(&x, nkey).last_seen, x.now, "... its counter is refreshed");
	/* the answer "whitelisted" is reused for a minute (am_grey_cache.c) */
	char err[256];
	is_int(am_store_del(x.store, nkey, x.now, err, sizeof(err)), AM_STORE_OK,
	       "the network's record deleted behind greylisting's back");
	x.now += AM_GREY_CACHE_SECONDS - 1;
	is_int(rcpt_at(&x, &mx, a, b, NULL, &res), AM_GREY_WHITELISTED,
	       "59 s later: still whitelisted, the store not asked");
	ok(strstr(res.reason, "(3 passes)") != NULL, "... with the count the store gave (%s)", res.reason);
	x.now += 1;
	is_int(rcpt_at(&x, &mx, a, b, NULL, &res), AM_GREY_NEW,
	       "a minute later the store is asked again: no network record, the expired triplet starts over");
	rig_close(&x);
}

/* Pass n distinct triplets from client c (new, then retry). */
static int pass_triplets(struct rig *x, const struct am_grey_client *c, int n, int from)
{
	struct am_grey_result res;
	int passed = 0;
	for (int i = from; i < from + n; i++) {
		char s[64];
		snprintf(s, sizeof(s), "user%c@sender.example", 'a' + i);
		rcpt_at(x, c, s, "bob@rcpt.example", NULL, &res);
		x->now += 300;
		passed += rcpt_at(x, c, s, "bob@rcpt.example", NULL, &res) == AM_GREY_PASS;
	}
	return passed;
}

static void test_auto_whitelist(void)
{
	static const struct am_grey_client c = {"198.51.100.7", "out.big.example", true};
	struct rig x;
	struct am_grey_result res;
	static const char *const verp_off[] = {"normalise_verp", "no", NULL};
	rig_open(&x, "awl.lmdb", verp_off);
	is_int(pass_triplets(&x, &c, 4, 0), 4, "four triplets from one network pass");
	is_int(rcpt_at(&x, &c, "new1@other.example", "x@rcpt.example", NULL, &res), AM_GREY_NEW,
	       "after 4 passes: a new triplet is still greylisted");
	is_int(pass_triplets(&x, &c, 1, 4), 1, "the fifth pass");
	is_int(rcpt_at(&x, &c, "new2@other.example", "y@rcpt.example", NULL, &res),
	       AM_GREY_WHITELISTED, "after 5 passes: the network is let through");
	ok(strstr(res.reason, "auto-whitelisted network 198.51.100.0/24") != NULL,
	   "reason names the auto-whitelisted network");
	rig_close(&x);
}

static void test_rules(void)
{
	static const char *const lists[] = {
		"whitelist_networks", "203.0.113.0/24", "whitelist_hosts", ".friendly.example",
		"whitelist_senders", ".partner.example", "whitelist_recipients", "abuse@", NULL};
	static const struct am_grey_client listed_net = {"203.0.113.5", NULL, false};
	static const struct am_grey_client friend = {"192.0.2.50", "mx.friendly.example", true};
	static const struct am_grey_client friend_unverified = {"192.0.2.51",
								"mx.friendly.example", false};
	struct rig x;
	struct am_grey_result res;
	struct am_results r;
	rig_open(&x, "rules.lmdb", lists);
	is_int(rcpt_at(&x, &mx, "a@s.example", "<Postmaster@rcpt.example>", NULL, &res),
	       AM_GREY_WHITELISTED, "postmaster@ is never greylisted");
	is_int(rcpt_at(&x, &mx, "a@s.example", "<postmaster>", NULL, &res), AM_GREY_WHITELISTED,
	       "bare <postmaster> is never greylisted");
	is_int(rcpt_at(&x, &mx, "a@s.example", "abuse@rcpt.example", NULL, &res),
	       AM_GREY_WHITELISTED, "whitelisted recipient");
	is_int(rcpt_at(&x, &listed_net, "a@s.example", "b@rcpt.example", NULL, &res),
	       AM_GREY_WHITELISTED, "whitelisted client network");
	ok(strstr(res.reason, "203.0.113.0/24") != NULL, "reason names the network");
	is_int(rcpt_at(&x, &friend, "a@s.example", "b@rcpt.example", NULL, &res),
	       AM_GREY_WHITELISTED, "whitelisted verified host name");
	is_int(rcpt_at(&x, &friend_unverified, "a@s.example", "b@rcpt.example", NULL, &res),
	       AM_GREY_NEW, "same name, not verified: greylisted");
	is_int(rcpt_at(&x, &mx, "news@mail.partner.example", "b@rcpt.example", NULL, &res),
	       AM_GREY_WHITELISTED, "whitelisted sender domain (subdomain)");
	is_int(rcpt_at(&x, &mx, "<>", "b@rcpt.example", NULL, &res), AM_GREY_NONE,
	       "null sender: not decided at RCPT");
	memset(&r, 0, sizeof(r));
	r.trusted = true;
	is_int(rcpt_at(&x, &mx, "a@s.example", "b@rcpt.example", &r, &res), AM_GREY_SKIPPED,
	       "trusted client: skipped");
	/* SPF domain stands in for the network: a retry from another pool address passes */
	memset(&r, 0, sizeof(r));
	r.spf_mailfrom.checked = true;
	r.spf_mailfrom.result = AM_RES_PASS;
	snprintf(r.spf_mailfrom.domain, sizeof(r.spf_mailfrom.domain), "pool.example");
	static const struct am_grey_client p1 = {"192.0.2.1", "o1.pool.example", true},
					   p2 = {"233.252.0.9", "o2.pool.example", true};
	is_int(rcpt_at(&x, &p1, "x@pool.example", "b@rcpt.example", &r, &res), AM_GREY_NEW,
	       "SPF pass: first attempt new");
	x.now += 300;
	is_int(rcpt_at(&x, &p2, "x@pool.example", "b@rcpt.example", &r, &res), AM_GREY_PASS,
	       "SPF pass: retry from another network of the pool passes");
	rig_close(&x);
}

static void test_who(void)
{
	struct rig x;
	struct am_grey_result res;
	char err[256];
	static const char *const susp[] = {"clients", "suspicious", NULL};
	static const struct am_grey_client noptr = {"192.0.2.60", "unknown", false},
					   unverified = {"192.0.2.61", "mx.fake.example", false},
					   dynamic = {"192.0.2.62", "192-0-2-62.dyn.isp.example", true};
	rig_open(&x, "susp.lmdb", susp);
	is_int(rcpt_at(&x, &mx, "a@s.example", "b@rcpt.example", NULL, &res), AM_GREY_SKIPPED,
	       "suspicious mode: verified static host skipped");
	is_int(rcpt_at(&x, &noptr, "a@s.example", "b@rcpt.example", NULL, &res), AM_GREY_NEW,
	       "suspicious mode: no reverse DNS is greylisted");
	ok(strstr(res.reason, "no reverse DNS") != NULL, "the log reason says why: %s", res.reason);
	is_int(rcpt_at(&x, &unverified, "a@s.example", "c@rcpt.example", NULL, &res), AM_GREY_NEW,
	       "suspicious mode: unverified reverse DNS is greylisted");
	is_int(rcpt_at(&x, &dynamic, "a@s.example", "d@rcpt.example", NULL, &res), AM_GREY_NEW,
	       "suspicious mode: dynamic-looking name is greylisted");
	rig_close(&x);

	static const char *const off[] = {"enable", "no", NULL};
	rig_open(&x, "off.lmdb", off);
	is_int(rcpt_at(&x, &mx, "a@s.example", "b@rcpt.example", NULL, &res), AM_GREY_NONE,
	       "enable = no: nothing decided");
	rig_close(&x);

	static const char *const bad[][2] = {{"stage", "data"},
					     {"clients", "some"},
					     {"skip_if", "dmarc_pass, arc_pass"},
					     {"store", "redis"},
					     {"ipv4_prefix", "33"}};
	struct am_config *cfg = grey_cfg(NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ok(am_config_set(cfg, "greylist", bad[i][0], bad[i][1], "f.ini", 7, err,
				 sizeof(err)) != 0 && strstr(err, "f.ini:7") && strstr(err, bad[i][0]),
		   "config refuses %s = %s (%s)", bad[i][0], bad[i][1], err);
	}
	ok(am_config_set(cfg, "greylist", "skip_if", "DKIM_aligned_pass spf_aligned_pass", "f", 1,
			 err, sizeof(err)) == 0, "skip_if takes a list");
	am_config_free(cfg);
	cfg = grey_cfg((const char *const[]){"delay", "3600", "retry_window", "3600", NULL});
	ok(am_grey_config_check(cfg, err, sizeof(err)) < 0 && strstr(err, "retry_window"),
	   "config check: delay must be below retry_window (%s)", err);
	ok(am_grey_new_with_store(cfg, NULL, err, sizeof(err)) == NULL, "am_grey_new refuses it too");
	am_config_free(cfg);
}

static void test_eom(void)
{
	static const char *const eom[] = {"stage", "eom", "skip_if", "dmarc_pass", "auto_whitelist", "0", NULL};
	const char *three[] = {"<u1@rcpt.example>", "<u2@rcpt.example>", "<u3@rcpt.example>"};
	const char *mixed[] = {"<u1@rcpt.example>", "<u4@rcpt.example>"};
	const char *pm[] = {"<postmaster@rcpt.example>"};
	const char *pm_and[] = {"<postmaster@rcpt.example>", "<u5@rcpt.example>"};
	struct rig x;
	struct am_grey_result res, msg;
	struct am_results r;
	memset(&r, 0, sizeof(r));
	rig_open(&x, "eom.lmdb", eom);
	is_int(rcpt_at(&x, &mx, "a@s.example", three[0], NULL, &res), AM_GREY_NONE,
	       "stage = eom: nothing decided at RCPT");
	am_grey_eom(x.g, &mx, "a@s.example", three, 3, &r, &res);
	ok(res.checked && res.outcome == AM_GREY_NEW && res.tempfail, "eom, 3 new triplets: new, 451");
	x.now += 300;
	am_grey_eom(x.g, &mx, "a@s.example", three, 3, &r, &res);
	is_int(res.outcome, AM_GREY_PASS, "retry: all three were recorded, message passes");
	am_grey_eom(x.g, &mx, "a@s.example", mixed, 2, &r, &res);
	ok(res.outcome == AM_GREY_NEW && res.tempfail,
	   "one known and one new recipient: one answer, tempfail");
	x.now += 300;
	am_grey_eom(x.g, &mx, "a@s.example", mixed, 2, &r, &res);
	is_int(res.outcome, AM_GREY_PASS, "its retry passes");
	am_grey_eom(x.g, &mx, "a@s.example", pm, 1, &r, &res);
	is_int(res.outcome, AM_GREY_WHITELISTED, "eom to postmaster only: whitelisted");
	am_grey_eom(x.g, &mx, "a@s.example", pm_and, 2, &r, &res);
	is_int(res.outcome, AM_GREY_NEW, "postmaster plus a new recipient: the message waits");
	r.dmarc.checked = true;
	r.dmarc.result = AM_RES_PASS;
	am_grey_eom(x.g, &mx, "z@s.example", three, 3, &r, &res);
	ok(res.outcome == AM_GREY_SKIPPED && strstr(res.reason, "dmarc_pass"),
	   "skip_if dmarc_pass: a DMARC pass skips greylisting");
	r.dmarc.result = AM_RES_FAIL;
	r.dmarc.dkim_aligned = true;
	r.dmarc.dkim_result = AM_RES_PASS;
	am_grey_eom(x.g, &mx, "z@s.example", three, 3, &r, &res);
	is_int(res.outcome, AM_GREY_NEW, "aligned DKIM pass is not in skip_if here: greylisted");
	rig_close(&x);

	static const char *const rcptstage[] = {"skip_if", "dkim_aligned_pass", NULL};
	rig_open(&x, "eom2.lmdb", rcptstage);
	am_grey_eom(x.g, &mx, "a@s.example", three, 3, &r, &res);
	ok(!res.checked, "stage = rcpt: a normal sender is not decided again at eom");
	am_grey_eom(x.g, &mx, "<>", three, 3, &r, &res);
	ok(res.outcome == AM_GREY_SKIPPED && strstr(res.reason, "dkim_aligned_pass"),
	   "null sender at eom: skip_if dkim_aligned_pass applies");
	memset(&r, 0, sizeof(r));
	am_grey_eom(x.g, &mx, "<>", three, 3, &r, &res);
	ok(res.outcome == AM_GREY_NEW && res.tempfail, "null sender is greylisted at end of data");
	/* merging RCPT results for the log */
	memset(&msg, 0, sizeof(msg));
	rcpt_at(&x, &mx, "m@s.example", "postmaster@rcpt.example", NULL, &res);
	am_grey_result_merge(&msg, &res);
	rcpt_at(&x, &mx, "m@s.example", "v@rcpt.example", NULL, &res);
	x.now += 300;
	rcpt_at(&x, &mx, "m@s.example", "v@rcpt.example", NULL, &res);
	am_grey_result_merge(&msg, &res);
	is_str(am_grey_outcome_name(msg.outcome), "pass", "merge: pass outranks whitelisted");
	rig_close(&x);
}

static void test_store_errors(void)
{
	static const char *const failopen[] = {"store", "memcached", "memcached_servers",
					       "127.0.0.1:1", NULL};
	static const char *const tempfail[] = {"store", "memcached", "memcached_servers",
					       "127.0.0.1:1", "on_store_error", "tempfail", NULL};
	struct am_store_registry *reg = am_store_registry_new();
	struct am_grey_result res;
	char err[256];
	struct am_config *cfg = grey_cfg(failopen);
	struct am_grey *g = am_grey_new(cfg, reg, err, sizeof(err));
	static const struct am_results none;
	int64_t t0 = am_dns_now_ms();
	if (!ok(g != NULL, "memcached store on a closed port opens (connects lazily)"))
		diag("%s", err);
	am_grey_rcpt(g, &mx, "a@s.example", "b@rcpt.example", &none, &res);
	ok(res.outcome == AM_GREY_ERROR && !res.tempfail, "store down, fail open: error, accepted");
	ok(res.store_errors >= 1, "the failed store operations are counted (%u)", res.store_errors);
	ok(strstr(res.reason, "memcached") != NULL, "reason names the store: %s", res.reason);
	ok(am_dns_now_ms() - t0 < 2000, "failure answered within the timeout");
	am_grey_free(g);
	am_config_free(cfg);
	cfg = grey_cfg(tempfail);
	g = am_grey_new(cfg, reg, err, sizeof(err));
	am_grey_rcpt(g, &mx, "a@s.example", "b@rcpt.example", &none, &res);
	ok(res.outcome == AM_GREY_ERROR && res.tempfail && !strcmp(res.xcode, "4.3.0"),
	   "store down, on_store_error = tempfail: 451 4.3.0");
	am_grey_free(g);
	am_config_free(cfg);

	/* two generations of one LMDB config share one store through the registry */
	char path[512];
	snprintf(path, sizeof(path), "%s/shared.lmdb", tmpdir);
	const char *kv[] = {"lmdb_path", path, NULL};
	struct am_config *c1 = grey_cfg(kv), *c2 = grey_cfg(kv);
	struct am_grey *g1 = am_grey_new(c1, reg, err, sizeof(err));
	struct am_grey *g2 = am_grey_new(c2, reg, err, sizeof(err));
	ok(g1 && g2, "two generations on one LMDB file open");
	am_grey_rcpt(g1, &mx, "a@s.example", "b@rcpt.example", &none, &res);
	am_grey_free(g1); /* the old generation goes away: the store stays for g2 */
	am_grey_rcpt(g2, &mx, "a@s.example", "b@rcpt.example", &none, &res);
	is_int(res.outcome, AM_GREY_EARLY, "the new generation sees the old one's triplet");
	am_grey_free(g2);
	am_config_free(c1);
	am_config_free(c2);
	am_store_registry_free(reg);
}

int main(void)
{
	const char *base = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/amgrey.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		printf("1..0 # SKIP cannot make a temporary directory\n");
		return 0;
	}
	test_norm_sender();
	test_network_and_keys();
	test_lists();
	test_lifecycle();
	test_refresh();
	test_auto_whitelist();
	test_rules();
	test_who();
	test_eom();
	test_store_errors();
	{
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			diag("could not remove %s", tmpdir);
	}
	return done_testing();
}
