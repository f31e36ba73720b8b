/*
 * test_am_dkim_keycache.c - parsed DKIM keys kept by their DER bytes
 * (lib/am_dkim_keycache.c): the same bytes give the same key from the
 * cache, other bytes another key, bad bytes no key and nothing kept; and
 * libopendkim's own parse really reaches the cache (two verifications of
 * one fixture, the second served), while a changed key record under the
 * same selector is parsed afresh and fails the signature as it must.
 */
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am_dkim.h"
#include "am_dkim_keycache.h"
#include "am_dns.h"
#include "dkim_fixture.h"
#include "msgfeed.h"
#include "tap.h"

/* The DER of a selector's p= in keys.zone; its length, or 0. */
static size_t key_der(const char *zone, const char *selector, unsigned char *out, size_t cap)
{
	char want[128], b64[2048];
	const char *p;
	size_t n = 0;
	int len;

	snprintf(want, sizeof(want), "\n%s._domainkey.", selector);
	if ((p = strstr(zone, want)) == NULL || (p = strstr(p, "p=")) == NULL)
		return 0;
	for (p += 2; *p && *p != '\n' && *p != ';' && n + 1 < sizeof(b64); p++)
		b64[n++] = *p;
	b64[n] = '\0';
	if (n / 4 * 3 > cap || (len = EVP_DecodeBlock(out, (unsigned char *)b64, (int)n)) < 0)
		return 0;
	return (size_t)len - (n > 0 && b64[n - 1] == '=') - (n > 1 && b64[n - 2] == '=');
}

/* d2i_PUBKEY_bio on a memory BIO over der, as libopendkim calls it; *left
 * gets the bytes the call left unread. */
static EVP_PKEY *parse(const unsigned char *der, size_t len, long *left)
{
	BIO *b = BIO_new_mem_buf(der, (int)len);
	EVP_PKEY *k = d2i_PUBKEY_bio(b, NULL);

	*left = (long)BIO_pending(b);
	BIO_free(b);
	return k;
}

static void test_parse(const char *zone)
{
	unsigned char rsa[1024], other[1024], bad[64];
	size_t n1 = key_der(zone, "rsa2048", rsa, sizeof(rsa)), n2 = key_der(zone, "short", other, sizeof(other));
	unsigned long h0 = am_dkim_keycache_hits();
	long left;

	ok(n1 > 200 && n2 > 50, "fixture keys decoded (%zu and %zu bytes of DER)", n1, n2);
	EVP_PKEY *a = parse(rsa, n1, &left);
	EVP_PKEY *b = parse(rsa, n1, &left);
	ok(a != NULL && b != NULL && EVP_PKEY_eq(a, b) == 1, "the same bytes twice: the same key");
	is_int(left, 0, "the bytes are consumed as OpenSSL consumes them");
	ok(am_dkim_keycache_hits() == h0 + 1, "the second came from the cache");
	EVP_PKEY *c = parse(other, n2, &left);
	ok(c != NULL && EVP_PKEY_eq(a, c) != 1 && EVP_PKEY_get_bits(c) == 512, "other bytes: the other key");
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	EVP_PKEY_free(c);
	memcpy(bad, rsa, sizeof(bad));
	h0 = am_dkim_keycache_hits();
	ok(parse(bad, sizeof(bad), &left) == NULL && parse(bad, sizeof(bad), &left) == NULL &&
	   am_dkim_keycache_hits() == h0, "truncated DER: no key, twice, nothing kept");
}

/* ARC's use: find and keep by bytes, shared with libopendkim's parse. */
static void test_find_keep(const char *zone)
{
	unsigned char rsa[1024], other[1024];
	size_t n1 = key_der(zone, "rsa2048", rsa, sizeof(rsa)), n2 = key_der(zone, "short", other, sizeof(other));
	const unsigned char *p = rsa;
	unsigned long h0;
	long left;

	am_dkim_keycache_clear();
	ok(am_dkim_keycache_find(rsa, n1) == NULL, "find on an empty cache: nothing");
	EVP_PKEY *k = d2i_PUBKEY(NULL, &p, (long)n1);
	am_dkim_keycache_keep(rsa, n1, k);
	EVP_PKEY *f = am_dkim_keycache_find(rsa, n1);
	ok(f == k, "kept, then found: the same key");
	ok(am_dkim_keycache_find(other, n2) == NULL, "other bytes: not found");
	EVP_PKEY_free(f);
	EVP_PKEY_free(k);   /* the cache still holds its own reference */
	h0 = am_dkim_keycache_hits();
	EVP_PKEY *d = parse(rsa, n1, &left);
	ok(d != NULL && am_dkim_keycache_hits() == h0 + 1 && left == 0,
	   "libopendkim's parse of the same bytes is answered by the kept key");
	EVP_PKEY_free(d);
	am_dkim_keycache_keep(rsa, 0, NULL);   /* nothing to keep: ignored */
	am_dkim_keycache_clear();
}

/* The feed of one message into a verifier. */
static int on_header(void *ctx, const char *name, const char *value)
{
	return am_dkim_header(ctx, name, value);
}

static bool on_eoh(void *ctx)
{
	return am_dkim_eoh(ctx);
}

static int on_body(void *ctx, const unsigned char *buf, size_t len)
{
	return am_dkim_body(ctx, buf, len);
}

static const struct msgfeed_ops feed_ops = {on_header, on_eoh, on_body};

/* The result of the first signature of msg with the keys of zone text. */
static enum am_result verify(const char *msg, const char *zone)
{
	char err[256] = "";
	struct am_dns *dns = am_dns_table_new(zone, err, sizeof(err));
	struct am_dkim *d = dns ? am_dkim_new(dns, NULL, err, sizeof(err)) : NULL;
	struct am_dkim_msg *m = d ? am_dkim_msg_new(d, NULL, "test", err, sizeof(err)) : NULL;
	FILE *fp = fmemopen((void *)msg, strlen(msg), "r");
	struct am_dkim_result res = {0};

	if (m != NULL && fp != NULL && msgfeed(fp, 4096, &feed_ops, m, err, sizeof(err)) == 0)
		am_dkim_eom(m, &res);
	else
		diag("verify: %s", err);
	if (fp != NULL)
		fclose(fp);
	am_dkim_msg_free(m);
	am_dkim_free(d);
	am_dns_destroy(dns);
	return res.count > 0 ? res.sigs[0].result : AM_RES_NONE;
}

/* zone with selector rsa2048 publishing selector short's key instead. */
static char *swap_key(const char *zone)
{
	const char *rsa = strstr(zone, "\nrsa2048._domainkey."), *end = rsa ? strchr(rsa + 1, '\n') : NULL;
	const char *shrt = strstr(zone, "\nshort._domainkey."), *p = shrt ? strstr(shrt, "p=") : NULL;
	char *out;

	if (end == NULL || p == NULL || (out = malloc(strlen(zone) * 2)) == NULL)
		return NULL;
	sprintf(out, "%.*s\nrsa2048._domainkey.example.com TXT v=DKIM1; k=rsa; %.*s%s", (int)(rsa - zone), zone,
		(int)strcspn(p, "\n"), p, end);
	return out;
}

static void test_through_libopendkim(const char *zone)
{
	char *msg = dkim_fixture("rsa-relaxed.eml"), *swapped = swap_key(zone);
	unsigned long h0;

	if (msg == NULL || swapped == NULL) {
		ok(0, "fixture rsa-relaxed.eml and a swapped zone");
		free(msg);
		free(swapped);
		return;
	}
	am_dkim_keycache_clear();
	h0 = am_dkim_keycache_hits();
	is_int(verify(msg, zone), AM_RES_PASS, "rsa-relaxed.eml passes");
	is_int(verify(msg, zone), AM_RES_PASS, "and passes again");
	ok(am_dkim_keycache_hits() > h0, "libopendkim's parse of the key was answered from the cache");
	ok(verify(msg, swapped) != AM_RES_PASS,
	   "the selector now publishes another key: parsed afresh, the signature does not pass");
	free(swapped);
	free(msg);
}

int main(void)
{
	char *zone = dkim_fixture("keys.zone");
	char *nl_zone;

	if (zone == NULL || (nl_zone = malloc(strlen(zone) + 2)) == NULL) {
		ok(0, "fixture keys.zone");
		return done_testing();
	}
	nl_zone[0] = '\n';
	strcpy(nl_zone + 1, zone);
	test_parse(nl_zone);
	test_find_keep(nl_zone);
	test_through_libopendkim(nl_zone);
	am_dkim_keycache_clear();
	free(nl_zone);
	free(zone);
	return done_testing();
}
