/*
 * fuzz/fuzz_authres.c - fuzz target: Authentication-Results recognition
 * (am_authres_claims, which decides which incoming headers are forged
 * copies of ours) and writing (am_authres_build, am_authres_value) with
 * hostile values in every wire-derived field.
 *
 * Input: line 1 the authserv-id, line 2 an incoming AR value, then one
 * line per field of the results (SPF domains, DKIM d= i= s= a= b=, DMARC
 * domains); the bytes of line 2 also pick results and flags. Checks: the
 * header we write is one RFC 5322 field body (lines of at most 998 bytes,
 * LF + TAB folding, printable ASCII), a hostile value cannot add a
 * resinfo (the number of top-level ';' is the number of methods written),
 * and our own header is recognised as ours.
 */
#include "am_authres.h"
#include "fuzz.h"

/* Copy a fuzz string into a fixed field. */
static void fill(char *dst, size_t dstlen, const char *src)
{
	snprintf(dst, dstlen, "%s", src);
}

/* Results whose text fields come from the input lines. */
static void make_results(struct fuzz_in *in, unsigned sel, struct am_results *r)
{
	char *s;

	memset(r, 0, sizeof(*r));
	r->spf_mailfrom.checked = sel & 1;
	r->spf_mailfrom.result = (enum am_result)((sel >> 1) % AM_RES_COUNT);
	fill(r->spf_mailfrom.domain, sizeof(r->spf_mailfrom.domain), s = fuzz_next(in, '\n')), free(s);
	r->spf_helo.checked = (sel >> 4) & 1;
	r->spf_helo.result = (enum am_result)((sel >> 5) % AM_RES_COUNT);
	fill(r->spf_helo.domain, sizeof(r->spf_helo.domain), s = fuzz_next(in, '\n')), free(s);
	r->dkim.checked = (sel >> 8) & 1;
	r->dkim.count = (sel >> 9) % (AM_DKIM_MAX_SIGS + 1);
	for (size_t k = 0; k < r->dkim.count; k++) {
		struct am_dkim_sig *g = &r->dkim.sigs[k];
		g->result = (enum am_result)((sel + k) % AM_RES_COUNT);
		g->key_bits = (k & 1) ? 1024u * (unsigned)k : 0;
		g->body_partial = k & 2;
		if (k > 1) { /* the later signatures repeat the first ones' text */
			*g = r->dkim.sigs[k % 2];
			continue;
		}
		fill(g->domain, sizeof(g->domain), s = fuzz_next(in, '\n')), free(s);
		fill(g->identity, sizeof(g->identity), s = fuzz_next(in, '\n')), free(s);
		fill(g->selector, sizeof(g->selector), s = fuzz_next(in, '\n')), free(s);
		fill(g->algorithm, sizeof(g->algorithm), s = fuzz_next(in, '\n')), free(s);
		fill(g->b_prefix, sizeof(g->b_prefix), s = fuzz_next(in, '\n')), free(s);
	}
	r->dmarc.checked = (sel >> 14) & 1;
	r->dmarc.result = (enum am_result)((sel >> 15) % AM_RES_COUNT);
	r->dmarc.p = (enum am_dmarc_policy)((sel >> 18) % 4);
	r->dmarc.sp = (enum am_dmarc_policy)((sel >> 20) % 4);
	r->dmarc.disposition = (enum am_dmarc_policy)((sel >> 22) % 4);
	fill(r->dmarc.header_from, sizeof(r->dmarc.header_from), s = fuzz_next(in, '\n')), free(s);
	fill(r->dmarc.policy_domain, sizeof(r->dmarc.policy_domain), s = fuzz_next(in, '\n')), free(s);
}

/* How many resinfo entries build() must have written. */
static unsigned expected_entries(const struct am_results *r)
{
	unsigned n = r->spf_mailfrom.checked + r->spf_helo.checked + (unsigned)r->dkim.count +
		     (r->dkim.checked && r->dkim.count == 0) + r->dmarc.checked;
	return n ? n : 1; /* "; none" */
}

/* Check the field body's form (lines of at most max_line bytes, 0: any);
 * returns the number of top-level ';'. */
static unsigned check_field(const char *v, size_t max_line)
{
	unsigned semis = 0, depth = 0;
	size_t line = 0;
	int quoted = 0;

	for (const char *p = v; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\n') {
			FUZZ_CHECK(p[1] == '\t');
			line = 0;
			continue;
		}
		FUZZ_CHECK((c >= 0x20 && c < 0x7f) || c == '\t');
		FUZZ_CHECK(++line <= max_line || max_line == 0);
		if (quoted) {
			if (c == '\\') {
				FUZZ_CHECK(p[1] != '\0' && p[1] != '\n');
				p++, line++;
			} else if (c == '"') {
				quoted = 0;
			}
		} else if (c == '"' && depth == 0) {
			quoted = 1;
		} else if (c == '(') {
			depth++;
		} else if (c == ')') {
			FUZZ_CHECK(depth > 0);
			depth--;
		} else if (c == ';' && depth == 0) {
			semis++;
		}
	}
	FUZZ_CHECK(!quoted && depth == 0);
	return semis;
}

/* am_authres_value: a token, or a complete quoted-string, in bounds. */
static void check_value(const char *v, size_t len)
{
	char *out = malloc(len);
	size_t n;

	if (out == NULL)
		abort();
	am_authres_value(v, out, len);
	n = strlen(out);
	FUZZ_CHECK(n < len);
	if (n > 0 && out[0] == '"') {
		FUZZ_CHECK(n >= 2 && out[n - 1] == '"');
		FUZZ_CHECK(check_field(out, 0) == 0); /* a value alone is not folded */
	} else if (n > 0) {
		FUZZ_CHECK(strcmp(out, v) == 0);
		FUZZ_CHECK(strpbrk(out, " \t\r\n\";()") == NULL);
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	char *id = fuzz_next(&in, '\n'), *incoming = fuzz_next(&in, '\n');
	char *out = malloc(AM_AUTHRES_MAX);
	struct am_results r;
	unsigned sel = 0;

	if (out == NULL)
		abort();
	/* Recognition: any bytes, both ways round. */
	(void)am_authres_claims(incoming, id);
	(void)am_authres_claims(id, incoming);
	for (const char *p = incoming; *p; p++)
		sel = sel * 31 + (unsigned char)*p;
	make_results(&in, sel, &r);
	if (am_authres_build(&r, id, out, AM_AUTHRES_MAX) == 0) {
		/* room for "Authentication-Results: " on the first line */
		FUZZ_CHECK(check_field(out, 998 - 24) == expected_entries(&r));
		/* Our own header, read back, claims our id (when the id is one
		 * that survives quoting: printable, not cut; am_authres_value
		 * keeps one byte of its buffer spare). */
		size_t quoted = strlen(id) + 2;
		for (const char *p = id; *p; p++)
			quoted += *p == '"' || *p == '\\';
		if (id[0] && fuzz_printable(id) && quoted + 1 < AM_DOMAIN_MAX + 8 && strcmp(id, ".") != 0)
			FUZZ_CHECK(am_authres_claims(out, id));
	}
	check_value(incoming, 1);
	check_value(incoming, 3);
	check_value(incoming, 16);
	check_value(incoming, strlen(incoming) + 3);
	free(out);
	free(id);
	free(incoming);
	return 0;
}
