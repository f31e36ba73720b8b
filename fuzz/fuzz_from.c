/*
 * fuzz/fuzz_from.c - fuzz target: RFC5322.From parsing (lib/am_from.c) and
 * domain normalisation. The input is up to four From header values
 * separated by NUL bytes (a value from libmilter cannot hold one). Checks
 * the promises DMARC relies on: an OK status names exactly one lower-case
 * LDH domain, which parses back to itself; counts stay within bounds.
 */
#include <ctype.h>

#include "am_from.h"
#include "fuzz.h"

/* A lower-case LDH name of 1-253 bytes with labels of 1-63. */
static void check_domain(const char *d)
{
	size_t n = strlen(d), label = 0;

	FUZZ_CHECK(n > 0 && n <= 253);
	for (size_t i = 0; i <= n; i++) {
		if (d[i] == '.' || d[i] == '\0') {
			FUZZ_CHECK(label > 0 && label <= 63);
			label = 0;
			continue;
		}
		FUZZ_CHECK(islower((unsigned char)d[i]) || isdigit((unsigned char)d[i]) || d[i] == '-');
		label++;
	}
}

/* An OK domain written as "x@domain" must give the same domain again. */
static void check_round_trip(const char *domain)
{
	char addr[AM_DOMAIN_MAX + 4];
	struct am_from again;

	snprintf(addr, sizeof(addr), "x@%s", domain);
	FUZZ_CHECK(am_from_parse_one(addr, &again) == AM_FROM_OK);
	FUZZ_CHECK(strcmp(again.domain, domain) == 0);
}

/* Normalise v into buffers of a few sizes; any output is a checked domain. */
static void normalize_sizes(const char *v)
{
	const size_t lens[] = {1, 8, AM_DOMAIN_MAX};
	char err[64];

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		char *out = malloc(lens[i]);
		if (out == NULL)
			abort();
		if (am_domain_normalize(v, out, lens[i], err, sizeof(err)) == 0) {
			FUZZ_CHECK(strlen(out) < lens[i]);
			check_domain(out);
		} else {
			FUZZ_CHECK(err[0] != '\0');
		}
		free(out);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	char *values[4];
	size_t count = 0;
	struct am_from out;

	while (count < 4 && (count == 0 || in.left > 0))
		values[count++] = fuzz_next(&in, '\0');
	am_from_parse((const char *const *)values, count, &out);
	FUZZ_CHECK(out.nheaders == count);
	FUZZ_CHECK(out.ndomains <= AM_FROM_MAX_DOMAINS);
	FUZZ_CHECK(strlen(out.reason) < sizeof(out.reason));
	if (out.status == AM_FROM_OK) {
		FUZZ_CHECK(count == 1 && out.ndomains == 1 && out.nmailboxes >= 1);
		check_domain(out.domain);
		check_round_trip(out.domain);
	} else {
		FUZZ_CHECK(out.domain[0] == '\0' && out.reason[0] != '\0');
	}
	for (size_t i = 0; i < out.ndomains; i++)
		check_domain(out.domains[i]);
	normalize_sizes(values[0]);
	for (size_t i = 0; i < count; i++)
		free(values[i]);
	return 0;
}
