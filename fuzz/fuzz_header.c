/*
 * fuzz/fuzz_header.c - fuzz target: header unfolding, sanitising and name
 * comparison (lib/am_header.c) on any header value bytes, into output
 * buffers of several exact sizes. Checks that outputs stay in bounds, are
 * one line, trimmed, and free of control bytes where promised.
 */
#include <stdbool.h>
#include <strings.h>

#include "am_header.h"
#include "fuzz.h"

/* Unfold into an exact-size heap buffer of len bytes and check the result. */
static void unfold_into(const char *v, size_t len)
{
	char *out = malloc(len ? len : 1);
	bool complete;
	size_t n;

	if (out == NULL)
		abort();
	complete = am_header_unfold(v, out, len);
	if (len == 0) {
		FUZZ_CHECK(!complete);
		free(out);
		return;
	}
	n = strlen(out);
	FUZZ_CHECK(n < len);
	FUZZ_CHECK(strchr(out, '\r') == NULL && strchr(out, '\n') == NULL);
	if (n > 0) {
		FUZZ_CHECK(out[n - 1] != ' ' && out[n - 1] != '\t');
		FUZZ_CHECK(out[0] != ' ' && out[0] != '\t');
	}
	if (len > strlen(v))
		FUZZ_CHECK(complete);
	free(out);
}

/* Sanitise into len bytes: a prefix of the input with control bytes replaced. */
static void sanitize_into(const char *v, size_t len)
{
	char *out = malloc(len);
	size_t n;

	if (out == NULL)
		abort();
	am_header_sanitize(v, out, len);
	n = strlen(out);
	FUZZ_CHECK(n < len);
	FUZZ_CHECK(n == (strlen(v) < len - 1 ? strlen(v) : len - 1));
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i];
		FUZZ_CHECK(c >= 0x20 && c != 0x7f);
		FUZZ_CHECK(c == (unsigned char)v[i] || c == '?');
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *v = fuzz_cstr(data, size);
	const size_t lens[] = {0, 1, 2, 3, 16, 77, 998, size + 1};

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		unfold_into(v, lens[i]);
		if (lens[i] > 0)
			sanitize_into(v, lens[i]);
	}
	FUZZ_CHECK(am_header_name_is(v, "From") == (strcasecmp(v, "From") == 0));
	FUZZ_CHECK(!am_header_name_is(NULL, "From"));
	free(v);
	return 0;
}
