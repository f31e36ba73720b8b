/*
 * dmarc_cases.h - the DMARC conformance tables ($AM_SHARED/conformance/
 * dmarc/cases.yml), converted by dmarc_yaml2tab.py and read into memory
 * for the C drivers, plus small helpers shared by them.
 */
#ifndef DMARC_CASES_H
#define DMARC_CASES_H

#include <stddef.h>

#define TCASE_FIELDS 12

struct tcase {
	char *block;
	size_t nf;
	char *key[TCASE_FIELDS];
	char *val[TCASE_FIELDS];
};

struct tcases {
	size_t n;
	struct tcase *c;
	char *psl_file;    /* the pinned public suffix list */
};

/* Load the tables. 0 loaded; 77 skip (why says what is missing); -1 error. */
int tcases_load(struct tcases *t, char *why, size_t whylen);
void tcases_free(struct tcases *t);

/* A field of a case ("" when absent). */
const char *tcase_get(const struct tcase *c, const char *key);

/* The zone block as am_dns_table_new text (malloc'd). */
char *tcases_zone(const struct tcases *t);

/* A TAP skip line for one case; it counts as a test (needs tap.h). */
#define tap_skip(what, why) (tap_run++, printf("ok %d - %s # SKIP %s\n", tap_run, (what), (why)))

#endif
