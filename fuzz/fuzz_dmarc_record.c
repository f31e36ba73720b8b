/*
 * fuzz/fuzz_dmarc_record.c - fuzz target: DMARC policy record parsing and
 * tag validation (lib/am_dmarc_record.c) on any TXT text. Checks that the
 * parsed values stay in their documented ranges, that a rejected record
 * is exactly one without v=DMARC1, and that a tag the record accepted
 * passes am_dmarc_tag_check on its own.
 */
#include "am_dmarc_record.h"
#include "fuzz.h"

/* Every field within what am_dmarc_record.h promises. */
static void check_record(const struct am_dmarc_record *r)
{
	FUZZ_CHECK(r->p <= AM_DMARC_P_REJECT && r->sp <= AM_DMARC_P_REJECT && r->np <= AM_DMARC_P_REJECT);
	FUZZ_CHECK(!r->p_bad || r->p == AM_DMARC_P_UNSPEC);
	FUZZ_CHECK(!r->sp_bad || r->sp == AM_DMARC_P_UNSPEC);
	FUZZ_CHECK(!r->np_bad || r->np == AM_DMARC_P_UNSPEC);
	FUZZ_CHECK(r->adkim == 0 || r->adkim == 'r' || r->adkim == 's');
	FUZZ_CHECK(r->aspf == 0 || r->aspf == 'r' || r->aspf == 's');
	FUZZ_CHECK(r->pct >= -1 && r->pct <= 100);
	FUZZ_CHECK(r->psd == 0 || r->psd == 'y' || r->psd == 'n' || r->psd == 'u');
	FUZZ_CHECK(r->t == 0 || r->t == 'y' || r->t == 'n');
	FUZZ_CHECK(strlen(r->rua) < sizeof(r->rua) && strlen(r->bad) < sizeof(r->bad));
	FUZZ_CHECK(r->nbad <= 13 && (r->nbad == 0) == (r->bad[0] == '\0'));
	FUZZ_CHECK(!r->rua_usable || am_dmarc_tag_check("rua", r->rua) == 1 ||
		   strlen(r->rua) == sizeof(r->rua) - 1);
	for (int m = 0; m < 2; m++) {
		bool as_none = true, usable = am_dmarc_record_usable(r, m, &as_none);
		FUZZ_CHECK(!as_none || usable);
		FUZZ_CHECK(!as_none || r->rua_usable);
	}
	if (r->p != AM_DMARC_P_UNSPEC)
		FUZZ_CHECK(am_dmarc_tag_check("p", am_dmarc_policy_name(r->p)) == 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *txt = fuzz_cstr(data, size);
	struct am_dmarc_record rec;
	int rc = am_dmarc_record_parse(txt, &rec);
	char *eq;

	FUZZ_CHECK((rc == 0) == am_dmarc_is_record(txt));
	check_record(&rec);
	/* The input as one "tag=value" for the validator alone. */
	if ((eq = strchr(txt, '=')) != NULL) {
		*eq = '\0';
		rc = am_dmarc_tag_check(txt, eq + 1);
		FUZZ_CHECK(rc >= -1 && rc <= 1);
	}
	free(txt);
	return 0;
}
