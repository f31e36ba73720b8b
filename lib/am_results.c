/*
 * am_results.c - names of result and action values, shared by the AR
 * writer, the decision log and the config parser.
 */
#include "am_config.h"
#include "am_results.h"

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
