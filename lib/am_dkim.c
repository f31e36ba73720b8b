/*
 * am_dkim.c - DKIM verification on libopendkim (see am_dkim.h): the
 * per-generation library handle, the per-message stream, and the key
 * look-up hook that sends every key query through am_dns, with the choice
 * of the key record among a selector's TXT records (ARC's keys use it too).
 *
 * Key look-ups use dkim_set_key_lookup(), not the dkim_dns_set_query_*
 * hooks, because:
 *  - the hook gets the DKIM handle, so dkim_get_user_context() gives the
 *    message (its DNS budget, where temporary errors are recorded); the
 *    query hooks only get one service handle per DKIM_LIB, shared by all
 *    threads, so a per-message budget would need thread-local state;
 *  - it returns the key record as text, which is what am_dns gives; the
 *    query hooks must hand back a whole wire-format DNS reply that
 *    libopendkim parses again;
 *  - libopendkim's own key cache is bypassed: am_dns's cache is the one
 *    cache, shared with SPF and DMARC.
 * Look-ups run at end of message (DKIM_LIBFLAGS_DELAYSIGPROC), where
 * libopendkim goes on with the other signatures when one look-up fails.
 *
 * Threads: the DKIM_LIB is configured in am_dkim_new() and only read
 * afterwards; all per-message state hangs off the DKIM handle.
 * Not here: the AR text (am_authres.c), scores (am_policy.c), DMARC.
 */
#include <ctype.h>
#include <opendkim/dkim.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "am_arena.h"
#include "am_dkim.h"
#include "am_dkim_bodylen.h"
#include "am_dkim_select.h"
#include "am_dkim_keycache.h"
#include "am_header.h"

struct am_dkim {
	DKIM_LIB *lib;
	struct am_dns *dns;
	struct am_dkim_options opt;
};

/* What our key look-up hook saw for one signature. */
struct keylookup {
	DKIM_SIGINFO *sig;
	enum am_dns_status status;
	bool too_long;          /* the record did not fit libopendkim's buffer */
};

struct am_dkim_msg {
	struct am_dkim *d;
	DKIM *dkim;
	struct am_arena arena;                  /* the handle's memory and the header copies */
	struct am_dns_budget *budget;
	char id[64];
	unsigned nsighdr;                       /* DKIM-Signature fields seen */
	bool sig_malformed[AM_DKIM_MAX_SIGS];   /* by field index: tag-list syntax error */
	struct keylookup lookups[AM_DKIM_MAX_SIGS];
	size_t nlookups;
	bool eoh_done, signed_msg;
	bool body_fed, body_crlf;               /* any body yet; does it end with CRLF */
	unsigned char last;                     /* last body byte */
	bool broken;                            /* libopendkim gave up on the message */
	char broken_why[64];
	char authors[AM_DKIM_AUTHORS_MAX][AM_DOMAIN_MAX]; /* From domains, to verify theirs first */
	size_t nauthors;
	struct am_dkim_bodylen len_simple, len_relaxed;
	bool count_len;                         /* a signature has l=: count the body */
};

/* Options from the loaded configuration. */
void am_dkim_options_from_config(const struct am_config *cfg, struct am_dkim_options *opt)
{
	opt->max_signatures = (unsigned)cfg->dkim_max_signatures;
	opt->min_key_bits = (unsigned)cfg->dkim_min_key_bits;
	/* The option table admits only "policy", "pass" and "fail". */
	opt->partial_body = !cfg->dkim_partial_body                  ? AM_DKIM_PARTIAL_POLICY
			    : strcmp(cfg->dkim_partial_body, "pass") == 0 ? AM_DKIM_PARTIAL_PASS
			    : strcmp(cfg->dkim_partial_body, "fail") == 0 ? AM_DKIM_PARTIAL_FAIL
									  : AM_DKIM_PARTIAL_POLICY;
}

/* Whether a key record starts with the tag v=DKIM1, white space allowed
 * around the '=' and before the ';' (RFC 6376 3.2 tag-list). */
static bool says_dkim1(const char *p)
{
	const char *ws = " \t\r\n";

	p += strspn(p, ws);
	if (*p++ != 'v')
		return false;
	p += strspn(p, ws);
	if (*p++ != '=')
		return false;
	p += strspn(p, ws);
	if (strncmp(p, "DKIM1", 5) != 0)
		return false;
	p += 5;
	p += strspn(p, ws);
	return *p == ';' || *p == '\0';
}

/* Choose the key record among a selector's TXT records (see am_dkim.h). */
int am_dkim_pick_key(const struct am_dns_answer *ans, char *out, size_t outlen, bool *too_long)
{
	int first = -1;
	char tmp[4096];

	if (too_long != NULL)
		*too_long = false;
	for (size_t i = 0; i < ans->count; i++) {
		if (am_dns_txt(&ans->rr[i], tmp, sizeof(tmp)) != 0)
			continue;
		if (says_dkim1(tmp)) {
			first = (int)i;
			break;
		}
		if (first < 0)
			first = (int)i;
	}
	if (first < 0)
		return -1;
	if (am_dns_txt(&ans->rr[first], out, outlen) != 0) {
		if (too_long != NULL)
			*too_long = true;
		return -1;
	}
	return 0;
}

/* libopendkim's key look-up hook: query <s>._domainkey.<d> TXT via am_dns. */
static DKIM_CBSTAT key_lookup(DKIM *dkim, DKIM_SIGINFO *sig, u_char *buf, size_t buflen)
{
	struct am_dkim_msg *m = dkim_get_user_context(dkim);
	const char *sel = (const char *)dkim_sig_getselector(sig);
	const char *dom = (const char *)dkim_sig_getdomain(sig);
	struct keylookup *rec, spare;
	struct am_dns_answer ans;
	char name[300];
	DKIM_CBSTAT ret;

	if (m == NULL || sel == NULL || dom == NULL)
		return DKIM_CBSTAT_ERROR;
	rec = m->nlookups < AM_DKIM_MAX_SIGS ? &m->lookups[m->nlookups++] : &spare;
	memset(rec, 0, sizeof(*rec));
	rec->sig = sig;
	if ((size_t)snprintf(name, sizeof(name), "%s._domainkey.%s", sel, dom) >= sizeof(name)) {
		rec->status = AM_DNS_ERROR;
		return DKIM_CBSTAT_ERROR;
	}
	am_dns_query(m->d->dns, m->budget, name, AM_RR_TXT, &ans);
	rec->status = ans.status;
	if (ans.status == AM_DNS_NXDOMAIN || ans.status == AM_DNS_NODATA)
		ret = DKIM_CBSTAT_NOTFOUND;
	else if (am_dns_is_temporary(ans.status))
		ret = DKIM_CBSTAT_TRYAGAIN;
	else if (ans.status != AM_DNS_OK)
		ret = DKIM_CBSTAT_ERROR;
	else if (am_dkim_pick_key(&ans, (char *)buf, buflen, &rec->too_long) != 0)
		ret = rec->too_long ? DKIM_CBSTAT_ERROR : DKIM_CBSTAT_NOTFOUND;
	else
		ret = DKIM_CBSTAT_CONTINUE;
	am_dns_answer_free(&ans);
	return ret;
}

/* True when q= (default dns/txt) offers a method we can use: RFC 6376 3.5
 * says to skip unknown ones. libopendkim leaves this check to us once a key
 * look-up hook is installed. */
static bool query_method_ok(DKIM_SIGINFO *sig)
{
	const char *q = (const char *)dkim_sig_gettagvalue(sig, 0, (u_char *)"q");

	while (q != NULL && *q != '\0') {
		size_t n = strcspn(q, ":");
		if (n == 7 && strncasecmp(q, "dns/txt", 7) == 0)
			return true;
		q += n + (q[n] == ':');
	}
	return q == NULL;
}

/* libopendkim's prescreen hook, at end of headers: verify at most
 * max_signatures of the first AM_DKIM_MAX_SIGS fields, those that can
 * align with the author first (am_dkim_select.h), and mark those with no
 * usable query method. */
static DKIM_CBSTAT prescreen(DKIM *dkim, DKIM_SIGINFO **sigs, int nsigs)
{
	struct am_dkim_msg *m = dkim_get_user_context(dkim);
	const char *d[AM_DKIM_MAX_SIGS], *authors[AM_DKIM_AUTHORS_MAX];
	bool verify[AM_DKIM_MAX_SIGS];
	size_t n = nsigs < AM_DKIM_MAX_SIGS ? (size_t)(nsigs > 0 ? nsigs : 0) : AM_DKIM_MAX_SIGS;

	if (m == NULL)
		return DKIM_CBSTAT_CONTINUE;
	for (size_t i = 0; i < n; i++)
		d[i] = (const char *)dkim_sig_getdomain(sigs[i]);
	for (size_t k = 0; k < m->nauthors; k++)
		authors[k] = m->authors[k];
	am_dkim_select(d, n, authors, m->nauthors, m->d->opt.max_signatures, verify);
	for (int i = 0; i < nsigs; i++) {
		if ((size_t)i >= n || !verify[i])
			dkim_sig_ignore(sigs[i]);
		else if (dkim_sig_geterror(sigs[i]) == DKIM_SIGERROR_UNKNOWN && !query_method_ok(sigs[i]))
			dkim_sig_seterror(sigs[i], DKIM_SIGERROR_INVALID_Q);
	}
	return DKIM_CBSTAT_CONTINUE;
}

/* Set one libopendkim option, naming it in err on failure. */
static int set_opt(DKIM_LIB *lib, int what, void *val, size_t len, const char *name, char *err,
		   size_t errlen)
{
	if (dkim_options(lib, DKIM_OP_SETOPT, what, val, len) == DKIM_STAT_OK)
		return 0;
	snprintf(err, errlen, "libopendkim: cannot set %s", name);
	return -1;
}

/* libopendkim's allocator: a message's handle (closure: the message's
 * arena) allocates from the arena, the library itself (closure NULL) from
 * malloc. For verifying handles only: libopendkim frees a signing handle's
 * x-tags with plain free(), and we never sign. */
static void *handle_alloc(void *closure, size_t n)
{
	return closure ? am_arena_alloc(closure, n) : malloc(n);
}

static void handle_release(void *closure, void *p)
{
	if (closure)
		am_arena_release(closure, p);
	else
		free(p);
}

/* Build the verifier of one configuration generation. */
struct am_dkim *am_dkim_new(struct am_dns *dns, const struct am_dkim_options *opt, char *err,
			    size_t errlen)
{
	struct am_dkim *d = calloc(1, sizeof(*d));
	u_int flags = DKIM_LIBFLAGS_BADSIGHANDLES | DKIM_LIBFLAGS_DELAYSIGPROC;
	u_int minbits;

	if (d == NULL || dns == NULL) {
		snprintf(err, errlen, dns ? "out of memory" : "no DNS resolver");
		free(d);
		return NULL;
	}
	/* Parsed keys are kept in front of OpenSSL (am_dkim_keycache.c). */
	if (am_dkim_keycache_init() != 0) {
		snprintf(err, errlen, "OpenSSL's d2i_PUBKEY_bio not found");
		free(d);
		return NULL;
	}
	d->dns = dns;
	d->opt.max_signatures = AM_DKIM_DEFAULT_MAX_SIGS;
	d->opt.min_key_bits = AM_DKIM_DEFAULT_MIN_KEY_BITS;
	if (opt != NULL)
		d->opt = *opt;
	if (d->opt.max_signatures < 1 || d->opt.max_signatures > AM_DKIM_MAX_SIGS) {
		snprintf(err, errlen, "max_signatures must be 1 to %d", AM_DKIM_MAX_SIGS);
		free(d);
		return NULL;
	}
	minbits = d->opt.min_key_bits;
	if ((d->lib = dkim_init(handle_alloc, handle_release)) == NULL) {
		snprintf(err, errlen, "libopendkim: dkim_init failed");
		free(d);
		return NULL;
	}
	if (set_opt(d->lib, DKIM_OPTS_FLAGS, &flags, sizeof(flags), "flags", err, errlen) != 0 ||
	    set_opt(d->lib, DKIM_OPTS_MINKEYBITS, &minbits, sizeof(minbits), "minkeybits", err,
		    errlen) != 0 ||
	    dkim_set_key_lookup(d->lib, key_lookup) != DKIM_STAT_OK ||
	    dkim_set_prescreen(d->lib, prescreen) != DKIM_STAT_OK) {
		if (err[0] == '\0')
			snprintf(err, errlen, "libopendkim: cannot install the callbacks");
		am_dkim_free(d);
		return NULL;
	}
	return d;
}

void am_dkim_free(struct am_dkim *d)
{
	if (d == NULL)
		return;
	if (d->lib != NULL)
		dkim_close(d->lib);
	free(d);
}

/* Start one message. */
struct am_dkim_msg *am_dkim_msg_new(struct am_dkim *d, struct am_dns_budget *budget,
				    const char *id, char *err, size_t errlen)
{
	struct am_dkim_msg *m = calloc(1, sizeof(*m));
	DKIM_STAT st = DKIM_STAT_OK;

	if (m == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->d = d;
	m->budget = budget;
	snprintf(m->id, sizeof(m->id), "%s", id ? id : "");
	am_dkim_bodylen_init(&m->len_simple, false);
	am_dkim_bodylen_init(&m->len_relaxed, true);
	m->dkim = dkim_verify(d->lib, (const unsigned char *)m->id, &m->arena, &st);
	if (m->dkim == NULL) {
		snprintf(err, errlen, "libopendkim: dkim_verify: %s", dkim_getresultstr(st));
		am_arena_free(&m->arena);
		free(m);
		return NULL;
	}
	dkim_set_user_context(m->dkim, m);
	return m;
}

/* The author (From) domains, before the end of headers; see am_dkim.h. */
void am_dkim_set_authors(struct am_dkim_msg *m, const char *const *domains, size_t n)
{
	m->nauthors = 0;
	for (size_t i = 0; i < n && m->nauthors < AM_DKIM_AUTHORS_MAX; i++)
		snprintf(m->authors[m->nauthors++], AM_DOMAIN_MAX, "%s", domains[i]);
}

/* Remember that libopendkim stopped processing this message. */
static void set_broken(struct am_dkim_msg *m, const char *what, DKIM_STAT st)
{
	if (m->broken)
		return;
	m->broken = true;
	snprintf(m->broken_why, sizeof(m->broken_why), "%s: %s", what, dkim_getresultstr(st));
}

/* One header field, "name:value" with LF-only line ends made CRLF. The
 * copy is given back once libopendkim has taken its own: a large one is
 * freed then, a small one stays in the arena until the message ends. */
int am_dkim_header(struct am_dkim_msg *m, const char *name, const char *value)
{
	size_t nlen = strlen(name), len;
	bool is_sig;
	char *buf;
	DKIM_STAT st;

	while (nlen > 0 && (name[nlen - 1] == ' ' || name[nlen - 1] == '\t'))
		nlen--;
	is_sig = nlen == 14 && strncasecmp(name, "DKIM-Signature", 14) == 0;
	if (m->eoh_done || nlen == 0)
		return 0;
	if ((buf = am_header_crlf(&m->arena, name, nlen, value, &len)) == NULL)
		return -1;
	st = dkim_header(m->dkim, (u_char *)buf, len);
	am_arena_release(&m->arena, buf);
	if (is_sig) {
		/* libopendkim keeps a malformed signature (BADSIGHANDLES) and
		 * says so only here: remember it by field index. */
		if (st != DKIM_STAT_OK && m->nsighdr < AM_DKIM_MAX_SIGS)
			m->sig_malformed[m->nsighdr] = true;
		m->nsighdr++;
	}
	if (st == DKIM_STAT_NORESOURCE || st == DKIM_STAT_INTERNAL) {
		set_broken(m, "header", st);
		return -1;
	}
	return 0; /* other fields libopendkim refuses simply do not count */
}

/* Does any signature carry l=? Only then is the canonical body length
 * read (judge_good), and counting it cost more than hashing the body.
 * True when the list cannot be read, to count as before. */
static bool any_length_tag(DKIM *dkim)
{
	DKIM_SIGINFO **sigs = NULL;
	int n = 0;

	if (dkim_getsiglist(dkim, &sigs, &n) != DKIM_STAT_OK)
		return true;
	for (int i = 0; i < n; i++)
		if (dkim_sig_gettagvalue(sigs[i], 0, (u_char *)"l") != NULL)
			return true;
	return false;
}

/* End of headers: false when there is no signature to verify. */
bool am_dkim_eoh(struct am_dkim_msg *m)
{
	DKIM_STAT st;

	if (m->eoh_done)
		return m->signed_msg;
	m->eoh_done = true;
	if (m->nsighdr == 0)
		return m->signed_msg = false;
	st = dkim_eoh(m->dkim);
	if (st == DKIM_STAT_NOSIG)
		return m->signed_msg = false;
	if (st != DKIM_STAT_OK)
		set_broken(m, "end of headers", st);
	m->count_len = st != DKIM_STAT_OK || any_length_tag(m->dkim);
	return m->signed_msg = true;
}

/* One body chunk: counted for l= checks, hashed by libopendkim. */
int am_dkim_body(struct am_dkim_msg *m, const unsigned char *buf, size_t len)
{
	DKIM_STAT st;

	if (!m->eoh_done)
		am_dkim_eoh(m);
	if (!m->signed_msg || m->broken || len == 0)
		return 0;
	if (m->count_len) {
		am_dkim_bodylen_feed(&m->len_simple, buf, len);
		am_dkim_bodylen_feed(&m->len_relaxed, buf, len);
	}
	m->body_crlf = buf[len - 1] == '\n' && (len > 1 ? buf[len - 2] : m->last) == '\r';
	m->last = buf[len - 1];
	m->body_fed = true;
	st = dkim_body(m->dkim, (u_char *)buf, len);
	if (st != DKIM_STAT_OK) {
		set_broken(m, "body", st);
		return -1;
	}
	return 0;
}

/* Bounded copy of wire text; bytes outside printable ASCII become '?'. */
static void copy_text(char *dst, size_t dstlen, const unsigned char *src)
{
	size_t o = 0;

	for (; src != NULL && *src != '\0' && o + 1 < dstlen; src++)
		dst[o++] = (*src > 0x20 && *src < 0x7f) ? (char)*src : '?';
	dst[o] = '\0';
}

/* h= as lower-case names joined by ':', cut at a whole name if too long. */
static void copy_hlist(char *dst, size_t dstlen, const unsigned char *h)
{
	size_t o = 0, last_colon = 0;

	dst[0] = '\0';
	for (; h != NULL && *h != '\0'; h++) {
		if (isspace(*h))
			continue;
		if (o + 1 >= dstlen) {
			dst[last_colon] = '\0';
			return;
		}
		if (*h == ':')
			last_colon = o;
		dst[o++] = (*h > 0x20 && *h < 0x7f) ? (char)tolower(*h) : '?';
	}
	dst[o] = '\0';
}

/* The tags of a signature, for AR, DMARC, BIMI and the log. */
static void fill_tags(struct am_dkim_msg *m, DKIM_SIGINFO *sig, struct am_dkim_sig *out)
{
	u_char ident[AM_ADDR_MAX];
	unsigned int bits = 0;
	dkim_alg_t alg = DKIM_SIGN_UNKNOWN;

	copy_text(out->domain, sizeof(out->domain), dkim_sig_gettagvalue(sig, 0, (u_char *)"d"));
	copy_text(out->selector, sizeof(out->selector), dkim_sig_gettagvalue(sig, 0, (u_char *)"s"));
	copy_text(out->algorithm, sizeof(out->algorithm), dkim_sig_gettagvalue(sig, 0, (u_char *)"a"));
	copy_text(out->b_prefix, sizeof(out->b_prefix), dkim_sig_gettagvalue(sig, 0, (u_char *)"b"));
	copy_hlist(out->signed_headers, sizeof(out->signed_headers),
		   dkim_sig_gettagvalue(sig, 0, (u_char *)"h"));
	if (dkim_sig_gettagvalue(sig, 0, (u_char *)"d") != NULL &&
	    dkim_sig_getidentity(m->dkim, sig, ident, sizeof(ident)) == DKIM_STAT_OK)
		copy_text(out->identity, sizeof(out->identity), ident);
	dkim_sig_getsignalg(sig, &alg);
	if (alg == DKIM_SIGN_ED25519SHA256) {
		/* libopendkim does not size ed25519 keys (all are 256 bits); the
		 * key was usable when the signature check itself ran */
		if ((dkim_sig_getflags(sig) & DKIM_SIGFLAG_PASSED) != 0 ||
		    dkim_sig_geterror(sig) == DKIM_SIGERROR_BADSIG)
			out->key_bits = 256;
	} else if (dkim_sig_getkeysize(sig, &bits) == DKIM_STAT_OK) {
		out->key_bits = bits;
	}
}

/* Set result and reason. */
static void verdict(struct am_dkim_sig *out, enum am_result r, const char *reason)
{
	out->result = r;
	snprintf(out->reason, sizeof(out->reason), "%s", reason);
}

/* Signature-side errors: the field could not be used as written. */
static bool is_syntax_error(int e)
{
	switch (e) {
	case DKIM_SIGERROR_VERSION: case DKIM_SIGERROR_INVALID_HC: case DKIM_SIGERROR_INVALID_BC:
	case DKIM_SIGERROR_MISSING_A: case DKIM_SIGERROR_INVALID_A: case DKIM_SIGERROR_MISSING_H:
	case DKIM_SIGERROR_INVALID_L: case DKIM_SIGERROR_INVALID_Q: case DKIM_SIGERROR_INVALID_QO:
	case DKIM_SIGERROR_MISSING_D: case DKIM_SIGERROR_EMPTY_D: case DKIM_SIGERROR_MISSING_S:
	case DKIM_SIGERROR_EMPTY_S: case DKIM_SIGERROR_MISSING_B: case DKIM_SIGERROR_EMPTY_B:
	case DKIM_SIGERROR_CORRUPT_B: case DKIM_SIGERROR_MISSING_BH: case DKIM_SIGERROR_EMPTY_BH:
	case DKIM_SIGERROR_CORRUPT_BH: case DKIM_SIGERROR_EMPTY_H: case DKIM_SIGERROR_MISSING_V:
	case DKIM_SIGERROR_EMPTY_V:
		return true;
	}
	return false;
}

/* Our look-up record of a signature, NULL if the hook never ran for it. */
static const struct keylookup *lookup_of(const struct am_dkim_msg *m, const DKIM_SIGINFO *sig)
{
	for (size_t i = m->nlookups; i-- > 0;)
		if (m->lookups[i].sig == sig)
			return &m->lookups[i];
	return NULL;
}

/* A verified signature: RFC 8301 policy, then how much of the body l= covers. */
static void judge_good(struct am_dkim_msg *m, DKIM_SIGINFO *sig, struct am_dkim_sig *out)
{
	ssize_t signlen = -1;
	dkim_canon_t hc = DKIM_CANON_SIMPLE, bc = DKIM_CANON_SIMPLE;
	char why[96];

	if (strcasecmp(out->algorithm, "rsa-sha1") == 0) {
		verdict(out, AM_RES_POLICY, "rsa-sha1 is not accepted (RFC 8301)");
		return;
	}
	dkim_sig_getcanons(sig, &hc, &bc);
	if (dkim_sig_getcanonlen(m->dkim, sig, NULL, NULL, &signlen) == DKIM_STAT_OK && signlen >= 0) {
		uint64_t total = am_dkim_bodylen_total(bc == DKIM_CANON_RELAXED ? &m->len_relaxed
										: &m->len_simple);
		if ((uint64_t)signlen < total) {
			out->body_partial = true;
			snprintf(why, sizeof(why), "l=%lld covers part of the body (%llu bytes)",
				 (long long)signlen, (unsigned long long)total);
			/* Appended text could be anything: by default not a pass. */
			enum am_dkim_partial pb = m->d->opt.partial_body;
			verdict(out, pb == AM_DKIM_PARTIAL_PASS ? AM_RES_PASS
				     : pb == AM_DKIM_PARTIAL_FAIL ? AM_RES_FAIL : AM_RES_POLICY, why);
			return;
		}
	}
	verdict(out, AM_RES_PASS, "good signature");
}

/* Result and reason for a libopendkim signature error (not OK). */
static enum am_result error_result(int e, const char **reason)
{
	if (is_syntax_error(e))
		return AM_RES_NEUTRAL;
	switch (e) {
	case DKIM_SIGERROR_BADSIG:
		*reason = "signature did not verify";
		return AM_RES_FAIL;
	case DKIM_SIGERROR_MBSFAILED:
		return AM_RES_POLICY;
	case DKIM_SIGERROR_KEYFAIL:
		*reason = "key look-up failed";
		return AM_RES_TEMPERROR;
	case DKIM_SIGERROR_UNKNOWN:
		*reason = "not verified";
		return AM_RES_TEMPERROR;
	case DKIM_SIGERROR_NOKEY:
		*reason = "no key";
		return AM_RES_PERMERROR;
	case DKIM_SIGERROR_KEYREVOKED:
		*reason = "key revoked";
		return AM_RES_PERMERROR;
	case DKIM_SIGERROR_INVALID_H:
		*reason = "From field not signed";
		return AM_RES_PERMERROR;
	}
	return AM_RES_PERMERROR; /* key syntax, expired, i= outside d=, l= past the body */
}

/* Map libopendkim's verdict on one signature to an RFC 8601 result. */
static void judge(struct am_dkim_msg *m, DKIM_SIGINFO *sig, size_t idx, struct am_dkim_sig *out)
{
	const struct keylookup *kl = lookup_of(m, sig);
	int e = dkim_sig_geterror(sig);
	const char *reason = dkim_sig_geterrorstr(e);
	char why[96];

	if (idx < AM_DKIM_MAX_SIGS && m->sig_malformed[idx]) {
		/* a missing or old v= is the usual cause (pre-RFC 6376 signers) */
		bool v = e == DKIM_SIGERROR_MISSING_V || e == DKIM_SIGERROR_VERSION;
		verdict(out, AM_RES_NEUTRAL, v ? reason : "malformed signature field");
	} else if (kl != NULL && am_dns_is_temporary(kl->status)) {
		snprintf(why, sizeof(why), "key look-up: %s", am_dns_status_name(kl->status));
		verdict(out, AM_RES_TEMPERROR, why);
	} else if (kl != NULL && kl->too_long) {
		verdict(out, AM_RES_PERMERROR, "key record too long");
	} else if (kl != NULL && kl->status == AM_DNS_ERROR) {
		verdict(out, AM_RES_PERMERROR, "key look-up: invalid name");
	} else if (m->broken && e == DKIM_SIGERROR_UNKNOWN) {
		verdict(out, AM_RES_TEMPERROR, m->broken_why);
	} else if (e == DKIM_SIGERROR_OK && (dkim_sig_getflags(sig) & DKIM_SIGFLAG_PASSED) != 0 &&
		   dkim_sig_getbh(sig) == DKIM_SIGBH_MATCH) {
		judge_good(m, sig, out);
	} else if (e == DKIM_SIGERROR_OK || (e == DKIM_SIGERROR_BADSIG &&
					       dkim_sig_getbh(sig) != DKIM_SIGBH_MISMATCH)) {
		verdict(out, AM_RES_FAIL, "signature did not verify");
	} else if (e == DKIM_SIGERROR_BADSIG) {
		verdict(out, AM_RES_FAIL, "body hash mismatch");
	} else if (e == DKIM_SIGERROR_KEYTOOSMALL) {
		snprintf(why, sizeof(why), "key of %u bits is under %u (RFC 8301)", out->key_bits,
			 m->d->opt.min_key_bits);
		verdict(out, AM_RES_POLICY, why);
	} else {
		enum am_result r = error_result(e, &reason);
		verdict(out, r, reason != NULL ? reason : "unknown error");
	}
}

/* End of message: verify and report every signature up to the maximum. */
void am_dkim_eom(struct am_dkim_msg *m, struct am_dkim_result *out)
{
	DKIM_SIGINFO **sigs = NULL;
	int nsigs = 0;

	/* the signature slots (24 KB) are cleared one by one as they are
	 * filled: readers stop at count */
	out->count = out->unverified = 0;
	out->checked = true;
	if (!am_dkim_eoh(m))
		return;
	/* libopendkim refuses a body without a final CRLF; both
	 * canonicalisations add one (RFC 6376 3.4.3, 3.4.4), so add it here.
	 * SMTP always delivers one; files given to -t may lack it. */
	if (!m->broken && m->body_fed && !m->body_crlf)
		am_dkim_body(m, (const unsigned char *)"\r\n", 2);
	if (!m->broken) {
		DKIM_STAT st = dkim_eom(m->dkim, NULL);
		if (st == DKIM_STAT_NORESOURCE || st == DKIM_STAT_INTERNAL ||
		    st == DKIM_STAT_INVALID || st == DKIM_STAT_SYNTAX)
			set_broken(m, "end of message", st);
	}
	if (dkim_getsiglist(m->dkim, &sigs, &nsigs) != DKIM_STAT_OK || sigs == NULL)
		nsigs = 0;
	for (int i = 0; i < nsigs; i++) {
		if ((dkim_sig_getflags(sigs[i]) & DKIM_SIGFLAG_IGNORE) != 0 || out->count >= AM_DKIM_MAX_SIGS) {
			out->unverified++;
			continue;
		}
		struct am_dkim_sig *s = &out->sigs[out->count++];
		memset(s, 0, sizeof(*s));
		fill_tags(m, sigs[i], s);
		judge(m, sigs[i], (size_t)i, s);
	}
	if (nsigs == 0 && m->nsighdr > 0) {
		/* libopendkim lost the list (it gave up early): say so per field */
		for (unsigned i = 0; i < m->nsighdr && i < m->d->opt.max_signatures; i++) {
			struct am_dkim_sig *s = &out->sigs[out->count++];
			memset(s, 0, sizeof(*s));
			verdict(s, AM_RES_TEMPERROR, m->broken ? m->broken_why : "not verified");
		}
		if (m->nsighdr > m->d->opt.max_signatures)
			out->unverified = m->nsighdr - m->d->opt.max_signatures;
	}
}

void am_dkim_msg_free(struct am_dkim_msg *m)
{
	if (m == NULL)
		return;
	if (m->dkim != NULL)
		dkim_free(m->dkim);
	am_arena_free(&m->arena);
	free(m);
}
