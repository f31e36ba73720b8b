/*
 * am_arc_sig.c - one ARC-Seal or ARC-Message-Signature: its tags checked
 * as RFC 8617 4.1 asks (required tags, known algorithms, cv= values, no
 * h= on a seal, no ARC-Seal among an AMS's signed fields), and its
 * verification: an AMS over the fields its h= names and the body hash, a
 * seal over the ARC sets up to its own, always with relaxed header
 * canonicalisation (RFC 8617 5.1.1).
 */
#include <stdio.h>
#include <string.h>

#include "am_arc_int.h"
#include "am_header.h"

/* A d= or s= value: dot-separated labels of letters, digits, '-', '_'. */
static bool name_ok(const struct am_arc_tag *t, size_t max)
{
	bool label = false;

	if (t->vlen == 0 || t->vlen >= max)
		return false;
	for (size_t i = 0; i < t->vlen; i++) {
		char c = t->val[i];
		if (c == '.') {
			if (!label)
				return false;
			label = false;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			   c == '-' || c == '_') {
			label = true;
		} else {
			return false;
		}
	}
	return label;
}

/* Digits only, at least one. */
static bool digits(const struct am_arc_tag *t)
{
	if (t->vlen == 0 || t->vlen > 20)
		return false;
	for (size_t i = 0; i < t->vlen; i++)
		if (t->val[i] < '0' || t->val[i] > '9')
			return false;
	return true;
}

/* c= of an AMS: header[/body], each simple or relaxed (default simple). */
static bool parse_canon(const struct am_arc_tag *c, struct am_arc_sig *sig)
{
	char v[32], *slash;

	sig->relaxed_h = sig->relaxed_b = false;
	if (c == NULL)
		return true;
	if (am_arc_tag_copy(c, v, sizeof(v)) != 0)
		return false;
	slash = strchr(v, '/');
	if (slash != NULL) {
		*slash++ = '\0';
		if (strcmp(slash, "relaxed") == 0)
			sig->relaxed_b = true;
		else if (strcmp(slash, "simple") != 0)
			return false;
	}
	if (strcmp(v, "relaxed") == 0)
		sig->relaxed_h = true;
	else if (strcmp(v, "simple") != 0)
		return false;
	return true;
}

/* The checks an AMS alone needs: bh=, h=, c=. NULL or what is wrong. */
static const char *check_ams(struct am_arc_sig *sig)
{
	const struct am_arc_tag *bh = am_arc_tag_get(&sig->tags, "bh");
	const struct am_arc_tag *h = am_arc_tag_get(&sig->tags, "h");
	size_t n;

	if (bh == NULL || am_arc_base64(bh->val, bh->vlen, sig->bh, sizeof(sig->bh), &n) != 0 || n != 32)
		return "missing or bad bh=";
	if (h == NULL || am_arc_tag_list_has(h, "ARC-Seal"))   /* an AMS must never sign it */
		return h ? "h= signs ARC-Seal" : "missing h=";
	if (!parse_canon(am_arc_tag_get(&sig->tags, "c"), sig))
		return "bad c=";
	return NULL;
}

/* The checks a seal alone needs: cv=, no h=. */
static const char *check_seal(struct am_arc_sig *sig)
{
	const struct am_arc_tag *cv = am_arc_tag_get(&sig->tags, "cv");

	if (am_arc_tag_get(&sig->tags, "h") != NULL)
		return "h= in ARC-Seal";
	if (!am_arc_tag_is(cv, "none") && !am_arc_tag_is(cv, "pass") && !am_arc_tag_is(cv, "fail"))
		return "missing or bad cv=";
	am_arc_tag_copy(cv, sig->cv, sizeof(sig->cv));
	return NULL;
}

/* Parse and check one ARC-Seal or AMS (see am_arc_int.h). */
void am_arc_sig_parse(const struct am_arc_hdr *h, bool seal, struct am_arc_sig *sig)
{
	const struct am_arc_tag *a, *b, *d, *s, *t;
	const char *why = NULL;

	sig->ok = false;
	if (am_arc_tags_parse(h->value, &sig->tags, sig->err, sizeof(sig->err)) != 0)
		return;
	a = am_arc_tag_get(&sig->tags, "a");
	b = am_arc_tag_get(&sig->tags, "b");
	d = am_arc_tag_get(&sig->tags, "d");
	s = am_arc_tag_get(&sig->tags, "s");
	t = am_arc_tag_get(&sig->tags, "t");
	if (am_arc_tag_is(a, "rsa-sha256"))
		sig->alg = AM_ARC_RSA_SHA256;
	else if (am_arc_tag_is(a, "ed25519-sha256"))
		sig->alg = AM_ARC_ED25519_SHA256;
	else
		why = a ? "unknown algorithm a=" : "missing a=";
	if (why == NULL && (b == NULL || am_arc_base64(b->val, b->vlen, sig->b, sizeof(sig->b),
						       &sig->blen) != 0))
		why = "missing or bad b=";
	if (why == NULL && (d == NULL || !name_ok(d, sizeof(sig->d))))
		why = "missing or bad d=";
	if (why == NULL && (s == NULL || !name_ok(s, sizeof(sig->s))))
		why = "missing or bad s=";
	if (why == NULL && t != NULL && !digits(t))
		why = "bad t=";
	if (why == NULL)
		why = seal ? check_seal(sig) : check_ams(sig);
	if (why != NULL) {
		snprintf(sig->err, sizeof(sig->err), "%s", why);
		return;
	}
	am_arc_tag_copy(d, sig->d, sizeof(sig->d));
	am_arc_tag_copy(s, sig->s, sizeof(sig->s));
	sig->ok = true;
}

/* Append the signature's own field with its b= value emptied, no CRLF. */
static void add_self(struct am_arc_buf *buf, const struct am_arc_hdr *h, const struct am_arc_sig *sig,
		     bool relaxed)
{
	const struct am_arc_tag *b = am_arc_tag_get(&sig->tags, "b");
	struct am_arc_buf v = {0};

	am_arc_buf_add(&v, h->value, b->raw_start);
	am_arc_buf_add(&v, h->value + b->raw_end, h->vlen - b->raw_end);
	if (v.oom)
		buf->oom = true;
	else
		am_arc_canon_header(buf, h->name, v.p ? v.p : "", v.len, relaxed, false);
	am_arc_buf_free(&v);
}

/* Append the fields h= names, each name taking the next instance from the
 * bottom (RFC 6376 5.4.2); names with no instance left add nothing. */
static void add_signed(struct am_arc_buf *buf, const struct am_arc_msg *m, const struct am_arc_tag *h,
		       bool relaxed)
{
	unsigned char used[AM_ARC_MAX_HEADERS] = {0};
	size_t pos = 0, n;
	const char *elem;
	char name[128];

	while (am_arc_tag_list_next(h, &pos, &elem, &n)) {
		if (n >= sizeof(name))
			continue;
		memcpy(name, elem, n);
		name[n] = '\0';
		for (size_t k = m->nhdrs; k-- > 0;) {
			if (used[k] || !am_header_name_is(m->hdrs[k].name, name))
				continue;
			used[k] = 1;
			am_arc_canon_header(buf, m->hdrs[k].name, m->hdrs[k].value, m->hdrs[k].vlen, relaxed,
					    true);
			break;
		}
	}
}

/* buf holds the fields sig signs: append sig's own field (b= emptied),
 * check sig over it all with its key, free buf. 0, or -1 with the reason
 * after "<what> i=<i>: ". */
static int add_self_and_verify(struct am_arc_msg *m, const struct am_arc_sig *sig, bool relaxed,
			       struct am_arc_buf *buf, const char *what, unsigned i, char *err,
			       size_t errlen)
{
	char why[160];
	int rc = -1;

	add_self(buf, &m->hdrs[sig->hdr], sig, relaxed);
	if (buf->oom)
		snprintf(why, sizeof(why), "out of memory");
	else
		rc = am_arc_verify(&m->keys, m->dns, m->budget, sig->s, sig->d, sig->alg, buf->p, buf->len,
				   sig->b, sig->blen, why, sizeof(why));
	if (rc != 0)
		snprintf(err, errlen, "%s i=%u: %s", what, i, why);
	am_arc_buf_free(buf);
	return rc;
}

/* Verify instance i's AMS: body hash, then the signature over its h= fields. */
int am_arc_ams_verify(struct am_arc_msg *m, unsigned i, const unsigned char bodyhash[32], char *err,
		      size_t errlen)
{
	const struct am_arc_sig *sig = &m->sets[i].ams;
	struct am_arc_buf buf = {0};

	if (!sig->ok) {
		snprintf(err, errlen, "AMS i=%u: %s", i, sig->err);
		return -1;
	}
	if (memcmp(bodyhash, sig->bh, 32) != 0) {
		snprintf(err, errlen, "AMS i=%u: body hash mismatch", i);
		return -1;
	}
	add_signed(&buf, m, am_arc_tag_get(&sig->tags, "h"), sig->relaxed_h);
	return add_self_and_verify(m, sig, sig->relaxed_h, &buf, "AMS", i, err, errlen);
}

/* Verify instance i's seal over the sets 1..i, relaxed (RFC 8617 5.1.1). */
int am_arc_as_verify(struct am_arc_msg *m, unsigned i, char *err, size_t errlen)
{
	const struct am_arc_sig *sig = &m->sets[i].as;
	struct am_arc_buf buf = {0};

	for (unsigned j = 1; j <= i; j++) {
		const struct am_arc_hdr *aar = &m->hdrs[m->sets[j].aar];
		const struct am_arc_hdr *ams = &m->hdrs[m->sets[j].ams.hdr];
		const struct am_arc_hdr *as = &m->hdrs[m->sets[j].as.hdr];
		am_arc_canon_header(&buf, aar->name, aar->value, aar->vlen, true, true);
		am_arc_canon_header(&buf, ams->name, ams->value, ams->vlen, true, true);
		if (j < i)
			am_arc_canon_header(&buf, as->name, as->value, as->vlen, true, true);
	}
	return add_self_and_verify(m, sig, true, &buf, "ARC-Seal", i, err, errlen);
}
