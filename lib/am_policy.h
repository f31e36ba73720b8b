/*
 * am_policy.h - the verdict: a pure function of the stage, the results and
 * the config. No I/O, no clock, no globals, so it is tested from tables.
 */
#ifndef AM_POLICY_H
#define AM_POLICY_H

#include "am_config.h"
#include "am_results.h"

enum am_stage {
	AM_STAGE_RCPT,  /* per recipient, before DATA */
	AM_STAGE_EOM,   /* end of message: everything else */
};

struct am_verdict {
	enum am_action action;   /* AM_ACT_NONE at RCPT: no decision yet, go on */
	enum am_action would;    /* what dry_run suppressed (else == action) */
	char code[4];            /* SMTP reply code, "" for accept */
	char xcode[8];           /* enhanced status code */
	char text[256];          /* reply text (may hold wire text: the milter escapes it) */
	char reason[64];         /* for the log: "spf", "dmarc", "score", "internal", "trusted" */
	char mark[256];          /* accept, but add the marker header with this text */
	int score;
};

/* Decide what to tell the MTA at stage. */
void am_policy_decide(enum am_stage stage, const struct am_results *r, const struct am_config *cfg,
		      struct am_verdict *v);

/* The RFC 9989 local policy for the DMARC result (pure): r->dmarc gets the
 * disposition really applied, its RFC 9990 override reasons and, for a
 * reject, the evidence. am_policy_decide() reaches the same decision on
 * its own; the session calls this so the log and reports carry it. */
void am_policy_dmarc(struct am_results *r, const struct am_config *cfg);

/* The total score of the results (exposed for the log and tests). */
int am_policy_score(const struct am_results *r, const struct am_config *cfg);

#endif
