/*
 * test_am_dkim.c - unit tests of lib/am_dkim.c (TAP) on the messages in
 * t/data/dkim/, signed by independent signers (Mail::DKIM, dkimpy; see
 * make-fixtures.sh there), with keys served by the table-driven resolver.
 * Each case changes the message or the DNS table and checks the result,
 * reason and tags of every signature. Also: the canonical body length
 * counter (am_dkim_bodylen.c) and several threads sharing one verifier.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am_dkim.h"
#include "am_dkim_bodylen.h"
#include "am_dkim_select.h"
#include "dkim_fixture.h"
#include "msgfeed.h"
#include "tap.h"

static char *keys_zone; /* t/data/dkim/keys.zone */

/* Copy of text with the first `from` replaced by `to` (abort if absent). */
static char *replace(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	size_t pre, len;
	char *out;

	if (at == NULL) {
		fprintf(stderr, "fixture lacks '%s'\n", from);
		abort();
	}
	pre = (size_t)(at - text);
	len = strlen(text) - strlen(from) + strlen(to);
	out = malloc(len + 1);
	memcpy(out, text, pre);
	strcpy(out + pre, to);
	strcat(out, at + strlen(from));
	return out;
}

/* keys.zone without the lines of name `drop` (NULL: none), plus `extra`. */
static struct am_dns *table(const char *drop, const char *extra)
{
	size_t cap = strlen(keys_zone) + (extra ? strlen(extra) : 0) + 2;
	char *text = calloc(1, cap), *copy = strdup(keys_zone), *save = NULL, err[256];
	struct am_dns *dns;

	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (drop != NULL && strncmp(l, drop, strlen(drop)) == 0 && l[strlen(drop)] == ' ')
			continue;
		strcat(text, l);
		strcat(text, "\n");
	}
	if (extra != NULL)
		strcat(text, extra);
	dns = am_dns_table_new(text, err, sizeof(err));
	if (dns == NULL)
		fprintf(stderr, "table: %s\n", err);
	free(copy);
	free(text);
	return dns;
}

struct feed {
	struct am_dkim_msg *m;
	bool lf_folding; /* hand header values with LF-only folding, as Postfix does */
	bool eoh;
};

static int on_header(void *ctx, const char *name, const char *value)
{
	struct feed *f = ctx;
	char *v = strdup(value), *o = v;

	for (const char *p = value; f->lf_folding && *p; p++)
		if (!(p[0] == '\r' && p[1] == '\n'))
			*o++ = *p;
	if (f->lf_folding)
		*o = '\0';
	int rc = am_dkim_header(f->m, name, v);
	free(v);
	return rc;
}

static bool on_eoh(void *ctx)
{
	struct feed *f = ctx;
	return f->eoh = am_dkim_eoh(f->m);
}

static int on_body(void *ctx, const unsigned char *buf, size_t len)
{
	return am_dkim_body(((struct feed *)ctx)->m, buf, len);
}

static const struct msgfeed_ops feed_ops = {on_header, on_eoh, on_body};

/* Verify msg against dns (consumed) with opt (NULL: defaults); 0 or -1. */
static int verify(const char *msg, struct am_dns *dns, const struct am_dkim_options *opt,
		  struct am_dns_budget *budget, bool lf_folding, struct am_dkim_result *res)
{
	char err[256] = "";
	struct am_dkim *d = dns ? am_dkim_new(dns, opt, err, sizeof(err)) : NULL;
	struct feed f = {.lf_folding = lf_folding};
	FILE *fp = fmemopen((void *)msg, strlen(msg), "r");
	int rc = -1;

	memset(res, 0, sizeof(*res));
	if (d != NULL && fp != NULL &&
	    (f.m = am_dkim_msg_new(d, budget, "test", err, sizeof(err))) != NULL &&
	    msgfeed(fp, 7, &feed_ops, &f, err, sizeof(err)) == 0) { /* odd chunks on purpose */
		am_dkim_eom(f.m, res);
		rc = 0;
	}
	if (rc != 0)
		diag("verify: %s", err);
	if (fp != NULL)
		fclose(fp);
	am_dkim_msg_free(f.m);
	am_dkim_free(d);
	am_dns_destroy(dns);
	return rc;
}

/* Verify a fixture (possibly edited) and check its only signature. */
static void one(const char *name, const char *msg, struct am_dns *dns,
		const struct am_dkim_options *opt, enum am_result want, const char *why_part)
{
	struct am_dkim_result r;

	if (verify(msg, dns, opt, NULL, false, &r) != 0 || !ok(r.count == 1, "%s: one result", name))
		return;
	if (!ok(r.sigs[0].result == want, "%s: %s", name, am_result_name(want)))
		diag("got %s (%s)", am_result_name(r.sigs[0].result), r.sigs[0].reason);
	if (why_part != NULL && !ok(strstr(r.sigs[0].reason, why_part) != NULL,
				    "%s: reason mentions '%s'", name, why_part))
		diag("reason: %s", r.sigs[0].reason);
}

/* The b= value's first 8 characters, as they appear in the field. */
static void b_prefix_of(const char *msg, const char *after, char out[9])
{
	const char *p = strstr(strstr(msg, after), " b=");
	memcpy(out, p + 3, 8);
	out[8] = '\0';
}

static void test_pass_and_tags(void)
{
	char *msg = dkim_fixture("rsa-relaxed.eml"), want_b[9];
	struct am_dkim_result r;

	if (!ok(msg != NULL && keys_zone != NULL, "fixtures readable (top_srcdir set)"))
		exit(done_testing());
	ok(verify(msg, table(NULL, NULL), NULL, NULL, false, &r) == 0, "rsa relaxed: verified");
	ok(r.checked && r.count == 1 && r.unverified == 0, "rsa relaxed: one signature");
	is_str(am_result_name(r.sigs[0].result), "pass", "rsa relaxed: pass");
	is_str(r.sigs[0].domain, "example.com", "d= kept");
	is_str(r.sigs[0].selector, "rsa2048", "s= kept");
	is_str(r.sigs[0].algorithm, "rsa-sha256", "a= kept");
	is_str(r.sigs[0].identity, "@example.com", "i= defaults to @d");
	is_int(r.sigs[0].key_bits, 2048, "key size");
	b_prefix_of(msg, "s=rsa2048", want_b);
	is_str(r.sigs[0].b_prefix, want_b, "header.b: first 8 characters of b=");
	is_str(r.sigs[0].signed_headers, "from:to:subject:date:message-id:mime-version:content-type",
	       "signed header names");
	ok(!r.sigs[0].body_partial, "no l=: not partial");
	free(msg);

	msg = dkim_fixture("rsa-simple.eml");
	one("rsa simple/simple", msg, table(NULL, NULL), NULL, AM_RES_PASS, NULL);
	free(msg);

	msg = dkim_fixture("ed25519.eml");
	ok(verify(msg, table(NULL, NULL), NULL, NULL, false, &r) == 0 && r.count == 1,
	   "ed25519: verified");
	is_str(am_result_name(r.sigs[0].result), "pass", "ed25519-sha256 (RFC 8463): pass");
	is_int(r.sigs[0].key_bits, 256, "ed25519 key size");
	is_str(r.sigs[0].signed_headers, "from:to:subject:date:message-id", "dkimpy's h= list");
	ok(verify(msg, table(NULL, NULL), NULL, NULL, true, &r) == 0 && r.count == 1 &&
	       r.sigs[0].result == AM_RES_PASS,
	   "folded signature field given with LF-only folding (as milters get it): pass");
	free(msg);
}

static void test_changes(void)
{
	char *msg = dkim_fixture("rsa-relaxed.eml"), *m2;

	m2 = replace(msg, "Regards,", "Regards!");
	one("body byte changed", m2, table(NULL, NULL), NULL, AM_RES_FAIL, "body hash");
	free(m2);
	m2 = replace(msg, "Subject: DKIM fixture", "Subject: DKIM fixturE");
	one("signed header changed", m2, table(NULL, NULL), NULL, AM_RES_FAIL, "did not verify");
	free(m2);
	m2 = replace(msg, "Hello Bob,   \n", "Hello   Bob,\n");
	one("relaxed: whitespace changed", m2, table(NULL, NULL), NULL, AM_RES_PASS, NULL);
	free(m2);
	m2 = replace(msg, "Content-Type:", "X-Unsigned: added after signing\nContent-Type:");
	one("unsigned header added", m2, table(NULL, NULL), NULL, AM_RES_PASS, NULL);
	free(m2);
	m2 = replace(msg, "v=1;", "v=1; bogus;");
	one("malformed signature field", m2, table(NULL, NULL), NULL, AM_RES_NEUTRAL, "malformed");
	free(m2);
	m2 = replace(msg, "a=rsa-sha256", "a=rsa-md5");
	one("unknown algorithm", m2, table(NULL, NULL), NULL, AM_RES_NEUTRAL, "algorithm");
	free(m2);
	/* q= (RFC 6376 3.5): unknown methods are skipped; FWS may surround ':'.
	 * The edit breaks the signature, so a usable q= shows as "did not
	 * verify", an unusable one as a neutral field error. */
	m2 = replace(msg, "s=rsa2048;", "s=rsa2048; q=x-foo;");
	one("q= with only an unknown method", m2, table(NULL, NULL), NULL, AM_RES_NEUTRAL, NULL);
	free(m2);
	m2 = replace(msg, "s=rsa2048;", "s=rsa2048; q=x-foo:dns/txt;");
	one("q= with an unknown method, then dns/txt", m2, table(NULL, NULL), NULL, AM_RES_FAIL,
	    "did not verify");
	free(m2);
	m2 = replace(msg, "s=rsa2048;", "s=rsa2048; q = x-foo : dns/txt ;");
	one("q= with white space around ':'", m2, table(NULL, NULL), NULL, AM_RES_FAIL,
	    "did not verify");
	free(m2);
	m2 = replace(msg, "s=rsa2048;", "s=rsa2048; q=x-foo:\r\n\tdns/txt;");
	one("q= folded after ':'", m2, table(NULL, NULL), NULL, AM_RES_FAIL, "did not verify");
	free(m2);
	free(msg);

	msg = dkim_fixture("rsa-simple.eml");
	m2 = replace(msg, "Hello Bob,   \n", "Hello   Bob,\n");
	one("simple: whitespace changed", m2, table(NULL, NULL), NULL, AM_RES_FAIL, "body hash");
	free(m2);
	m2 = replace(msg, "Alice\n\n\n", "Alice");
	one("simple: body without its final CRLF (CRLF added)", m2, table(NULL, NULL), NULL,
	    AM_RES_PASS, NULL);
	free(m2);
	free(msg);

	msg = dkim_fixture("ed25519.eml");
	m2 = replace(msg, "Alice\n", "Mallory\n");
	one("ed25519: body changed", m2, table(NULL, NULL), NULL, AM_RES_FAIL, "body hash");
	free(m2);
	free(msg);
}

static void test_keys_and_dns(void)
{
	const char *rsa = "rsa2048._domainkey.example.com";
	char *msg = dkim_fixture("rsa-relaxed.eml");
	struct am_dns_budget spent = {.deadline_ms = am_dns_now_ms() - 1};
	struct am_dkim_result r;
	char big[1300];

	one("revoked key (empty p=)", msg, table(rsa, "rsa2048._domainkey.example.com TXT v=DKIM1; p="),
	    NULL, AM_RES_PERMERROR, "revoked");
	one("missing key (NXDOMAIN)", msg, table(rsa, NULL), NULL, AM_RES_PERMERROR, "no key");
	one("key name exists, no TXT (NODATA)", msg,
	    table(rsa, "rsa2048._domainkey.example.com A 192.0.2.1"), NULL, AM_RES_PERMERROR, "no key");
	one("DNS timeout on the key", msg, table(rsa, "rsa2048._domainkey.example.com TIMEOUT"), NULL,
	    AM_RES_TEMPERROR, "timeout");
	one("DNS SERVFAIL on the key", msg, table(rsa, "rsa2048._domainkey.example.com SERVFAIL"),
	    NULL, AM_RES_TEMPERROR, "servfail");
	one("key record syntax error", msg,
	    table(rsa, "rsa2048._domainkey.example.com TXT v=DKIM1; k=rsa; p"), NULL,
	    AM_RES_PERMERROR, NULL);
	one("key of another type (k=ed25519 for rsa-sha256)", msg,
	    table(rsa, "rsa2048._domainkey.example.com TXT v=DKIM1; k=ed25519; "
		       "p=nRrFTtWH2CA1aehboU6ypbPMAN7UFK41jbIx6R4lEWU="),
	    NULL, AM_RES_PERMERROR, NULL);
	one("a second, non-DKIM TXT record beside the key", msg,
	    table(NULL, "rsa2048._domainkey.example.com TXT google-site-verification=x"), NULL,
	    AM_RES_PASS, NULL);
	snprintf(big, sizeof(big), "rsa2048._domainkey.example.com TXT v=DKIM1; n=%01100d; p=", 0);
	one("key record past libopendkim's 1024-byte buffer", msg, table(rsa, big), NULL,
	    AM_RES_PERMERROR, "too long");
	ok(verify(msg, table(NULL, NULL), NULL, &spent, false, &r) == 0 && r.count == 1 &&
	       r.sigs[0].result == AM_RES_TEMPERROR && strstr(r.sigs[0].reason, "budget"),
	   "message DNS budget already spent: temperror (budget)");
	free(msg);
}

/* The key record among several TXT records: the first whose first tag is
 * v=DKIM1, white space (tab included) around '=' and before ';' allowed. */
static void test_pick_key(void)
{
	static const struct {
		const char *records, *want;
	} cases[] = {
		{"k.example TXT v=DKIM10; p=wrong\nk.example TXT \"v=DKIM1\t; p=right\"\n", "p=right"},
		{"k.example TXT site-verification=x\nk.example TXT \"v = DKIM1 ;p=right\"\n", "p=right"},
		{"k.example TXT v=DKIM1x; p=first\nk.example TXT other\n", "p=first"},
		{"k.example TXT \"p=only; v=DKIM1\"\n", "p=only"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[128], out[256] = "";
		struct am_dns *dns = am_dns_table_new(cases[i].records, err, sizeof(err));
		struct am_dns_answer ans;

		if (!ok(dns != NULL, "key choice table %zu: %s", i, dns ? "ok" : err))
			continue;
		am_dns_query(dns, NULL, "k.example", AM_RR_TXT, &ans);
		ok(am_dkim_pick_key(&ans, out, sizeof(out), NULL) == 0 && strstr(out, cases[i].want),
		   "key choice %zu: took \"%s\"", i, out);
		am_dns_answer_free(&ans);
		am_dns_destroy(dns);
	}
}

static void test_policy(void)
{
	struct am_dkim_options opt = {.max_signatures = 5, .min_key_bits = 512};
	struct am_dkim_result r;
	char *msg = dkim_fixture("rsa-sha1.eml"), *m2;

	one("rsa-sha1 (RFC 8301)", msg, table(NULL, NULL), NULL, AM_RES_POLICY, "rsa-sha1");
	free(msg);
	msg = dkim_fixture("short-key.eml");
	ok(verify(msg, table(NULL, NULL), NULL, NULL, false, &r) == 0 && r.count == 1 &&
	       r.sigs[0].result == AM_RES_POLICY && r.sigs[0].key_bits == 512,
	   "512-bit key under min_key_bits 1024: policy, key size 512");
	diag("reason: %s", r.sigs[0].reason);
	one("512-bit key with min_key_bits 512", msg, table(NULL, NULL), &opt, AM_RES_PASS, NULL);
	free(msg);

	msg = dkim_fixture("expired.eml");
	one("x= in the past", msg, table(NULL, NULL), NULL, AM_RES_PERMERROR, "expired");
	free(msg);
	msg = dkim_fixture("unsigned-from.eml");
	one("From not in h=", msg, table(NULL, NULL), NULL, AM_RES_PERMERROR, "From");
	free(msg);

	msg = dkim_fixture("length.eml");
	ok(verify(msg, table(NULL, NULL), NULL, NULL, false, &r) == 0 && r.count == 1 &&
	       r.sigs[0].result == AM_RES_PASS && !r.sigs[0].body_partial,
	   "l= equal to the body: pass, not partial");
	m2 = replace(msg, "Alice\n\n\n", "Alice\n\n\nP.S. appended after signing\n");
	ok(verify(m2, table(NULL, NULL), NULL, NULL, false, &r) == 0 && r.count == 1 &&
	       r.sigs[0].result == AM_RES_POLICY && r.sigs[0].body_partial && strstr(r.sigs[0].reason, "l="),
	   "l= shorter than the body: policy by default (RFC 8601 2.7.1), reported as partial");
	diag("reason: %s", r.sigs[0].reason);
	opt = (struct am_dkim_options){.max_signatures = 5, .min_key_bits = 1024,
				       .partial_body = AM_DKIM_PARTIAL_FAIL};
	one("l= shorter than the body, partial_body = fail", m2, table(NULL, NULL), &opt,
	    AM_RES_FAIL, "l=");
	opt.partial_body = AM_DKIM_PARTIAL_PASS;
	one("l= shorter than the body, partial_body = pass", m2, table(NULL, NULL), &opt,
	    AM_RES_PASS, "l=");
	free(m2);
	m2 = replace(msg, "Alice\n\n\n", "Alice\n\n\n\n\n");
	ok(verify(m2, table(NULL, NULL), NULL, NULL, false, &r) == 0 && r.count == 1 &&
	       r.sigs[0].result == AM_RES_PASS && !r.sigs[0].body_partial,
	   "l= with empty lines appended (canonicalised away): not partial");
	free(m2);
	free(msg);
}

static void test_several(void)
{
	struct am_dkim_options opt = {.max_signatures = 2, .min_key_bits = 1024};
	struct am_dkim_result r;
	char *msg = dkim_fixture("two-sigs.eml"), *base;

	ok(verify(msg, table("ed._domainkey.example.com",
			     "ed._domainkey.example.com TXT v=DKIM1; k=ed25519; "
			     "p=nRrFTtWH2CA1aehboU6ypbPMAN7UFK41jbIx6R4lEWU="),
		  NULL, NULL, false, &r) == 0 && r.count == 2,
	   "two signatures, ed25519 key replaced: two results");
	ok(r.sigs[0].result == AM_RES_FAIL && strcmp(r.sigs[0].algorithm, "ed25519-sha256") == 0,
	   "first (ed25519, wrong key): fail");
	ok(r.sigs[1].result == AM_RES_PASS && strcmp(r.sigs[1].algorithm, "rsa-sha256") == 0,
	   "second (rsa-sha256): pass");
	free(msg);

	msg = dkim_fixture("three-sigs.eml");
	ok(verify(msg, table(NULL, NULL), NULL, NULL, false, &r) == 0 && r.count == 3 &&
	       r.unverified == 0,
	   "three signatures, default max 5: three results");
	ok(r.sigs[0].result == AM_RES_PASS && r.sigs[1].result == AM_RES_PASS &&
	       r.sigs[2].result == AM_RES_PASS,
	   "all three pass");
	ok(strcmp(r.sigs[0].b_prefix, r.sigs[2].b_prefix) != 0, "header.b tells same-d= signatures apart");
	ok(verify(msg, table(NULL, NULL), &opt, NULL, false, &r) == 0 && r.count == 2 &&
	       r.unverified == 1,
	   "max_signatures 2: two verified, one counted as unverified");
	ok(r.sigs[0].result == AM_RES_PASS && strcmp(r.sigs[1].algorithm, "ed25519-sha256") == 0,
	   "the first two in header order are the ones verified");

	/* the same message without any DKIM-Signature field */
	base = strstr(msg, "\nFrom:") + 1;
	ok(verify(base, table(NULL, NULL), NULL, NULL, false, &r) == 0 && r.checked && r.count == 0,
	   "unsigned message: checked, no result");
	free(msg);
}

static void test_options(void)
{
	struct am_dkim_options opt = {.max_signatures = 0, .min_key_bits = 1024};
	struct am_dns *dns = table(NULL, NULL);
	char err[256] = "";
	struct am_config *cfg = am_config_defaults(err, sizeof(err));
	struct am_dkim_options got;

	ok(am_dkim_new(dns, &opt, err, sizeof(err)) == NULL && err[0], "max_signatures 0 refused");
	opt.max_signatures = AM_DKIM_MAX_SIGS + 1;
	ok(am_dkim_new(dns, &opt, err, sizeof(err)) == NULL, "max_signatures past AM_DKIM_MAX_SIGS refused");
	if (cfg != NULL)
		am_dkim_options_from_config(cfg, &got);
	ok(cfg != NULL &&
	       got.max_signatures == 5 && got.min_key_bits == 1024 &&
	       got.partial_body == AM_DKIM_PARTIAL_POLICY,
	   "[dkim] defaults: 5 signatures, 1024 bits, partial_body policy");
	ok(cfg && cfg->dkim_enable && cfg->score_dkim[AM_RES_PASS] == 0, "[dkim] enable, dkim_pass score 0");
	ok(cfg && am_config_set(cfg, "dkim", "partial_body", "fail", "t", 1, err, sizeof(err)) == 0,
	   "partial_body = fail accepted");
	if (cfg != NULL)
		am_dkim_options_from_config(cfg, &got);
	ok(cfg && got.partial_body == AM_DKIM_PARTIAL_FAIL, "partial_body = fail: l= short of the body fails");
	ok(cfg && am_config_set(cfg, "dkim", "partial_body", "maybe", "t", 1, err, sizeof(err)) != 0 &&
	       strstr(err, "t:1:") != NULL,
	   "partial_body = maybe refused with FILE:LINE: %s", err);
	ok(cfg && am_config_set(cfg, "dkim", "max_signatures", "17", "t", 3, err, sizeof(err)) != 0,
	   "max_signatures 17 refused by the option table: %s", err);
	am_config_free(cfg);
	am_dns_destroy(dns);
}

/* Canonical length of s fed in chunks of n bytes. */
static unsigned long long canon_len(const char *s, bool relaxed, size_t n)
{
	struct am_dkim_bodylen b;
	size_t len = strlen(s);

	am_dkim_bodylen_init(&b, relaxed);
	for (size_t i = 0; i < len; i += n)
		am_dkim_bodylen_feed(&b, (const unsigned char *)s + i, len - i < n ? len - i : n);
	return am_dkim_bodylen_total(&b);
}

static void test_bodylen(void)
{
	static const struct {
		const char *body;
		unsigned long long simple, relaxed;
	} cases[] = {
		{"", 2, 0},
		{"\r\n\r\n", 2, 0},
		{"abc", 5, 5},
		{"abc\r\n", 5, 5},
		{"a  b \r\n\r\n\r\n", 7, 5},
		{" \t x\r\n", 6, 4},
		{"x\r\n  \r\n\r\ny\r\n", 12, 10},
		{"x\r\n \t \r\n", 8, 3},
		{"a\rb\r\n", 5, 5},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (size_t n = 1; n <= 3; n += 2) {
			is_int(canon_len(cases[i].body, false, n), cases[i].simple, "simple length");
			is_int(canon_len(cases[i].body, true, n), cases[i].relaxed, "relaxed length");
		}
	}
}

struct worker {
	struct am_dkim *d;
	const char *msg;
	int passes;
};

/* One thread: verify the same message many times on the shared verifier. */
static void *work(void *arg)
{
	struct worker *w = arg;
	char err[128];

	for (int i = 0; i < 40; i++) {
		struct feed f = {0};
		struct am_dkim_result r;
		FILE *fp = fmemopen((void *)w->msg, strlen(w->msg), "r");
		f.m = am_dkim_msg_new(w->d, NULL, "thread", err, sizeof(err));
		if (fp != NULL && f.m != NULL && msgfeed(fp, 64, &feed_ops, &f, err, sizeof(err)) == 0) {
			am_dkim_eom(f.m, &r);
			w->passes += r.count == 2 && r.sigs[0].result == AM_RES_PASS &&
				     r.sigs[1].result == AM_RES_PASS;
		}
		am_dkim_msg_free(f.m);
		if (fp != NULL)
			fclose(fp);
	}
	return NULL;
}

static void test_threads(void)
{
	char err[256];
	struct am_dns *dns = table(NULL, NULL);
	struct am_dkim *d = am_dkim_new(dns, NULL, err, sizeof(err));
	char *msg = dkim_fixture("two-sigs.eml");
	struct worker w[4];
	pthread_t t[4];
	int total = 0;

	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){.d = d, .msg = msg};
		pthread_create(&t[i], NULL, work, &w[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		total += w[i].passes;
	}
	is_int(total, 160, "4 threads x 40 messages on one shared verifier: every signature passes");
	free(msg);
	am_dkim_free(d);
	am_dns_destroy(dns);
}

/* Past max_signatures, the signatures that can align with the author go
 * first (am_dkim_select); without authors, field order. */
static void test_select(void)
{
	const char *six[] = {"l1.example", "l2.example", "l3.example", "l4.example", "l5.example", "example.com"};
	const char *author[] = {"example.com"};
	bool v[6];
	am_dkim_select(six, 6, author, 1, 5, v);
	ok(v[5] && !v[4] && v[0] && v[3], "6 signatures, max 5: the author's 6th verified, the 5th foreign skipped");
	am_dkim_select(six, 6, NULL, 0, 5, v);
	ok(v[0] && v[4] && !v[5], "no author known: the first 5 in field order");
	const char *sub[] = {"mail.example.com", "x.example.com", "EXAMPLE.com."};
	am_dkim_select(sub, 3, author, 1, 1, v);
	ok(v[2] && !v[0] && !v[1], "max 1: exact d= (strict alignment) before subdomains, case and dot ignored");
	const char *uk[] = {"other.co.uk", "example.co.uk", NULL};
	const char *uk_author[] = {"lists.example.org", "news.example.co.uk"};
	am_dkim_select(uk, 3, uk_author, 2, 1, v);
	ok(v[1] && !v[0] && !v[2], "second author domain: its organisation's d= before a sibling under co.uk");
	am_dkim_select(uk, 3, uk_author, 2, 9, v);
	ok(v[0] && v[1] && v[2], "max above the count: all verified");
}

int main(void)
{
	test_select();
	keys_zone = dkim_fixture("keys.zone");
	test_pass_and_tags();
	test_changes();
	test_keys_and_dns();
	test_pick_key();
	test_policy();
	test_several();
	test_options();
	test_bodylen();
	test_threads();
	free(keys_zone);
	return done_testing();
}
