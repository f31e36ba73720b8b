/*
 * fuzz/fuzz_bimi_record.c - fuzz target: BIMI Assertion Record and
 * BIMI-Selector header parsing (lib/am_bimi_record.c, lib/am_bimi.c) and
 * the judgement of a record text (am_bimi_apply_record), on any TXT or
 * header bytes. Input: "record\0selector-header" (either part may be
 * missing). Checks: a record that parses starts with v=BIMI1 and carries
 * https URIs (or is a declination); selectors come out lower-case and
 * bounded; a pass always has a location.
 */
#include <ctype.h>
#include <strings.h>

#include "am_bimi.h"
#include "fuzz.h"

/* One record: parse and judge it. */
static void check_record(const char *txt)
{
	struct am_bimi_record rec;
	struct am_bimi_result res;
	char err[128] = "";

	if (am_bimi_record_parse(txt, &rec, err, sizeof(err)) == 0) {
		FUZZ_CHECK(am_bimi_record_is_bimi(txt));
		FUZZ_CHECK(strlen(rec.location) < sizeof(rec.location));
		FUZZ_CHECK(strlen(rec.authority) < sizeof(rec.authority));
		FUZZ_CHECK(rec.declined || rec.location[0] == '\0' ||
			   strncasecmp(rec.location, "https://", 8) == 0);
		FUZZ_CHECK(rec.authority[0] == '\0' || strncasecmp(rec.authority, "https://", 8) == 0);
	} else {
		FUZZ_CHECK(err[0] != '\0');
	}
	for (int req = 0; req < 2; req++) {
		memset(&res, 0, sizeof(res));
		am_bimi_apply_record(txt, req, &res);
		FUZZ_CHECK(res.result <= AM_BIMI_SKIPPED);
		FUZZ_CHECK(strlen(res.location) < sizeof(res.location));
		FUZZ_CHECK(strlen(res.reason) < sizeof(res.reason));
		FUZZ_CHECK(res.result != AM_BIMI_PASS || res.location[0] != '\0');
	}
}

/* A BIMI-Selector header into buffers of a few sizes. */
static void check_selector(const char *value)
{
	const size_t lens[] = {1, 8, AM_BIMI_SELECTOR_MAX};
	char err[128];

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		char *sel = malloc(lens[i]);
		if (sel == NULL)
			abort();
		err[0] = '\0';
		if (am_bimi_selector_parse(value, sel, lens[i], err, sizeof(err)) == 0) {
			FUZZ_CHECK(sel[0] != '\0' && strlen(sel) < lens[i]);
			for (const char *p = sel; *p; p++)
				FUZZ_CHECK(!isupper((unsigned char)*p));
		} else {
			FUZZ_CHECK(err[0] != '\0');
		}
		free(sel);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	char *record = fuzz_next(&in, '\0'), *selector = fuzz_next(&in, '\0');

	check_record(record);
	check_selector(selector);
	check_selector(record);
	free(record);
	free(selector);
	return 0;
}
