/*
 * am_arc_key.c - ARC signing keys and signature checks on OpenSSL: the
 * key record at <s>._domainkey.<d> (RFC 6376 3.6.1) fetched through the
 * shared DNS layer under the message's budget and chosen among the TXT
 * records as DKIM chooses (am_dkim_pick_key), RFC 8301's rules (RSA of
 * at least 1024 bits, SHA-256 only) and Ed25519 keys (RFC 8463). Each
 * (selector, domain) is looked up once per message (an RSA key's parse
 * is kept across messages in the DKIM key cache), and at
 * most AM_ARC_MAX_KEYS of them: a 50-instance chain with 50 selectors
 * costs at most that many queries, never more than the budget allows.
 */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "am_arc_int.h"
#include "am_dkim.h"
#include "am_dkim_keycache.h"

#define KEY_TXT_MAX 4096

struct am_arc_key {
	char sel[64];
	char dom[AM_DOMAIN_MAX];
	EVP_PKEY *pkey;          /* NULL when the look-up or the record failed */
	bool ed25519;
	char err[96];
};

/* One DER element at *p (within end): its tag and contents; -1 if bad. */
static int der_next(const unsigned char **p, const unsigned char *end, unsigned char tag,
		    const unsigned char **body, size_t *len)
{
	const unsigned char *q = *p;
	size_t n = 0;

	if (end - q < 2 || *q++ != tag)
		return -1;
	if (*q < 0x80) {
		n = *q++;
	} else {
		int k = *q++ & 0x7f;
		if (k < 1 || k > 2 || end - q < k)
			return -1;
		while (k-- > 0)
			n = (n << 8) | *q++;
	}
	if ((size_t)(end - q) < n)
		return -1;
	*body = q;
	*len = n;
	*p = q + n;
	return 0;
}

/* The RSAPublicKey inside an RSA SubjectPublicKeyInfo, or NULL. Lenient:
 * it skips what follows the OID or the BIT STRING, which d2i_PUBKEY
 * refuses; ARC has always taken such keys (decode_key asks it only after
 * d2i_PUBKEY said no, and never caches what it finds). */
static const unsigned char *spki_rsa(const unsigned char *der, size_t len, size_t *outlen)
{
	static const unsigned char rsa_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
	const unsigned char *p = der, *spki, *alg, *oid, *bits;
	size_t n, an, on, bn;

	if (der_next(&p, der + len, 0x30, &spki, &n) != 0)
		return NULL;
	p = spki;
	if (der_next(&p, spki + n, 0x30, &alg, &an) != 0 || der_next(&p, spki + n, 0x03, &bits, &bn) != 0)
		return NULL;
	if (der_next(&alg, alg + an, 0x06, &oid, &on) != 0 || on != sizeof(rsa_oid) ||
	    memcmp(oid, rsa_oid, on) != 0 || bn < 2 || bits[0] != 0)
		return NULL;
	*outlen = bn - 1;
	return bits + 1;
}

/* k if it is an RSA key of at least 1024 bits (RFC 8301 3.2), else NULL
 * with the reason (k freed). */
static EVP_PKEY *rsa_checked(EVP_PKEY *k, char *err, size_t errlen)
{
	if (k == NULL || EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) {
		snprintf(err, errlen, "bad RSA key");
		EVP_PKEY_free(k);
		return NULL;
	}
	if (EVP_PKEY_get_bits(k) < 1024) {
		snprintf(err, errlen, "RSA key of %d bits", EVP_PKEY_get_bits(k));
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

/* The public key of p= (SubjectPublicKeyInfo, or a bare RSAPublicKey as
 * some signers publish; raw 32 bytes for ed25519). */
static EVP_PKEY *decode_key(const unsigned char *der, size_t len, bool ed25519, char *err,
			    size_t errlen)
{
	const unsigned char *p = der;
	EVP_PKEY *k;

	if (ed25519) {
		k = len == 32 ? EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, der, len) : NULL;
		if (k == NULL)
			snprintf(err, errlen, "bad ed25519 key");
		return k;
	}
	size_t inner_len;
	const unsigned char *inner;

	if ((k = am_dkim_keycache_find(der, len)) != NULL)
		return rsa_checked(k, err, errlen);
	/* Only what d2i_PUBKEY accepts goes into the cache DKIM shares: its
	 * d2i_PUBKEY_bio answers from it, and must never take bytes it would
	 * refuse. A miss is once per key; the cache makes the rest cheap. */
	if ((k = d2i_PUBKEY(NULL, &p, (long)len)) != NULL) {
		if ((k = rsa_checked(k, err, errlen)) != NULL)
			am_dkim_keycache_keep(der, len, k);
		return k;
	}
	/* ours alone: an SPKI with extra bytes, or a bare RSAPublicKey */
	if ((inner = spki_rsa(der, len, &inner_len)) != NULL)
		return rsa_checked(d2i_PublicKey(EVP_PKEY_RSA, NULL, &inner, (long)inner_len), err, errlen);
	p = der;
	return rsa_checked(d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len), err, errlen);
}

/* Parse a key record's text into key->pkey; -1 with key->err. */
static int parse_record(struct am_arc_key *key, const char *txt)
{
	struct am_arc_tags tags;
	const struct am_arc_tag *v, *k, *h, *s, *p;
	unsigned char der[2048];
	size_t n;

	if (am_arc_tags_parse(txt, &tags, key->err, sizeof(key->err)) != 0)
		return -1;
	v = am_arc_tag_get(&tags, "v");
	k = am_arc_tag_get(&tags, "k");
	h = am_arc_tag_get(&tags, "h");
	s = am_arc_tag_get(&tags, "s");
	p = am_arc_tag_get(&tags, "p");
	if (v != NULL && (v != &tags.t[0] || !am_arc_tag_is(v, "DKIM1")))
		snprintf(key->err, sizeof(key->err), "bad v= in key record");
	else if (k != NULL && !am_arc_tag_is(k, "rsa") && !am_arc_tag_is(k, "ed25519"))
		snprintf(key->err, sizeof(key->err), "unknown key type k=");
	else if (h != NULL && !am_arc_tag_list_has(h, "sha256"))
		snprintf(key->err, sizeof(key->err), "key record excludes sha256");
	else if (s != NULL && !am_arc_tag_list_has(s, "*") && !am_arc_tag_list_has(s, "email"))
		snprintf(key->err, sizeof(key->err), "key record not for email");
	else if (p == NULL || p->vlen == 0)
		snprintf(key->err, sizeof(key->err), p ? "key revoked" : "no p= in key record");
	else if (am_arc_base64(p->val, p->vlen, der, sizeof(der), &n) != 0)
		snprintf(key->err, sizeof(key->err), "bad base64 in p=");
	else {
		key->ed25519 = am_arc_tag_is(k, "ed25519");
		key->pkey = decode_key(der, n, key->ed25519, key->err, sizeof(key->err));
		return key->pkey ? 0 : -1;
	}
	return -1;
}

/* Look the key up; the record is chosen as DKIM chooses it. */
static void fetch(struct am_arc_key *key, struct am_dns *dns, struct am_dns_budget *budget)
{
	struct am_dns_answer ans;
	char name[AM_DOMAIN_MAX + 80], *txt = malloc(KEY_TXT_MAX);

	if (txt == NULL) {
		snprintf(key->err, sizeof(key->err), "out of memory");
		return;
	}
	snprintf(name, sizeof(name), "%s._domainkey.%s", key->sel, key->dom);
	am_dns_query(dns, budget, name, AM_RR_TXT, &ans);
	if (ans.status != AM_DNS_OK)
		snprintf(key->err, sizeof(key->err), "key %s: %s", key->sel, am_dns_status_name(ans.status));
	else if (am_dkim_pick_key(&ans, txt, KEY_TXT_MAX, NULL) != 0)
		snprintf(key->err, sizeof(key->err), "key %s: no usable record", key->sel);
	else
		(void)parse_record(key, txt);
	am_dns_answer_free(&ans);
	free(txt);
}

/* The message's key for (sel, dom), looked up on first use; NULL, with
 * the reason in err, past AM_ARC_MAX_KEYS, for a selector or domain too
 * long to keep, or out of memory. */
static struct am_arc_key *get_key(struct am_arc_keys *keys, struct am_dns *dns,
				  struct am_dns_budget *budget, const char *sel, const char *dom,
				  char *err, size_t errlen)
{
	struct am_arc_key *key;

	for (size_t i = 0; i < keys->n; i++)
		if (strcmp(keys->k[i]->sel, sel) == 0 && strcasecmp(keys->k[i]->dom, dom) == 0)
			return keys->k[i];
	if (keys->n == AM_ARC_MAX_KEYS) {
		snprintf(err, errlen, "key look-ups capped at %d", AM_ARC_MAX_KEYS);
		return NULL;
	}
	if (strlen(sel) >= sizeof(key->sel) || strlen(dom) >= sizeof(key->dom)) {
		snprintf(err, errlen, "selector or domain too long for a key look-up");
		return NULL;
	}
	if ((key = calloc(1, sizeof(*key))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(key->sel, sizeof(key->sel), "%s", sel);
	snprintf(key->dom, sizeof(key->dom), "%s", dom);
	keys->k[keys->n++] = key;
	fetch(key, dns, budget);
	return key;
}

/* Check sig over data: RSA with SHA-256, or Ed25519 over the SHA-256
 * digest of data (RFC 8463 3). */
static bool check_sig(const struct am_arc_key *key, enum am_arc_alg alg, const char *data,
		      size_t len, const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char digest[32];
	bool ok = false;

	if (ctx == NULL)
		return false;
	if (alg == AM_ARC_ED25519_SHA256)
		ok = EVP_Digest(data, len, digest, NULL, EVP_sha256(), NULL) == 1 &&
		     EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key->pkey) == 1 &&
		     EVP_DigestVerify(ctx, sig, siglen, digest, sizeof(digest)) == 1;
	else
		ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key->pkey) == 1 &&
		     EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)data, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* Verify a signature with the key of (sel, dom), looked up once per message. */
int am_arc_verify(struct am_arc_keys *keys, struct am_dns *dns, struct am_dns_budget *budget,
		  const char *sel, const char *dom, enum am_arc_alg alg, const char *data,
		  size_t len, const unsigned char *sig, size_t siglen, char *err, size_t errlen)
{
	struct am_arc_key *key = get_key(keys, dns, budget, sel, dom, err, errlen);

	if (key == NULL)
		return -1;
	if (key->pkey == NULL) {
		snprintf(err, errlen, "%s", key->err);
		return -1;
	}
	if (key->ed25519 != (alg == AM_ARC_ED25519_SHA256)) {
		snprintf(err, errlen, "key type does not match a=");
		return -1;
	}
	if (!check_sig(key, alg, data, len, sig, siglen)) {
		snprintf(err, errlen, "bad signature (d=%.64s s=%.32s)", dom, sel);
		return -1;
	}
	return 0;
}

/* Free the message's keys. */
void am_arc_keys_free(struct am_arc_keys *keys)
{
	for (size_t i = 0; i < keys->n; i++) {
		EVP_PKEY_free(keys->k[i]->pkey);
		free(keys->k[i]);
	}
	memset(keys, 0, sizeof(*keys));
}
