/*
 * test_am_policy_dmarc.c - the policy's DMARC and greylisting rules from
 * tables, on the shipped defaults (am_config_defaults) plus each row's
 * settings: RFC 9989 5.4 / 7.4 dispositions, RFC 9990 override reasons,
 * reject evidence, indirect-flow signals (forwarders, lists, trusted ARC
 * sealers, set here as the checks would set them), scores per effective
 * policy, the deprecated dmarc_fail key, and greylisting's tempfail
 * against the other verdicts.
 */
#include <stdio.h>
#include <string.h>

#include "am_dmarc_record.h"
#include "am_policy.h"
#include "tap.h"

#define P_N AM_DMARC_P_NONE
#define P_Q AM_DMARC_P_QUARANTINE
#define P_R AM_DMARC_P_REJECT

/* What a row sets in the results (as the DMARC/ARC checks would). */
enum sig {
	S_SPF_FAIL_ORG = 1,   /* SPF fail inside the author's org domain (SPF fail scored) */
	S_FORWARDER = 2,      /* named forwarder */
	S_LIST = 4,           /* List-Id present, not verified */
	S_LIST_OK = 8,        /* List-Id verified by SPF pass */
	S_ARC = 16,           /* trusted ARC sealer vouches */
	S_TESTY = 32,         /* t=y lowered the published policy (check's override) */
	S_DKIM_FAIL = 64,     /* a failing DKIM signature (2 points) */
	S_GREY = 128,         /* greylisting asks for a tempfail */
};

struct row {
	const char *name;
	enum am_dmarc_policy published, effective;
	unsigned sig;
	const char *settings;     /* "section.key=value ..." over the defaults */
	enum am_action want;
	const char *code;         /* SMTP code, "" for none */
	bool mark;                /* marker header text set */
	enum am_dmarc_policy dis; /* after am_policy_dmarc */
	const char *overrides;    /* RFC 9990 types, "," separated */
	const char *evidence;
};

static const struct row rows[] = {
	{"p=none failure is inert", P_N, P_N, 0, "", AM_ACT_ACCEPT, "", false, P_N, "", ""},
	{"p=none failure with SPF fail in the author's domain: still inert", P_N, P_N, S_SPF_FAIL_ORG, "",
	 AM_ACT_ACCEPT, "", false, P_N, "", ""},
	{"t=y on quarantine: none, policy_test_mode", P_Q, P_N, S_TESTY, "", AM_ACT_ACCEPT, "", false, P_N,
	 "policy_test_mode", ""},
	{"t=y on reject: quarantine (marker), policy_test_mode", P_R, P_Q, S_TESTY, "", AM_ACT_ACCEPT, "", true,
	 P_Q, "policy_test_mode", ""},
	{"p=quarantine: delivered with the marker", P_Q, P_Q, 0, "", AM_ACT_ACCEPT, "", true, P_Q, "", ""},
	{"p=quarantine, hold queue by option", P_Q, P_Q, 0, "dmarc.quarantine_action=quarantine",
	 AM_ACT_QUARANTINE, "", false, P_Q, "", ""},
	{"p=reject, no evidence: quarantined, local_policy", P_R, P_R, 0, "", AM_ACT_ACCEPT, "", true, P_Q,
	 "local_policy", ""},
	{"p=reject, SPF fail in the author's org domain: rejected", P_R, P_R, S_SPF_FAIL_ORG, "", AM_ACT_REJECT,
	 "550", false, P_R, "", "spf_fail_in_author_org"},
	{"p=reject, SPF fail in org, that evidence not configured: quarantined", P_R, P_R, S_SPF_FAIL_ORG,
	 "dmarc.reject_evidence=score", AM_ACT_ACCEPT, "", true, P_Q, "local_policy", ""},
	{"p=reject, score reaches the reject threshold: rejected", P_R, P_R, S_SPF_FAIL_ORG | S_DKIM_FAIL,
	 "dmarc.reject_evidence=score thresholds.reject=10", AM_ACT_REJECT, "550", false, P_R, "", "score"},
	{"p=reject, score below the reject threshold: quarantined", P_R, P_R, S_DKIM_FAIL,
	 "thresholds.reject=10", AM_ACT_ACCEPT, "", true, P_Q, "local_policy", ""},
	{"p=reject, strict (RFC 7489): rejected", P_R, P_R, 0, "dmarc.strict=yes", AM_ACT_REJECT, "550", false,
	 P_R, "", "strict"},
	{"p=reject, verified list: quarantined as mailing_list", P_R, P_R, S_LIST | S_LIST_OK, "",
	 AM_ACT_ACCEPT, "", true, P_Q, "mailing_list", ""},
	{"p=reject, forged List-Id: no better than plain", P_R, P_R, S_LIST, "", AM_ACT_ACCEPT, "", true, P_Q,
	 "local_policy", ""},
	{"p=reject, verified list, list_detection off: local_policy", P_R, P_R, S_LIST | S_LIST_OK,
	 "dmarc.list_detection=no", AM_ACT_ACCEPT, "", true, P_Q, "local_policy", ""},
	{"p=reject, verified list with SPF fail in org: rejected", P_R, P_R, S_LIST | S_LIST_OK | S_SPF_FAIL_ORG,
	 "", AM_ACT_REJECT, "550", false, P_R, "", "spf_fail_in_author_org"},
	{"p=reject, named forwarder: accepted, trusted_forwarder", P_R, P_R, S_FORWARDER, "", AM_ACT_ACCEPT,
	 "", false, P_N, "trusted_forwarder", ""},
	{"p=reject, named forwarder beats the SPF-fail evidence", P_R, P_R, S_FORWARDER | S_SPF_FAIL_ORG, "",
	 AM_ACT_ACCEPT, "", false, P_N, "trusted_forwarder", ""},
	{"p=reject, named forwarder under strict: accepted", P_R, P_R, S_FORWARDER, "dmarc.strict=yes",
	 AM_ACT_ACCEPT, "", false, P_N, "trusted_forwarder", ""},
	{"p=quarantine, named forwarder: accepted", P_Q, P_Q, S_FORWARDER, "", AM_ACT_ACCEPT, "", false, P_N,
	 "trusted_forwarder", ""},
	{"p=reject, trusted ARC sealer: accepted, trusted_forwarder", P_R, P_R, S_ARC, "", AM_ACT_ACCEPT, "",
	 false, P_N, "trusted_forwarder", ""},
	{"p=reject, trusted ARC sealer, trust_arc off: quarantined", P_R, P_R, S_ARC, "dmarc.trust_arc=no",
	 AM_ACT_ACCEPT, "", true, P_Q, "local_policy", ""},
	{"t=y on reject and a forwarder: both reasons", P_R, P_Q, S_TESTY | S_FORWARDER, "", AM_ACT_ACCEPT, "",
	 false, P_N, "policy_test_mode,trusted_forwarder", ""},
	{"enforce = no: nothing applied, local_policy", P_R, P_R, S_SPF_FAIL_ORG, "dmarc.enforce=no",
	 AM_ACT_ACCEPT, "", false, P_N, "local_policy", ""},
	{"dry run: accepted, local_policy", P_R, P_R, S_SPF_FAIL_ORG, "policy.dry_run=yes", AM_ACT_ACCEPT, "",
	 false, P_N, "local_policy", "spf_fail_in_author_org"},
	{"greylist tempfail beats a quarantine", P_Q, P_Q, S_GREY, "dmarc.quarantine_action=quarantine",
	 AM_ACT_TEMPFAIL, "451", false, P_Q, "", ""},
	{"greylist tempfail does not soften a reject", P_R, P_R, S_GREY | S_SPF_FAIL_ORG, "", AM_ACT_REJECT,
	 "550", false, P_R, "", "spf_fail_in_author_org"},
	{"greylist tempfail on a p=none failure", P_N, P_N, S_GREY, "", AM_ACT_TEMPFAIL, "451", false, P_N, "",
	 ""},
};

/* Apply "section.key=value ..." to cfg. */
static void apply_settings(struct am_config *cfg, const char *settings)
{
	char buf[256], err[256];

	snprintf(buf, sizeof(buf), "%s", settings);
	for (char *save = NULL, *kv = strtok_r(buf, " ", &save); kv; kv = strtok_r(NULL, " ", &save)) {
		char *dot = strchr(kv, '.'), *eq = strchr(kv, '=');
		if (dot == NULL || eq == NULL) {
			diag("bad setting %s", kv);
			continue;
		}
		*dot = *eq = '\0';
		if (am_config_set(cfg, kv, dot + 1, eq + 1, "row", 1, err, sizeof(err)) != 0)
			diag("%s", err);
	}
}

/* Results of a failing message from a row. */
static void make_results(const struct row *t, struct am_results *r)
{
	struct am_dmarc_result *d = &r->dmarc;

	memset(r, 0, sizeof(*r));
	r->spf_mailfrom.checked = true;
	r->spf_mailfrom.result = t->sig & S_SPF_FAIL_ORG ? AM_RES_FAIL : AM_RES_NONE;
	snprintf(r->spf_mailfrom.domain, sizeof(r->spf_mailfrom.domain), "author.example");
	r->dkim.checked = true;
	r->dkim.count = t->sig & S_DKIM_FAIL ? 1 : 0;
	r->dkim.sigs[0].result = AM_RES_FAIL;
	d->checked = true;
	d->result = AM_RES_FAIL;
	snprintf(d->header_from, sizeof(d->header_from), "author.example");
	d->p = d->policy = t->published;
	d->effective_policy = d->disposition = t->effective;
	if (t->sig & S_TESTY)
		am_dmarc_override_add(d, AM_DMARC_OV_POLICY_TEST_MODE, "t=y");
	d->signals.spf_fail_in_author_org = t->sig & S_SPF_FAIL_ORG;
	d->signals.forwarder = t->sig & S_FORWARDER;
	snprintf(d->signals.forwarder_why, sizeof(d->signals.forwarder_why), "forwarder network 192.0.2.0/24");
	d->signals.list = t->sig & S_LIST;
	d->signals.list_verified = t->sig & S_LIST_OK;
	snprintf(d->signals.list_why, sizeof(d->signals.list_why), "list l.lists.example, SPF pass");
	r->arc.trusted_author_pass = t->sig & S_ARC;
	snprintf(r->arc.trusted_sealer, sizeof(r->arc.trusted_sealer), "arc.example");
	if (t->sig & S_GREY) {
		r->grey.checked = r->grey.tempfail = true;
		strcpy(r->grey.code, "451");
		strcpy(r->grey.xcode, "4.7.1");
		strcpy(r->grey.text, "Greylisted");
	}
}

/* The override types of d, "," separated. */
static void override_types(const struct am_dmarc_result *d, char *out, size_t outlen)
{
	out[0] = '\0';
	for (unsigned i = 0; i < d->noverrides; i++) {
		size_t used = strlen(out);
		snprintf(out + used, outlen - used, "%s%s", i ? "," : "", am_dmarc_override_name(d->overrides[i].type));
	}
}

/* One row: the verdict, then what am_policy_dmarc records. */
static void run_row(const struct row *t)
{
	char err[256], types[128];
	struct am_config *cfg = am_config_defaults(err, sizeof(err));
	struct am_results r;
	struct am_verdict v;

	if (!ok(cfg != NULL, "%s: defaults (%s)", t->name, cfg ? "" : err))
		return;
	apply_settings(cfg, t->settings);
	make_results(t, &r);
	am_policy_decide(AM_STAGE_EOM, &r, cfg, &v);
	am_policy_dmarc(&r, cfg);
	override_types(&r.dmarc, types, sizeof(types));
	bool good = v.action == t->want && strcmp(v.code, t->code) == 0 && (v.mark[0] != '\0') == t->mark &&
		    r.dmarc.disposition == t->dis && strcmp(types, t->overrides) == 0 &&
		    strcmp(r.dmarc.evidence, t->evidence) == 0;
	if (!ok(good, "%s", t->name))
		diag("got %s %s mark=%d dis=%s overrides=%s evidence=%s", am_action_name(v.action), v.code,
		     v.mark[0] != '\0', am_dmarc_policy_name(r.dmarc.disposition), types, r.dmarc.evidence);
	if (t->sig & S_ARC && t->dis == P_N)
		ok(strstr(r.dmarc.overrides[0].comment, "arc.example") != NULL,
		   "%s: the sealer in the comment (%s)", t->name, r.dmarc.overrides[0].comment);
	am_config_free(cfg);
}

/* Scores per effective policy, and the deprecated dmarc_fail key. */
static void run_scores(void)
{
	char err[256];
	struct am_config *cfg = am_config_defaults(err, sizeof(err));
	struct am_results r;

	if (!ok(cfg != NULL, "defaults"))
		return;
	make_results(&rows[0], &r);
	r.spf_mailfrom.checked = false;
	r.dkim.checked = false;
	is_int(am_policy_score(&r, cfg), 0, "dmarc_fail_none: a p=none failure scores 0 by default");
	r.dmarc.effective_policy = P_Q;
	is_int(am_policy_score(&r, cfg), 3, "dmarc_fail_quarantine: 3 by default");
	r.dmarc.effective_policy = P_R;
	is_int(am_policy_score(&r, cfg), 3, "dmarc_fail_reject: 3 by default");
	ok(am_config_set(cfg, "scores", "dmarc_fail", "7", "old.ini", 12, err, sizeof(err)) == 0,
	   "deprecated dmarc_fail still accepted");
	is_int(cfg->score_dmarc_fail[P_Q] * 100 + cfg->score_dmarc_fail[P_R] * 10 + cfg->score_dmarc_fail[P_N], 770,
	       "dmarc_fail sets dmarc_fail_quarantine and dmarc_fail_reject, not dmarc_fail_none");
	is_str(cfg->warnings ? cfg->warnings : "",
	       "old.ini:12: [scores] dmarc_fail is deprecated: use dmarc_fail_quarantine and dmarc_fail_reject\n",
	       "the warning names FILE:LINE and the new keys");
	am_config_free(cfg);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i]);
	run_scores();
	return done_testing();
}
