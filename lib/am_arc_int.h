/*
 * am_arc_int.h - the parts of the ARC verifier shared by its files and its
 * unit test and fuzz target: the DKIM tag-list parser, colon-separated
 * tag values and base64 (am_arc_tag.c), header and body canonicalisation (am_arc_canon.c), key
 * records and signature checks on OpenSSL (am_arc_key.c), and the parsed
 * ARC sets (am_arc.c) that the trust step (am_arc_trust.c) reads.
 * Not a public interface: the session uses am_arc.h only.
 */
#ifndef AM_ARC_INT_H
#define AM_ARC_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "am_arc.h"
#include "am_arena.h"

/* --- tag lists (RFC 6376 3.2), am_arc_tag.c --- */

#define AM_ARC_MAX_TAGS 24

/* One tag: name and trimmed value point into the parsed string; the raw
 * span [raw_start, raw_end) is everything between '=' and the next ';'
 * (what "b= emptied" removes). */
struct am_arc_tag {
	const char *name;
	size_t nlen;
	const char *val;
	size_t vlen;
	size_t raw_start, raw_end;
};

struct am_arc_tags {
	size_t n;
	struct am_arc_tag t[AM_ARC_MAX_TAGS];
};

/* Parse a tag-list strictly (tag names case-sensitive, no duplicates, no
 * empty tag-spec but a trailing ';'). 0, or -1 with the reason. */
int am_arc_tags_parse(const char *s, struct am_arc_tags *out, char *err, size_t errlen);
/* The tag called name, or NULL. */
const struct am_arc_tag *am_arc_tag_get(const struct am_arc_tags *t, const char *name);
/* Does the tag's value equal s exactly? */
bool am_arc_tag_is(const struct am_arc_tag *t, const char *s);
/* Copy the tag's value into out (NUL-terminated); -1 when it does not fit. */
int am_arc_tag_copy(const struct am_arc_tag *t, char *out, size_t outlen);
/* The next element of a colon-separated value (h=, s=) after *pos (0 to
 * start): true with *len bytes at *elem, false at the end. Colons and
 * folding white space separate elements; empty ones are skipped. */
bool am_arc_tag_list_next(const struct am_arc_tag *t, size_t *pos, const char **elem, size_t *len);
/* Is word (any case) an element of the colon-separated value? */
bool am_arc_tag_list_has(const struct am_arc_tag *t, const char *word);
/* Decode base64 ignoring folding white space. 0 with *n bytes, or -1
 * (bad character, bad padding, too long for out). */
int am_arc_base64(const char *in, size_t len, unsigned char *out, size_t outlen, size_t *n);

/* --- canonicalisation (RFC 6376 3.4), am_arc_canon.c --- */

/* A growing byte buffer; oom set (and adds ignored) once malloc fails. */
struct am_arc_buf {
	char *p;
	size_t len, cap;
	bool oom;
};

void am_arc_buf_add(struct am_arc_buf *b, const char *s, size_t n);
void am_arc_buf_free(struct am_arc_buf *b);

/* Append header name:value canonicalised (relaxed or simple), with CRLF
 * when crlf (the signature's own field goes in without one). */
void am_arc_canon_header(struct am_arc_buf *b, const char *name, const char *value, size_t vlen,
			 bool relaxed, bool crlf);

struct am_arc_bodyhash;
/* A SHA-256 body hasher for one body canonicalisation; NULL: no memory. */
struct am_arc_bodyhash *am_arc_bodyhash_new(bool relaxed);
void am_arc_bodyhash_update(struct am_arc_bodyhash *h, const unsigned char *buf, size_t len);
/* Finish (once) and give the 32-byte digest; -1 when the digest failed. */
int am_arc_bodyhash_final(struct am_arc_bodyhash *h, unsigned char out[32]);
void am_arc_bodyhash_free(struct am_arc_bodyhash *h);

/* --- keys and signatures (RFC 8301, RFC 8463), am_arc_key.c --- */

enum am_arc_alg { AM_ARC_RSA_SHA256 = 0, AM_ARC_ED25519_SHA256 };

#define AM_ARC_MAX_KEYS 8            /* distinct (selector, domain) per message */

struct am_arc_key;
/* The message's keys: each looked up once, at most AM_ARC_MAX_KEYS. */
struct am_arc_keys {
	size_t n;
	struct am_arc_key *k[AM_ARC_MAX_KEYS];
};

/* Verify sig over data with the key at sel._domainkey.dom. 0 pass, -1 fail
 * with the reason (no key, bad record, short key, bad signature). */
int am_arc_verify(struct am_arc_keys *keys, struct am_dns *dns, struct am_dns_budget *budget,
		  const char *sel, const char *dom, enum am_arc_alg alg, const char *data,
		  size_t len, const unsigned char *sig, size_t siglen, char *err, size_t errlen);
void am_arc_keys_free(struct am_arc_keys *keys);


/* --- the message and its ARC sets, am_arc.c and am_arc_sig.c --- */

#define AM_ARC_MAX_HEADERS 1000          /* header fields kept per message */
#define AM_ARC_MAX_HEADER_BYTES 1048576  /* their total size */
#define AM_ARC_MAX_FIELD 16384           /* one ARC field (a 100 KB b= fails) */
#define AM_ARC_MAX_FIELDS (3 * AM_ARC_MAX_INSTANCES)

struct am_arc_hdr {
	char *name;
	char *value;                 /* CRLF folding, no final CRLF */
	size_t vlen;
};

/* A parsed ARC-Seal or ARC-Message-Signature. */
struct am_arc_sig {
	int hdr;                     /* index in the message's headers, -1: none */
	bool ok;                     /* parsed and complete */
	char err[128];               /* why not */
	struct am_arc_tags tags;
	enum am_arc_alg alg;
	char d[AM_DOMAIN_MAX], s[64];
	unsigned char b[1024];       /* up to RSA-8192 */
	size_t blen;
	bool relaxed_h, relaxed_b;   /* AMS c= */
	unsigned char bh[32];        /* AMS bh= */
	char cv[8];                  /* AS cv= */
};

/* Instance i: its three fields (header indexes, -1 when absent). */
struct am_arc_set {
	int aar;
	struct am_arc_sig ams, as;
};

struct am_arc_msg {
	struct am_dns *dns;
	struct am_dns_budget *budget;
	/* A copy, but opt.trusted_sealers is the caller's string, not copied:
	 * it outlives the message (the session's is the configuration of the
	 * runtime generation the message holds a reference to). */
	struct am_arc_options opt;
	struct am_arc_hdr *hdrs;
	size_t nhdrs, cap, bytes;
	struct am_arena arena;       /* the kept names and values */
	bool overflow;               /* past the header caps */
	unsigned narc;               /* ARC fields seen */
	unsigned n;                  /* newest instance of a well-formed chain */
	struct am_arc_set *sets;     /* sets[1..n] */
	char fail[160];              /* structural failure, "" when none */
	struct am_arc_bodyhash *bodyhash[2]; /* [0] simple, [1] relaxed */
	struct am_arc_keys keys;
	bool eoh_done, chain_pass;
};

/* Parse an AMS (seal false) or ARC-Seal field into sig (sig->ok, err). */
void am_arc_sig_parse(const struct am_arc_hdr *h, bool seal, struct am_arc_sig *sig);
/* Verify instance i's AMS against the body hash of its canonicalisation;
 * 0 or -1 with the reason. */
int am_arc_ams_verify(struct am_arc_msg *m, unsigned i, const unsigned char bodyhash[32],
		      char *err, size_t errlen);
/* Verify instance i's ARC-Seal over sets 1..i; 0 or -1 with the reason. */
int am_arc_as_verify(struct am_arc_msg *m, unsigned i, char *err, size_t errlen);

/* --- ARC-Authentication-Results reading, am_arc_trust.c --- */

#define AM_ARC_AAR_MAX_RES 16

/* One resinfo of an AAR: method=result and the properties we read. */
struct am_arc_resinfo {
	char method[16];
	char result[16];
	char header_from[AM_DOMAIN_MAX];
	char header_d[AM_DOMAIN_MAX];
	char header_i[AM_ADDR_MAX];
	char smtp_mailfrom[AM_ADDR_MAX];
};

/* Parse an AAR value ("i=N; authserv-id; resinfo; ..."); 0 with the
 * resinfos kept (at most max), -1 when it is not an AAR. */
int am_arc_aar_parse(const char *value, unsigned *instance, struct am_arc_resinfo *out,
		     size_t max, size_t *n);

#endif
