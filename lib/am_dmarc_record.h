/*
 * am_dmarc_record.h - DMARC policy record tag parsing and validation.
 *
 * Validates every known tag against the ABNF of RFC 7489 section 6.4 and
 * RFC 9989 section 4.8 (np=, psd=, t=), so that an invalid optional tag
 * falls back to its default instead of voiding the record, as both RFCs
 * require (libopendmarc 1.4.2 fails the whole record instead, accepts
 * prefixes such as "p=n", and does not know np/psd/t). What a record means
 * (p= fallbacks, which tag applies) is decided in am_dmarc.c. No DNS.
 */
#ifndef AM_DMARC_RECORD_H
#define AM_DMARC_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "am_results.h"

struct am_dmarc_record {
	enum am_dmarc_policy p, sp, np;  /* UNSPEC when absent or invalid */
	bool p_bad, sp_bad, np_bad;      /* present with an invalid value */
	char adkim, aspf;                /* 'r', 's', or 0 (absent/invalid) */
	int pct;                         /* 0..100, -1 absent/invalid */
	char psd;                        /* 'y', 'n', 'u', or 0 */
	char t;                          /* 'y', 'n', or 0 */
	bool rua_usable;                 /* rua= has a mailto/http(s) URI */
	char rua[256];                   /* rua= as published (truncated) */
	char fo[16];                     /* fo= as published, for reports ("" absent) */
	unsigned nbad;                   /* known tags with invalid values */
	char bad[64];                    /* their names, space separated */
};

/* True when txt starts with a v=DMARC1 tag (the RFCs' filter). */
bool am_dmarc_is_record(const char *txt);

/* Parse a record, however long. Returns 0, -1 when txt is not a DMARC
 * record, or -2 when memory for a copy could not be had. */
int am_dmarc_record_parse(const char *txt, struct am_dmarc_record *rec);

/* Can the record be applied? RFC 7489 6.6.3 (rfc9989 false): needs a valid
 * p= and no invalid sp=/np=; RFC 9989 4.10.1: an absent p= reads as none.
 * Otherwise a usable rua= turns it into "p=none" (*as_none set). */
bool am_dmarc_record_usable(const struct am_dmarc_record *rec, bool rfc9989, bool *as_none);

/* Check one tag value: 1 valid, 0 invalid, -1 unknown tag ("v" included). */
int am_dmarc_tag_check(const char *tag, const char *value);


#endif
