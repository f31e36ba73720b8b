/*
 * fuzz/fuzz_spf_record.c - fuzz target: the RFC 7208 syntax checks and the
 * record rewrite libspf2 is fed with (lib/am_spf_record.c,
 * am_spf_rewrite.c), on raw TXT bytes (NULs included, as DNS can carry
 * them). Checks: a refusal says why; a valid record always rewrites, into
 * printable text, for both address families, and a too-small buffer
 * gives -1 rather than an overflow; query names come out as DNS names.
 */
#include <sys/socket.h>

#include "am_spf_record.h"
#include "fuzz.h"

/* Rewrite into len bytes: -1, or printable text of the returned length. */
static int rewrite_into(const char *txt, size_t n, int family, size_t len, char **kept)
{
	char *out = malloc(len);
	int w;

	if (out == NULL)
		abort();
	w = am_spf_record_rewrite(txt, n, family, out, len);
	if (w >= 0) {
		FUZZ_CHECK((size_t)w < len && strlen(out) == (size_t)w && fuzz_printable(out));
		FUZZ_CHECK(am_spf_record_is_spf1(out, (size_t)w));
	}
	if (kept != NULL && w >= 0)
		*kept = out;
	else
		free(out);
	return w;
}

/* The rewrite of a valid record, in a roomy and in tight buffers. */
static void check_rewrite(const char *txt, size_t n, int family)
{
	char *full = NULL, *tight = NULL;
	int w = rewrite_into(txt, n, family, 8 * n + 64, &full);

	FUZZ_CHECK(w >= 0);
	if (rewrite_into(txt, n, family, (size_t)w + 1, &tight) >= 0) {
		FUZZ_CHECK(strcmp(full, tight) == 0);
		free(tight);
	}
	FUZZ_CHECK(rewrite_into(txt, n, family, (size_t)w, NULL) == -1);
	free(full);
}

/* A query name: labels of 1-63 bytes, at most 253, no control bytes. */
static void check_query_name(const char *in, size_t len)
{
	char *out = malloc(len);
	size_t n, label = 0;

	if (out == NULL)
		abort();
	if (am_spf_query_name(in, out, len) == 0) {
		n = strlen(out);
		FUZZ_CHECK(n > 0 && n <= 253 && n < len);
		for (size_t i = 0; i <= n; i++) {
			if (out[i] == '.' || out[i] == '\0') {
				FUZZ_CHECK(label > 0 && label <= 63);
				label = 0;
			} else {
				FUZZ_CHECK((unsigned char)out[i] >= 0x20 && out[i] != 0x7f && out[i] != '\\');
				label++;
			}
		}
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *raw = malloc(size ? size : 1), *cstr = fuzz_cstr(data, size);
	char err[256];
	struct am_spf_dual_cidr dc;

	if (raw == NULL)
		abort();
	memcpy(raw, data, size); /* exact size, not terminated */
	err[0] = '\0';
	if (am_spf_record_check(raw, size, err, sizeof(err)) == 0) {
		FUZZ_CHECK(am_spf_record_is_spf1(raw, size));
		check_rewrite(raw, size, AF_INET);
		check_rewrite(raw, size, AF_INET6);
	} else {
		FUZZ_CHECK(err[0] != '\0');
	}
	err[0] = '\0';
	if (am_spf_domain_spec_check(raw, size, err, sizeof(err)) != 0)
		FUZZ_CHECK(err[0] != '\0');
	err[0] = '\0';
	if (am_spf_explain_check(raw, size, err, sizeof(err)) != 0)
		FUZZ_CHECK(err[0] != '\0');
	am_spf_dual_cidr_split(raw, size, &dc);
	FUZZ_CHECK(dc.body_len <= size);
	FUZZ_CHECK(!dc.ip4 || (dc.ip4 >= raw && dc.ip4 + dc.ip4_len <= raw + size));
	FUZZ_CHECK(!dc.ip6 || (dc.ip6 >= raw && dc.ip6 + dc.ip6_len <= raw + size));
	(void)am_spf_domain_ok(cstr);
	check_query_name(cstr, 1);
	check_query_name(cstr, 64);
	check_query_name(cstr, 256);
	free(raw);
	free(cstr);
	return 0;
}
