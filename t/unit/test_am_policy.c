/*
 * test_am_policy.c - the verdict function from tables: stage x results x
 * config -> action, reply and reason.
 */
#include <string.h>

#include "am_policy.h"
#include "tap.h"

struct row {
	const char *name;
	enum am_stage stage;
	enum am_result spf;       /* MAIL FROM result (checked) */
	bool trusted, internal;
	enum am_action fail_action, temperror_action;
	int quarantine_at, reject_at;
	bool dry_run;
	enum am_action want;
	const char *want_code, *want_reason;
};

static const struct row rows[] = {
	{"pass accepted", AM_STAGE_EOM, AM_RES_PASS, 0, 0, AM_ACT_NONE, AM_ACT_NONE, 10, 15, 0, AM_ACT_ACCEPT, "", "pass"},
	{"fail by default only scores", AM_STAGE_EOM, AM_RES_FAIL, 0, 0, AM_ACT_NONE, AM_ACT_NONE, 10, 15, 0, AM_ACT_ACCEPT, "", "pass"},
	{"fail override reject at eom", AM_STAGE_EOM, AM_RES_FAIL, 0, 0, AM_ACT_REJECT, AM_ACT_NONE, 10, 15, 0, AM_ACT_REJECT, "550", "spf"},
	{"fail override reject at rcpt", AM_STAGE_RCPT, AM_RES_FAIL, 0, 0, AM_ACT_REJECT, AM_ACT_NONE, 10, 15, 0, AM_ACT_REJECT, "550", "spf"},
	{"fail override quarantine waits for eom", AM_STAGE_RCPT, AM_RES_FAIL, 0, 0, AM_ACT_QUARANTINE, AM_ACT_NONE, 10, 15, 0, AM_ACT_NONE, "", ""},
	{"fail override quarantine at eom", AM_STAGE_EOM, AM_RES_FAIL, 0, 0, AM_ACT_QUARANTINE, AM_ACT_NONE, 10, 15, 0, AM_ACT_QUARANTINE, "", "spf"},
	{"softfail not rejected by fail override", AM_STAGE_EOM, AM_RES_SOFTFAIL, 0, 0, AM_ACT_REJECT, AM_ACT_NONE, 10, 15, 0, AM_ACT_ACCEPT, "", "pass"},
	{"fail score over quarantine threshold", AM_STAGE_EOM, AM_RES_FAIL, 0, 0, AM_ACT_NONE, AM_ACT_NONE, 5, 15, 0, AM_ACT_QUARANTINE, "", "score"},
	{"fail score over reject threshold", AM_STAGE_EOM, AM_RES_FAIL, 0, 0, AM_ACT_NONE, AM_ACT_NONE, 3, 5, 0, AM_ACT_REJECT, "550", "score"},
	{"threshold 0 is off", AM_STAGE_EOM, AM_RES_FAIL, 0, 0, AM_ACT_NONE, AM_ACT_NONE, 0, 0, 0, AM_ACT_ACCEPT, "", "pass"},
	{"temperror tempfail override", AM_STAGE_EOM, AM_RES_TEMPERROR, 0, 0, AM_ACT_NONE, AM_ACT_TEMPFAIL, 10, 15, 0, AM_ACT_TEMPFAIL, "451", "spf-temperror"},
	{"temperror default accepted", AM_STAGE_EOM, AM_RES_TEMPERROR, 0, 0, AM_ACT_NONE, AM_ACT_NONE, 10, 15, 0, AM_ACT_ACCEPT, "", "temperror-accepted"},
	{"trusted skips everything", AM_STAGE_EOM, AM_RES_FAIL, 1, 0, AM_ACT_REJECT, AM_ACT_NONE, 1, 1, 0, AM_ACT_ACCEPT, "", "trusted"},
	{"trusted at rcpt goes on", AM_STAGE_RCPT, AM_RES_FAIL, 1, 0, AM_ACT_REJECT, AM_ACT_NONE, 1, 1, 0, AM_ACT_NONE, "", "trusted"},
	{"internal error tempfails", AM_STAGE_EOM, AM_RES_PASS, 0, 1, AM_ACT_NONE, AM_ACT_NONE, 10, 15, 0, AM_ACT_TEMPFAIL, "451", "internal"},
	{"dry run accepts a reject", AM_STAGE_EOM, AM_RES_FAIL, 0, 0, AM_ACT_REJECT, AM_ACT_NONE, 10, 15, 1, AM_ACT_ACCEPT, "", "spf"},
	{"dry run at rcpt", AM_STAGE_RCPT, AM_RES_FAIL, 0, 0, AM_ACT_REJECT, AM_ACT_NONE, 10, 15, 1, AM_ACT_ACCEPT, "", "spf"},
	{"nothing to say at rcpt", AM_STAGE_RCPT, AM_RES_PASS, 0, 0, AM_ACT_REJECT, AM_ACT_NONE, 10, 15, 0, AM_ACT_NONE, "", ""},
};

/* A From over the limits DMARC evaluates is refused whatever
 * from_error_action says, and dry_run still only logs it. */
static void run_from_over_limit(void)
{
	static const enum am_action from_error[] = {AM_ACT_NONE, AM_ACT_ACCEPT, AM_ACT_TEMPFAIL};
	for (size_t i = 0; i < 3; i++) {
		struct am_config cfg = {.dmarc_enable = true, .dmarc_enforce = true,
					.dmarc_from_error_action = from_error[i], .threshold_reject = 15};
		struct am_results r = {0};
		struct am_verdict v;
		r.dmarc.checked = true;
		r.dmarc.result = AM_RES_PERMERROR;
		r.dmarc.from_status = AM_FROM_OVER_LIMIT;
		strcpy(r.dmarc.reason, "From names more than 4 distinct domains (9 mailboxes)");
		am_policy_decide(AM_STAGE_EOM, &r, &cfg, &v);
		ok(v.action == AM_ACT_REJECT && strcmp(v.code, "550") == 0 && strcmp(v.xcode, "5.7.1") == 0 &&
			   strcmp(v.reason, "from-limit") == 0 &&
			   strcmp(v.text, "Cannot determine the author: From names more than 4 distinct domains "
					  "(9 mailboxes)") == 0,
		   "From over the limit, from_error_action %s: 550 5.7.1 from-limit (%s)",
		   am_action_name(from_error[i]), v.text);
		cfg.dry_run = true;
		am_policy_decide(AM_STAGE_EOM, &r, &cfg, &v);
		ok(v.action == AM_ACT_ACCEPT && v.would == AM_ACT_REJECT, "  dry run: would reject");
		cfg.dry_run = false;
		cfg.dmarc_enforce = false;
		am_policy_decide(AM_STAGE_EOM, &r, &cfg, &v);
		ok(strcmp(v.reason, "from-limit") != 0 && v.action == (i == 0 ? AM_ACT_ACCEPT : from_error[i]),
		   "  [dmarc] enforce = no: from_error_action decides (%s)", am_action_name(v.action));
	}
}

/* Several From domains: a fail short of reject beside another domain's
 * temperror tempfails where temperror_action says so, as that domain
 * alone would; a reject still rejects. */
static void run_multi_temperror(void)
{
	struct am_config cfg = {.dmarc_enable = true, .dmarc_enforce = true,
				.dmarc_temperror_action = AM_ACT_TEMPFAIL, .threshold_reject = 15,
				.dmarc_reject_text = "Rejected by the DMARC policy of {domain}"};
	struct am_results r = {0};
	struct am_verdict v;
	r.dmarc.checked = true;
	r.dmarc.from_status = AM_FROM_MULTIPLE_DOMAINS;
	r.dmarc.result = AM_RES_FAIL;
	r.dmarc.disposition = AM_DMARC_P_NONE;
	r.dmarc.other_temperror = true;
	am_policy_decide(AM_STAGE_EOM, &r, &cfg, &v);
	ok(v.action == AM_ACT_TEMPFAIL && strcmp(v.reason, "dmarc-temperror") == 0,
	   "p=none fail and another From domain's temperror, temperror_action tempfail: tempfail");
	cfg.dmarc_temperror_action = AM_ACT_NONE;
	am_policy_decide(AM_STAGE_EOM, &r, &cfg, &v);
	ok(v.action == AM_ACT_ACCEPT, "  temperror_action none: the scores decide, as for either alone");
	cfg.dmarc_temperror_action = AM_ACT_TEMPFAIL;
	r.dmarc.effective_policy = AM_DMARC_P_REJECT;
	cfg.dmarc_strict = true; /* reject on p=reject alone (RFC 7489) */
	am_policy_decide(AM_STAGE_EOM, &r, &cfg, &v);
	ok(v.action == AM_ACT_REJECT, "  a p=reject fail still rejects (strict)");
}

/* Fail-open is named as such unless DMARC vouches for the message. */
static void test_temperror_reason(void)
{
	struct am_config cfg = {.dmarc_enable = true, .threshold_quarantine = 10, .threshold_reject = 15};
	struct am_results r = {0};
	struct am_verdict v;

	r.dkim.checked = true;
	r.dkim.count = 1;
	r.dkim.sigs[0].result = AM_RES_TEMPERROR;
	am_policy_decide(AM_STAGE_EOM, &r, &cfg, &v);
	is_str(v.reason, "temperror-accepted", "DKIM key look-up temperror: temperror-accepted");
	r.dmarc = (struct am_dmarc_result){.checked = true, .result = AM_RES_PASS};
	am_policy_decide(AM_STAGE_EOM, &r, &cfg, &v);
	is_str(v.reason, "pass", "the same with a DMARC pass (aligned SPF): pass");
	r.dmarc.result = AM_RES_TEMPERROR;
	r.dkim.sigs[0].result = AM_RES_PASS;
	am_policy_decide(AM_STAGE_EOM, &r, &cfg, &v);
	is_str(v.reason, "temperror-accepted", "DMARC record look-up temperror: temperror-accepted");
	memset(&r, 0, sizeof(r));
	r.grey = (struct am_grey_result){.checked = true, .outcome = AM_GREY_ERROR};
	am_policy_decide(AM_STAGE_EOM, &r, &cfg, &v);
	is_str(v.reason, "temperror-accepted", "greylisting store down, on_store_error = accept");
}

int main(void)
{
	run_from_over_limit();
	run_multi_temperror();
	test_temperror_reason();
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *t = &rows[i];
		struct am_config cfg = {0};
		struct am_results r = {0};
		struct am_verdict v;

		cfg.score_spf[AM_RES_FAIL] = 5;
		cfg.score_spf[AM_RES_SOFTFAIL] = 2;
		cfg.spf_fail_action = t->fail_action;
		cfg.spf_temperror_action = t->temperror_action;
		cfg.threshold_quarantine = t->quarantine_at;
		cfg.threshold_reject = t->reject_at;
		cfg.dry_run = t->dry_run;
		cfg.internal_error_action = AM_ACT_TEMPFAIL;
		r.trusted = t->trusted;
		r.internal_error = t->internal;
		r.spf_mailfrom.checked = true;
		r.spf_mailfrom.result = t->spf;
		strcpy(r.spf_mailfrom.domain, "sender.example");
		am_policy_decide(t->stage, &r, &cfg, &v);
		ok(v.action == t->want && strcmp(v.code, t->want_code) == 0 &&
		   strcmp(v.reason, t->want_reason) == 0, "%s", t->name);
		if (v.action != t->want || strcmp(v.reason, t->want_reason) != 0)
			diag("got %s %s reason=%s", am_action_name(v.action), v.code, v.reason);
		if (t->dry_run)
			ok(v.would == AM_ACT_REJECT, "%s: would-be action kept for the log", t->name);
	}
	return done_testing();
}
