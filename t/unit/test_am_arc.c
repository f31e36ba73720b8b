/*
 * test_am_arc.c - unit tests of the ARC verifier's parts that need no
 * signer: the tag-list parser and its colon-separated values, base64,
 * body canonicalisation (RFC 6376 3.4.3/3.4.4 vectors), AAR reading, the trusted-sealers list, and bad
 * input through the whole verifier (duplicate and missing instances, i=0,
 * i=51, unknown algorithms, garbage tags, a 100 KB b=, a chain of 50):
 * each ends fail or none with a reason, within the DNS cap; and one
 * Ed25519 set (RFC 8463) signed here with OpenSSL over our own
 * canonicalisation, through verification, trust and the choice of the
 * key record among a selector's TXT records (python3-dkim's
 * arc_sign signs RSA only); which RSA keys enter the key cache DKIM
 * shares. RSA chains from an independent signer are
 * tested in t/daemon-arc.sh and t/arc-conformance.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "am_arc_int.h"
#include "am_dkim_keycache.h"
#include "am_domlist.h"
#include "tap.h"

/* Tag lists: what parses and what must not. */
static void test_tags(void)
{
	static const struct { const char *in; int rc; size_t n; } cases[] = {
		{"a=1; b=2", 0, 2}, {"a=1;b=2;", 0, 2}, {" a = 1 ;\r\n\tb= x y ;  ", 0, 2},
		{"a=", 0, 1}, {"a=1;;b=2", -1, 0}, {"", -1, 0}, {"a=1; a=2", -1, 0},
		{"1a=2", -1, 0}, {"a b=1", -1, 0}, {"a=1\x01", -1, 0}, {"a", -1, 0}, {";", -1, 0},
	};
	struct am_arc_tags t;
	char err[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = am_arc_tags_parse(cases[i].in, &t, err, sizeof(err));
		ok(rc == cases[i].rc && (rc != 0 || t.n == cases[i].n), "tags \"%s\": %d (%s)", cases[i].in,
		   rc, rc ? err : "ok");
	}
	am_arc_tags_parse(" x = a b ; y=z", &t, err, sizeof(err));
	ok(am_arc_tag_is(am_arc_tag_get(&t, "x"), "a b"), "value keeps inner space, trims ends");
	ok(am_arc_tag_get(&t, "X") == NULL, "tag names are case-sensitive");
}

/* Colon-separated values (h=, s=): elements between colons and FWS. */
static void test_tag_lists(void)
{
	struct am_arc_tags t;
	char err[128], seen[64] = "";
	const char *elem;
	size_t pos = 0, len;

	am_arc_tags_parse("h= :from : To:\r\n\tsubject::; s=email; k=sha1:SHA256", &t, err, sizeof(err));
	while (am_arc_tag_list_next(am_arc_tag_get(&t, "h"), &pos, &elem, &len))
		snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "[%.*s]", (int)len, elem);
	is_str(seen, "[from][To][subject]", "h= elements, empty ones skipped");
	ok(am_arc_tag_list_has(am_arc_tag_get(&t, "k"), "sha256"), "list element in any case");
	ok(!am_arc_tag_list_has(am_arc_tag_get(&t, "k"), "sha"), "a prefix is not an element");
	ok(am_arc_tag_list_has(am_arc_tag_get(&t, "s"), "email"), "a one-element list");
}

/* base64 with folding white space; bad characters and padding fail. */
static void test_base64(void)
{
	unsigned char out[16];
	size_t n;

	ok(am_arc_base64("aGVs\r\n bG8=", 11, out, sizeof(out), &n) == 0 && n == 5 &&
	   memcmp(out, "hello", 5) == 0, "base64 across a fold");
	ok(am_arc_base64("aGVsbG8", 7, out, sizeof(out), &n) != 0, "base64 without padding fails");
	ok(am_arc_base64("aG!sbG8=", 8, out, sizeof(out), &n) != 0, "base64 bad character fails");
	ok(am_arc_base64("aG=sbG8=", 8, out, sizeof(out), &n) != 0, "base64 '=' inside fails");
	ok(am_arc_base64("", 0, out, sizeof(out), &n) != 0, "empty base64 fails");
}

/* Body hash of body (fed in 1-byte chunks to cross every boundary). */
static void body_hash(bool relaxed, const char *body, unsigned char out[32])
{
	struct am_arc_bodyhash *h = am_arc_bodyhash_new(relaxed);

	for (const char *p = body; *p; p++)
		am_arc_bodyhash_update(h, (const unsigned char *)p, 1);
	am_arc_bodyhash_final(h, out);
	am_arc_bodyhash_free(h);
}

/* Body hash of body fed as one chunk. */
static void body_hash_whole(bool relaxed, const char *body, unsigned char out[32])
{
	struct am_arc_bodyhash *h = am_arc_bodyhash_new(relaxed);

	am_arc_bodyhash_update(h, (const unsigned char *)body, strlen(body));
	am_arc_bodyhash_final(h, out);
	am_arc_bodyhash_free(h);
}

/* Long runs (past the 4 KB output buffer) hash as byte by byte. */
static void test_canon_runs(void)
{
	char *body = malloc(20010);
	unsigned char a[32], b[32];

	memset(body, 'x', 20000);
	memcpy(body + 9000, " \t y", 4);
	memcpy(body + 20000, "  \r\n\r\n", 7);
	for (int relaxed = 0; relaxed < 2; relaxed++) {
		body_hash(relaxed, body, a);
		body_hash_whole(relaxed, body, b);
		ok(memcmp(a, b, 32) == 0, "%s: a 20 KB line in one chunk = byte by byte",
		   relaxed ? "relaxed" : "simple");
	}
	free(body);
}

/* Canonicalisation: bodies that must hash alike, and the empty bodies. */
static void test_canon(void)
{
	unsigned char a[32], b[32], e[32], n[32];
	struct am_arc_buf buf = {0};

	body_hash(false, "", e);
	body_hash(false, "\r\n", n);
	ok(memcmp(e, n, 32) == 0, "simple: empty body is one CRLF");
	body_hash(false, "a\r\n\r\n\r\n", a);
	body_hash(false, "a", b);
	ok(memcmp(a, b, 32) == 0, "simple: trailing empty lines dropped, CRLF added");
	body_hash(true, " a \t b \r\n \r\n\r\n", a);
	body_hash(true, " a b\r\n", b);
	ok(memcmp(a, b, 32) == 0, "relaxed: white-space runs and trailing lines");
	body_hash(false, " a  b\r\n", e);
	ok(memcmp(a, e, 32) != 0, "simple keeps white-space runs");
	body_hash(true, "a\rb\r\n", a);
	body_hash(true, "a\rb", b);
	ok(memcmp(a, b, 32) == 0, "a bare CR is content");
	am_arc_canon_header(&buf, "Subject", " Hello \r\n\t World  ", 18, true, true);
	ok(buf.len == 21 && memcmp(buf.p, "subject:Hello World\r\n", 21) == 0, "relaxed header");
	am_arc_buf_free(&buf);
}

/* Is name in the sealer list (the trusted_sealers text)? */
static bool listed(const char *list, const char *name)
{
	return am_domlist_has(list, name, strlen(name));
}

/* AAR reading and the trusted-sealers list. */
static void test_aar_and_list(void)
{
	struct am_arc_resinfo r[4];
	unsigned inst;
	size_t n;

	ok(am_arc_aar_parse(" i=2; mx.example (c); dmarc=pass (p=reject) header.from=a.example;"
			    " dkim=pass header.d=\"b.example\"", &inst, r, 4, &n) == 0 &&
	   inst == 2 && n == 2 && strcmp(r[0].header_from, "a.example") == 0 &&
	   strcmp(r[1].header_d, "b.example") == 0, "AAR: instance, dmarc and dkim resinfo");
	ok(am_arc_aar_parse("mx.example; dmarc=pass", &inst, r, 4, &n) != 0, "AAR without i= fails");
	ok(listed("lists.example, .corp.example", "LISTS.example"), "exact, any case");
	ok(listed(".corp.example", "mx.corp.example"), ".suffix matches below");
	ok(listed(".corp.example", "corp.example"), ".suffix matches itself");
	ok(!listed(".corp.example", "evilcorp.example"), "not a label boundary");
	ok(!listed("lists.example", "x.lists.example"), "exact is exact");
	ok(!listed("", "lists.example"), "empty list trusts nobody");
}

/* An ARC set with placeholder signatures (structure only). */
static void add_set(struct am_arc_msg *m, unsigned i, const char *sel, const char *a, const char *b)
{
	char *v;

	if (asprintf(&v, " i=%u; mx.example; dmarc=pass header.from=a.example", i) < 0)
		abort();
	am_arc_header(m, "ARC-Authentication-Results", v);
	free(v);
	if (asprintf(&v, " a=%s; b=%s; bh=RHI91NDg1Go8f6isolS2HCe2tXiflhd+gsgHAECfFTU=;"
		     " c=relaxed/relaxed; d=example.org; h=from; i=%u; s=%s; t=1", a, b, i, sel) < 0)
		abort();
	am_arc_header(m, "ARC-Message-Signature", v);
	free(v);
	if (asprintf(&v, " a=%s; b=%s; cv=%s; d=example.org; i=%u; s=%s; t=1", a, b,
		     i == 1 ? "none" : "pass", i, sel) < 0)
		abort();
	am_arc_header(m, "ARC-Seal", v);
	free(v);
}

struct bad_case {
	const char *name;
	void (*build)(struct am_arc_msg *m);
	enum am_result want;
	const char *reason;     /* expected in the reason */
};

/* A placeholder set of instance i under selector s. */
static void set_i(struct am_arc_msg *m, unsigned i)
{
	add_set(m, i, "s", "rsa-sha256", "AAAA");
}

/* The bad inputs, one builder each. */
static void b_dup(struct am_arc_msg *m) { set_i(m, 1); set_i(m, 1); }
static void b_gap(struct am_arc_msg *m) { set_i(m, 1); set_i(m, 3); }
static void b_i0(struct am_arc_msg *m) { set_i(m, 0); }
static void b_i51(struct am_arc_msg *m) { set_i(m, 51); }
static void b_alg(struct am_arc_msg *m) { add_set(m, 1, "s", "rsa-sha1", "AAAA"); }
static void b_garbage(struct am_arc_msg *m)
{
	set_i(m, 1);
	am_arc_header(m, "ARC-Seal", " i=2; ;;; \x7f=1; b");
}
static void b_slow(struct am_arc_msg *m) { add_set(m, 1, "slow", "rsa-sha256", "AAAA"); }
static void b_none(struct am_arc_msg *m) { am_arc_header(m, "From", " a@a.example"); }
static void b_big(struct am_arc_msg *m)
{
	char *b = malloc(100 * 1024 + 1);
	memset(b, 'A', 100 * 1024);
	b[100 * 1024] = '\0';
	add_set(m, 1, "s", "rsa-sha256", b);
	free(b);
}
static void b_50(struct am_arc_msg *m)
{
	for (unsigned i = 1; i <= 50; i++)
		add_set(m, i, "s", "rsa-sha256", "AAAA");
}
static void b_50_selectors(struct am_arc_msg *m)
{
	char sel[16];
	for (unsigned i = 1; i <= 50; i++) {
		snprintf(sel, sizeof(sel), "s%u", i);
		add_set(m, i, sel, "rsa-sha256", "AAAA");
	}
}

/* Each bad input: the result, a reason, and DNS within the cap. */
static void test_bad_input(struct am_dns *dns)
{
	static const struct bad_case cases[] = {
		{"duplicate instance", b_dup, AM_RES_FAIL, "duplicate"},
		{"missing instance", b_gap, AM_RES_FAIL, "missing"},
		{"i=0", b_i0, AM_RES_FAIL, "valid i="},
		{"i=51", b_i51, AM_RES_FAIL, "valid i="},
		{"unknown algorithm", b_alg, AM_RES_FAIL, "algorithm"},
		{"garbage tags", b_garbage, AM_RES_FAIL, "i="},
		{"key look-up times out", b_slow, AM_RES_FAIL, "key slow: timeout"},
		{"no ARC set", b_none, AM_RES_NONE, ""},
		{"100 KB b=", b_big, AM_RES_FAIL, "over"},
		{"chain of 50, one bad key", b_50, AM_RES_FAIL, "AMS i=50"},
		{"chain of 50 selectors", b_50_selectors, AM_RES_FAIL, "AMS i=50"},
	};
	struct am_arc_options opt = {.max_ams_checks = 50, .trusted_sealers = "example.org"};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct am_dns_budget budget;
		struct am_arc_result r;
		char err[64];
		am_dns_budget_start(&budget, 5000);
		struct am_arc_msg *m = am_arc_msg_new(dns, &budget, &opt, err, sizeof(err));
		cases[i].build(m);
		am_arc_header(m, "From", " a@a.example");
		if (am_arc_eoh(m))
			am_arc_body(m, (const unsigned char *)"hi\r\n", 4);
		am_arc_eom(m, "192.0.2.1", &r);
		ok(r.result == cases[i].want && strstr(r.reason, cases[i].reason) != NULL &&
		   budget.queries <= AM_ARC_MAX_KEYS, "%s: %s (%s), %u queries", cases[i].name,
		   am_result_name(r.result), r.reason, budget.queries);
		am_arc_msg_free(m);
	}
}

/* Sign data with Ed25519 over its SHA-256 digest (RFC 8463 3); base64 of
 * the signature into out. */
static void ed_sign(EVP_PKEY *k, const struct am_arc_buf *data, char *out)
{
	unsigned char digest[32], sig[64];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	EVP_Digest(data->p, data->len, digest, NULL, EVP_sha256(), NULL);
	EVP_DigestSignInit(ctx, NULL, NULL, NULL, k);
	EVP_DigestSign(ctx, sig, &siglen, digest, sizeof(digest));
	EVP_EncodeBlock((unsigned char *)out, sig, (int)siglen);
	EVP_MD_CTX_free(ctx);
}

/* One Ed25519 ARC set over "From: a@a.example" and the body "hi". */
struct ed_set {
	char aar[128], ams[512], as[512];
};

static void ed_make(EVP_PKEY *k, struct ed_set *e)
{
	static const char from[] = " a@a.example";
	struct am_arc_buf b = {0};
	char sig[128];

	snprintf(e->aar, sizeof(e->aar), " i=1; mx.example; dmarc=pass header.from=a.example");
	snprintf(e->ams, sizeof(e->ams), " i=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.org; s=ed;"
		 " h=from; bh=RHI91NDg1Go8f6isolS2HCe2tXiflhd+gsgHAECfFTU=; b=");
	am_arc_canon_header(&b, "From", from, strlen(from), true, true);
	am_arc_canon_header(&b, "ARC-Message-Signature", e->ams, strlen(e->ams), true, false);
	ed_sign(k, &b, sig);
	strcat(e->ams, sig);
	b.len = 0;
	snprintf(e->as, sizeof(e->as), " i=1; a=ed25519-sha256; cv=none; d=example.org; s=ed; b=");
	am_arc_canon_header(&b, "ARC-Authentication-Results", e->aar, strlen(e->aar), true, true);
	am_arc_canon_header(&b, "ARC-Message-Signature", e->ams, strlen(e->ams), true, true);
	am_arc_canon_header(&b, "ARC-Seal", e->as, strlen(e->as), true, false);
	ed_sign(k, &b, sig);
	strcat(e->as, sig);
	am_arc_buf_free(&b);
}

/* Verify the set with body, then the trust step for client spf_domain. */
static void ed_check(struct am_dns *dns, const struct ed_set *e, const char *body,
		     const char *spf_domain, struct am_arc_result *r)
{
	struct am_arc_options opt = {.max_ams_checks = 3, .trusted_sealers = ".org", .require_client = true};
	struct am_arc_trust_input in = {.author_domain = "a.example", .spf_pass_domain = spf_domain};
	char err[64];
	struct am_arc_msg *m = am_arc_msg_new(dns, NULL, &opt, err, sizeof(err));

	am_arc_header(m, "ARC-Seal", e->as);
	am_arc_header(m, "ARC-Message-Signature", e->ams);
	am_arc_header(m, "ARC-Authentication-Results", e->aar);
	am_arc_header(m, "From", " a@a.example");
	if (am_arc_eoh(m))
		am_arc_body(m, (const unsigned char *)body, strlen(body));
	am_arc_eom(m, "192.0.2.1", r);
	am_arc_trust(m, &in, r);
	am_arc_msg_free(m);
}

/* Headers of an Ed25519 chain of n sets, every one signed right. */
struct ed_chain {
	char aar[AM_ARC_MAX_INSTANCES + 1][128];
	char ams[AM_ARC_MAX_INSTANCES + 1][512];
	char as[AM_ARC_MAX_INSTANCES + 1][512];
};

/* Seal instances 1..n with selector "ed" (distinct: "ed<i>"). */
static void ed_chain_make(EVP_PKEY *k, unsigned n, bool distinct, struct ed_chain *c)
{
	static const char from[] = " a@a.example";
	struct am_arc_buf b = {0}, sets = {0};
	char sel[16], sig[128];

	for (unsigned i = 1; i <= n; i++) {
		snprintf(sel, sizeof(sel), distinct ? "ed%u" : "ed", i);
		snprintf(c->aar[i], sizeof(c->aar[i]), " i=%u; mx%u.example; dmarc=pass header.from=a.example", i, i);
		snprintf(c->ams[i], sizeof(c->ams[i]), " i=%u; a=ed25519-sha256; c=relaxed/relaxed; d=example.org;"
			 " s=%s; h=from; bh=RHI91NDg1Go8f6isolS2HCe2tXiflhd+gsgHAECfFTU=; b=", i, sel);
		b.len = 0;
		am_arc_canon_header(&b, "From", from, strlen(from), true, true);
		am_arc_canon_header(&b, "ARC-Message-Signature", c->ams[i], strlen(c->ams[i]), true, false);
		ed_sign(k, &b, sig);
		strcat(c->ams[i], sig);
		snprintf(c->as[i], sizeof(c->as[i]), " i=%u; a=ed25519-sha256; cv=%s; d=example.org; s=%s; b=", i,
			 i == 1 ? "none" : "pass", sel);
		am_arc_canon_header(&sets, "ARC-Authentication-Results", c->aar[i], strlen(c->aar[i]), true, true);
		am_arc_canon_header(&sets, "ARC-Message-Signature", c->ams[i], strlen(c->ams[i]), true, true);
		b.len = 0;
		am_arc_buf_add(&b, sets.p, sets.len);
		am_arc_canon_header(&b, "ARC-Seal", c->as[i], strlen(c->as[i]), true, false);
		ed_sign(k, &b, sig);
		strcat(c->as[i], sig);
		am_arc_canon_header(&sets, "ARC-Seal", c->as[i], strlen(c->as[i]), true, true);
	}
	am_arc_buf_free(&b);
	am_arc_buf_free(&sets);
}

/* Verify a chain of n sets (newest on top, as MTAs prepend); DNS counted. */
static void ed_chain_check(struct am_dns *dns, const struct ed_chain *c, unsigned n, struct am_arc_result *r,
			   unsigned *queries)
{
	struct am_arc_options opt = {.max_ams_checks = 3};
	struct am_dns_budget budget;
	char err[64];
	struct am_arc_msg *m;

	am_dns_budget_start(&budget, 5000);
	m = am_arc_msg_new(dns, &budget, &opt, err, sizeof(err));
	for (unsigned i = n; i >= 1; i--) {
		am_arc_header(m, "ARC-Seal", c->as[i]);
		am_arc_header(m, "ARC-Message-Signature", c->ams[i]);
		am_arc_header(m, "ARC-Authentication-Results", c->aar[i]);
	}
	am_arc_header(m, "From", " a@a.example");
	if (am_arc_eoh(m))
		am_arc_body(m, (const unsigned char *)"hi\r\n", 4);
	am_arc_eom(m, NULL, r);
	*queries = budget.queries;
	am_arc_msg_free(m);
}

/* Valid chains of 50: one key passes; 50 keys stop at the look-up cap. */
static void test_chain_of_50(EVP_PKEY *k, const char *b64)
{
	struct ed_chain *c = calloc(1, sizeof(*c));
	char *table = NULL, err[128];
	size_t len = 0;
	FILE *t = open_memstream(&table, &len);
	struct am_arc_result r;
	unsigned q;
	struct am_dns *dns;

	fprintf(t, "ed._domainkey.example.org TXT v=DKIM1; k=ed25519; p=%s\n", b64);
	for (unsigned i = 1; i <= AM_ARC_MAX_INSTANCES; i++)
		fprintf(t, "ed%u._domainkey.example.org TXT v=DKIM1; k=ed25519; p=%s\n", i, b64);
	fclose(t);
	dns = am_dns_table_new(table, err, sizeof(err));
	ed_chain_make(k, AM_ARC_MAX_INSTANCES, false, c);
	ed_chain_check(dns, c, AM_ARC_MAX_INSTANCES, &r, &q);
	ok(r.result == AM_RES_PASS && r.instances == 50 && r.oldest_pass == 48 && q == 1,
	   "valid chain of 50, one key: pass, oldest-pass 48 within 3 AMS checks, %u query (%s)", q, r.reason);
	ed_chain_make(k, AM_ARC_MAX_INSTANCES, true, c);
	ed_chain_check(dns, c, AM_ARC_MAX_INSTANCES, &r, &q);
	ok(r.result == AM_RES_FAIL && strstr(r.reason, "capped") != NULL && q == AM_ARC_MAX_KEYS,
	   "valid chain of 50 keys: fail at the look-up cap after %u queries (%s)", q, r.reason);
	ed_chain_check(dns, c, 8, &r, &q);
	ok(r.result == AM_RES_PASS && q == 8, "valid chain of 8 keys: pass with %u queries", q);
	am_dns_destroy(dns);
	free(table);
	free(c);
}

/* Among a selector's TXT records the key is the one saying v=DKIM1 (then
 * ';', ' ' or the end), as DKIM chooses: "v=DKIM10" is not it. */
static void test_key_choice(const struct ed_set *e, const char *b64)
{
	char table[512], err[128];
	struct am_arc_result r;
	struct am_dns *dns;

	snprintf(table, sizeof(table),
		 "ed._domainkey.example.org TXT v=DKIM10; k=ed25519; p=%s\n"
		 "ed._domainkey.example.org TXT v=DKIM1; k=ed25519; p=%s\n", b64, b64);
	dns = am_dns_table_new(table, err, sizeof(err));
	if (!ok(dns != NULL, "table with two key records: %s", dns ? "ok" : err))
		return;
	ed_check(dns, e, "hi\r\n", "example.org", &r);
	ok(r.result == AM_RES_PASS, "v=DKIM10 first, v=DKIM1 second: the second is the key (%s)", r.reason);
	am_dns_destroy(dns);
}

/* Ed25519 keys and signatures (RFC 8463), and the trust step on them. */
static void test_ed25519(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	unsigned char pub[32];
	size_t publen = sizeof(pub);
	char b64[64], table[256], err[128];
	struct am_arc_result r;
	struct ed_set e;
	struct am_dns *dns;

	if (!ok(k != NULL && EVP_PKEY_get_raw_public_key(k, pub, &publen) == 1, "Ed25519 key made"))
		return;
	EVP_EncodeBlock((unsigned char *)b64, pub, (int)publen);
	snprintf(table, sizeof(table), "ed._domainkey.example.org TXT v=DKIM1; k=ed25519; p=%s\n", b64);
	dns = am_dns_table_new(table, err, sizeof(err));
	ed_make(k, &e);
	ed_check(dns, &e, "hi\r\n", "example.org", &r);
	ok(r.result == AM_RES_PASS && r.instances == 1 && strcmp(r.sealer, "example.org") == 0,
	   "Ed25519 set: pass (%s)", r.reason);
	ok(r.trusted_author_pass && strcmp(r.trusted_sealer, "example.org") == 0,
	   "trusted sealer's AAR says dmarc=pass for the author: the signal is set");
	ed_check(dns, &e, "hi\r\n", "other.example", &r);
	ok(r.result == AM_RES_PASS && !r.trusted_author_pass && strstr(r.reason, "client is not") != NULL,
	   "client not of the sealer: no signal (%s)", r.reason);
	ed_check(dns, &e, "hi!\r\n", "example.org", &r);
	ok(r.result == AM_RES_FAIL && !r.trusted_author_pass && strstr(r.reason, "body hash") != NULL,
	   "Ed25519 set, body changed: fail (%s)", r.reason);
	test_key_choice(&e, b64);
	e.as[strlen(e.as) - 5] ^= 1;
	ed_check(dns, &e, "hi\r\n", "example.org", &r);
	ok(r.result == AM_RES_FAIL && strstr(r.reason, "ARC-Seal i=1") != NULL,
	   "Ed25519 seal changed: fail (%s)", r.reason);
	test_chain_of_50(k, b64);
	am_dns_destroy(dns);
	EVP_PKEY_free(k);
}

/* Verify "hello" signed by k with the RSA key record at sel. */
static int rsa_check(struct am_dns *dns, EVP_PKEY *k, const char *sel, char *why, size_t whylen)
{
	static const char data[] = "hello";
	unsigned char sig[512];
	size_t siglen = sizeof(sig);
	struct am_arc_keys keys = {0};
	struct am_dns_budget budget;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = -1;

	am_dns_budget_start(&budget, 5000);
	if (md != NULL && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k) == 1 &&
	    EVP_DigestSign(md, sig, &siglen, (const unsigned char *)data, strlen(data)) == 1)
		rc = am_arc_verify(&keys, dns, &budget, sel, "example.org", AM_ARC_RSA_SHA256, data,
				   strlen(data), sig, siglen, why, whylen);
	EVP_MD_CTX_free(md);
	am_arc_keys_free(&keys);
	return rc;
}

/* An RSA SubjectPublicKeyInfo with an element after its BIT STRING: ARC
 * takes it (as it always did), but it stays out of the key cache DKIM
 * shares, since OpenSSL's d2i_PUBKEY, which DKIM's parse is, refuses it;
 * an exact one goes in. */
static void test_rsa_key_cache(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024), *f;
	unsigned char *exact = NULL, loose[512];
	const unsigned char *p;
	char b64e[512], b64l[512], table[1400], why[160], err[128];
	int n = k ? i2d_PUBKEY(k, &exact) : -1;
	struct am_dns *dns;

	/* 30 81 LL <AlgorithmIdentifier> <BIT STRING>, LL + 2 with 05 00 added */
	if (!ok(n > 3 && n < 250 && exact[0] == 0x30 && exact[1] == 0x81, "RSA-1024 SPKI made"))
		goto out;
	memcpy(loose, exact, (size_t)n);
	loose[2] = (unsigned char)(exact[2] + 2);
	loose[n] = 0x05;
	loose[n + 1] = 0x00;
	p = loose;
	f = d2i_PUBKEY(NULL, &p, n + 2);
	ok(f == NULL, "OpenSSL's d2i_PUBKEY refuses the SPKI with an extra element");
	EVP_PKEY_free(f);
	EVP_EncodeBlock((unsigned char *)b64e, exact, n);
	EVP_EncodeBlock((unsigned char *)b64l, loose, n + 2);
	snprintf(table, sizeof(table),
		 "exact._domainkey.example.org TXT v=DKIM1; k=rsa; p=%s\n"
		 "loose._domainkey.example.org TXT v=DKIM1; k=rsa; p=%s\n", b64e, b64l);
	dns = am_dns_table_new(table, err, sizeof(err));
	if (!ok(dns != NULL, "key table: %s", dns ? "ok" : err))
		goto out;
	am_dkim_keycache_clear();
	why[0] = '\0';
	ok(rsa_check(dns, k, "loose", why, sizeof(why)) == 0, "ARC verifies with the loose SPKI %s", why);
	ok((f = am_dkim_keycache_find(loose, (size_t)n + 2)) == NULL,
	   "... and keeps it out of the cache DKIM's parse answers from");
	EVP_PKEY_free(f);
	ok(rsa_check(dns, k, "exact", why, sizeof(why)) == 0, "ARC verifies with the exact SPKI");
	ok((f = am_dkim_keycache_find(exact, (size_t)n)) != NULL, "... and caches it");
	EVP_PKEY_free(f);
	ok(rsa_check(dns, k, "s1234567890123456789012345678901234567890123456789012345678901234",
		     why, sizeof(why)) == -1 && strcmp(why, "selector or domain too long for a key look-up") == 0,
	   "a 65-character selector is refused for its length, not as a cap (%s)", why);
	am_dkim_keycache_clear();
	am_dns_destroy(dns);
out:
	OPENSSL_free(exact);
	EVP_PKEY_free(k);
}

int main(void)
{
	char err[128];
	struct am_dns *dns = am_dns_table_new("s._domainkey.example.org TXT v=DKIM1; k=rsa; p=AAAA\n"
					      "slow._domainkey.example.org TIMEOUT\n", err, sizeof(err));

	test_tags();
	test_tag_lists();
	test_base64();
	test_canon();
	test_canon_runs();
	test_aar_and_list();
	test_ed25519();
	test_rsa_key_cache();
	if (ok(dns != NULL, "table resolver: %s", dns ? "ok" : err))
		test_bad_input(dns);
	am_dns_destroy(dns);
	return done_testing();
}
