/*
 * am_results.c - names of result, action, policy and outcome values, shared
 * by the AR writer, the decision log, the report data, metrics and the config
 * parser, so none of them links against a check module for a name.
 */
#include "am_config.h"
#include "am_results.h"

#include <stdio.h>

/* RFC 8601 keyword of a result. */
const char *am_result_name(enum am_result r)
{
	static const char *const names[AM_RES_COUNT] = {
		[AM_RES_NONE] = "none",         [AM_RES_PASS] = "pass",
		[AM_RES_FAIL] = "fail",         [AM_RES_SOFTFAIL] = "softfail",
		[AM_RES_NEUTRAL] = "neutral",   [AM_RES_TEMPERROR] = "temperror",
		[AM_RES_PERMERROR] = "permerror", [AM_RES_POLICY] = "policy",
	};
	return (unsigned)r < AM_RES_COUNT ? names[r] : "none";
}

/* Config and log name of an action. */
const char *am_action_name(enum am_action a)
{
	switch (a) {
	case AM_ACT_ACCEPT: return "accept";
	case AM_ACT_QUARANTINE: return "quarantine";
	case AM_ACT_TEMPFAIL: return "tempfail";
	case AM_ACT_REJECT: return "reject";
	case AM_ACT_NONE: break;
	}
	return "none";
}

/* RFC 9990 PolicyOverrideType keyword. */
const char *am_dmarc_override_name(enum am_dmarc_override_type t)
{
	static const char *const names[AM_DMARC_OV_COUNT] = {
		[AM_DMARC_OV_LOCAL_POLICY] = "local_policy",
		[AM_DMARC_OV_MAILING_LIST] = "mailing_list",
		[AM_DMARC_OV_OTHER] = "other",
		[AM_DMARC_OV_POLICY_TEST_MODE] = "policy_test_mode",
		[AM_DMARC_OV_TRUSTED_FORWARDER] = "trusted_forwarder",
	};
	return (unsigned)t < AM_DMARC_OV_COUNT ? names[t] : "other";
}

/* Add one override reason to a DMARC result (see am_results.h). */
void am_dmarc_override_add(struct am_dmarc_result *d, enum am_dmarc_override_type t,
			   const char *comment)
{
	for (unsigned i = 0; i < d->noverrides; i++)
		if (d->overrides[i].type == t)
			return;
	if (d->noverrides >= AM_DMARC_OVERRIDES_MAX)
		return;
	struct am_dmarc_override *o = &d->overrides[d->noverrides++];
	o->type = t;
	snprintf(o->comment, sizeof o->comment, "%s", comment ? comment : "");
}

/* Keyword of a policy value. */
const char *am_dmarc_policy_name(enum am_dmarc_policy p)
{
	switch (p) {
	case AM_DMARC_P_NONE: return "none";
	case AM_DMARC_P_QUARANTINE: return "quarantine";
	case AM_DMARC_P_REJECT: return "reject";
	default: return "";
	}
}

/* Name of a discovery mode. */
const char *am_dmarc_discovery_name(enum am_dmarc_discovery d)
{
	return d == AM_DMARC_TREEWALK ? "treewalk" : "psl";
}

/* Name of an outcome for the decision line. */
const char *am_grey_outcome_name(enum am_grey_outcome o)
{
	static const char *const names[] = {"none", "skipped", "whitelisted", "pass",
					    "error", "early", "new"};
	return (unsigned)o < sizeof(names) / sizeof(names[0]) ? names[o] : "none";
}

/* Result keyword. */
const char *am_bimi_outcome_name(enum am_bimi_outcome o)
{
	switch (o) {
	case AM_BIMI_PASS: return "pass";
	case AM_BIMI_FAIL: return "fail";
	case AM_BIMI_TEMPERROR: return "temperror";
	case AM_BIMI_DECLINED: return "declined";
	case AM_BIMI_SKIPPED: return "skipped";
	case AM_BIMI_NONE: break;
	}
	return "none";
}
