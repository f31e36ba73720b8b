/*
 * am_arc_canon.c - DKIM canonicalisation (RFC 6376 3.4) for ARC: header
 * fields into a buffer (simple, or relaxed as the ARC-Seal always uses),
 * and streaming body hashes (SHA-256 on OpenSSL) that keep no body bytes,
 * only the state a chunk boundary needs (a held CR, pending empty lines,
 * a pending white-space run). No l= support: ARC signatures cover the
 * whole body.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "am_arc_int.h"

/* Append n bytes, growing by doubling. */
void am_arc_buf_add(struct am_arc_buf *b, const char *s, size_t n)
{
	if (b->oom || n == 0)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (p == NULL) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/* Release a buffer and make it empty again. */
void am_arc_buf_free(struct am_arc_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* RFC 5234 WSP: space or tab. */
static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Relaxed: lower-case name, unfolded value, white-space runs as one SP,
 * none at either end of the value. */
static void relaxed_header(struct am_arc_buf *b, const char *name, const char *v, size_t vlen)
{
	size_t nlen = strlen(name);
	bool wsp = false, started = false;

	while (nlen > 0 && is_wsp(name[nlen - 1]))
		nlen--;
	for (size_t i = 0; i < nlen; i++) {
		char c = name[i] >= 'A' && name[i] <= 'Z' ? (char)(name[i] + 32) : name[i];
		am_arc_buf_add(b, &c, 1);
	}
	am_arc_buf_add(b, ":", 1);
	for (size_t i = 0; i < vlen; i++) {
		if (v[i] == '\r' || v[i] == '\n')
			continue;
		if (is_wsp(v[i])) {
			wsp = true;
			continue;
		}
		if (wsp && started)
			am_arc_buf_add(b, " ", 1);
		wsp = false;
		started = true;
		am_arc_buf_add(b, &v[i], 1);
	}
}

/* Append one header field, canonicalised (see am_arc_int.h). */
void am_arc_canon_header(struct am_arc_buf *b, const char *name, const char *value, size_t vlen,
			 bool relaxed, bool crlf)
{
	if (relaxed) {
		relaxed_header(b, name, value, vlen);
	} else {
		am_arc_buf_add(b, name, strlen(name));
		am_arc_buf_add(b, ":", 1);
		am_arc_buf_add(b, value, vlen);
	}
	if (crlf)
		am_arc_buf_add(b, "\r\n", 2);
}

struct am_arc_bodyhash {
	EVP_MD_CTX *md;
	bool relaxed;
	bool held_cr;          /* a CR that may start a CRLF in the next chunk */
	bool wsp;              /* relaxed: a white-space run waiting for content */
	bool any;              /* some content was hashed */
	bool done, failed;
	unsigned long pending; /* empty lines not yet known not to be trailing */
	size_t olen;
	unsigned char out[4096];
};

/* A SHA-256 body hasher for simple or relaxed canonicalisation. */
struct am_arc_bodyhash *am_arc_bodyhash_new(bool relaxed)
{
	struct am_arc_bodyhash *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->relaxed = relaxed;
	h->md = EVP_MD_CTX_new();
	if (h->md == NULL || EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1) {
		am_arc_bodyhash_free(h);
		return NULL;
	}
	return h;
}

/* Hand the output buffer to the digest. */
static void flush(struct am_arc_bodyhash *h)
{
	if (h->olen > 0 && EVP_DigestUpdate(h->md, h->out, h->olen) != 1)
		h->failed = true;
	h->olen = 0;
}

/* Queue one canonical byte for the digest. */
static void emit(struct am_arc_bodyhash *h, unsigned char c)
{
	if (h->olen == sizeof(h->out))
		flush(h);
	h->out[h->olen++] = c;
}

/* A content byte: the empty lines and white space before it are not
 * trailing after all. */
static void content(struct am_arc_bodyhash *h, unsigned char c)
{
	for (; h->pending > 0; h->pending--) {
		emit(h, '\r');
		emit(h, '\n');
	}
	if (h->wsp)
		emit(h, ' ');
	h->wsp = false;
	h->any = true;
	emit(h, c);
}

/* End of a line: emitted lazily, as a pending empty line. */
static void line_end(struct am_arc_bodyhash *h)
{
	h->wsp = false;
	h->pending++;
}

/* Does c end a run of plain content bytes (CR, or white space under relaxed)? */
static bool special(const struct am_arc_bodyhash *h, unsigned char c)
{
	return c == '\r' || (h->relaxed && (c == ' ' || c == '\t'));
}

/* A run of plain content bytes: what is pending goes first, then the run
 * in one copy (the byte-at-a-time path cost ~65 instructions a byte). */
static void content_run(struct am_arc_bodyhash *h, const unsigned char *p, size_t n)
{
	content(h, p[0]);
	p++, n--;
	if (h->olen + n > sizeof(h->out))
		flush(h);
	if (n > sizeof(h->out)) {
		if (EVP_DigestUpdate(h->md, p, n) != 1)
			h->failed = true;
		return;
	}
	memcpy(h->out + h->olen, p, n);
	h->olen += n;
}

/* Canonicalise and hash a chunk; state carries across chunk boundaries. */
void am_arc_bodyhash_update(struct am_arc_bodyhash *h, const unsigned char *buf, size_t len)
{
	if (h == NULL || h->done)
		return;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = buf[i];
		if (h->held_cr) {
			h->held_cr = false;
			if (c == '\n') {
				line_end(h);
				continue;
			}
			content(h, '\r');
		}
		if (c == '\r') {
			h->held_cr = true;
		} else if (special(h, c)) {
			h->wsp = true;
		} else {
			size_t j = i + 1;
			while (j < len && !special(h, buf[j]))
				j++;
			content_run(h, buf + i, j - i);
			i = j - 1;
		}
	}
}

/* Finish the body (RFC 6376 3.4.3/3.4.4 end rules) and give the digest. */
int am_arc_bodyhash_final(struct am_arc_bodyhash *h, unsigned char out[32])
{
	unsigned int n = 0;

	if (h->done)
		return -1;
	h->done = true;
	if (h->held_cr)
		content(h, '\r');
	/* The last line's CRLF, or the CRLF an empty body has under simple. */
	if (h->any || !h->relaxed) {
		emit(h, '\r');
		emit(h, '\n');
	}
	flush(h);
	if (h->failed || EVP_DigestFinal_ex(h->md, out, &n) != 1 || n != 32)
		return -1;
	return 0;
}

/* Free a hasher; NULL is allowed. */
void am_arc_bodyhash_free(struct am_arc_bodyhash *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->md);
	free(h);
}
