/*
 * test_psl_conformance.c - the Public Suffix List's own test vectors
 * ($AM_SHARED/conformance/psl/tests.txt, "input expected" pairs, "null" for
 * none) through lib/am_psl.c with the pinned list of the same folder: the
 * code path psl-mode DMARC uses for the RFC 7489 organisational domain.
 * U-label expectations are compared as A-labels, the form am_psl returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am_from.h"
#include "am_psl.h"
#include "tap.h"

/* One vector: registrable domain of input, or none. */
static void check(const struct am_psl *psl, const char *input, const char *expect)
{
	char got[256] = "", want[256] = "", err[96];
	bool null_in = strcmp(input, "null") == 0, null_out = strcmp(expect, "null") == 0;
	int r = null_in ? -1 : am_psl_registrable(psl, input, got, sizeof got);
	if (!null_out && am_domain_normalize(expect, want, sizeof want, err, sizeof err) < 0) {
		ok(0, "%s -> %s (expected value does not normalise: %s)", input, expect, err);
		return;
	}
	if (!ok(null_out ? r < 0 : r == 0 && strcmp(got, want) == 0, "%s -> %s", input, expect))
		diag("got %s", r < 0 ? "null" : got);
}

int main(void)
{
	const char *shared = getenv("AM_SHARED");
	char list[4096], vectors[4096], line[1024], err[256];
	snprintf(list, sizeof list, "%s/conformance/psl/public_suffix_list.dat", shared ? shared : "../shared");
	snprintf(vectors, sizeof vectors, "%s/conformance/psl/tests.txt", shared ? shared : "../shared");
	FILE *f = fopen(vectors, "r");
	if (f == NULL) {
		printf("1..0 # SKIP %s not found (AM_SHARED unset or conformance data absent)\n", vectors);
		return 0;
	}
	struct am_psl *psl = am_psl_load(list, err, sizeof err);
	if (!ok(psl != NULL, "pinned list loads (%s)", psl ? list : err)) {
		fclose(f);
		return done_testing();
	}
	int n = 0;
	while (fgets(line, sizeof line, f)) {
		char in[512], out[512];
		if (strncmp(line, "//", 2) == 0 || sscanf(line, "%511s %511s", in, out) != 2)
			continue;
		check(psl, in, out);
		n++;
	}
	fclose(f);
	is_int(n, 78, "all 78 active vectors ran");
	ok(am_psl_load("/nonexistent/list.dat", err, sizeof err) == NULL, "missing list is an error: %s", err);
	am_psl_free(psl);
	return done_testing();
}
