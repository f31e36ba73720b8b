/*
 * am_policy.c - results + scores + thresholds -> one verdict.
 *
 * The model every check plugs into: each result of each check adds its
 * [scores] points; [thresholds] quarantine and reject act on the total.
 * On top of it, in this order: the internal-error action; the DMARC
 * disposition (the RFC 9989 local policy below, am_policy_dmarc) and the
 * DMARC From-error and temperror actions; the SPF overrides (an SPF fail
 * reject, an SPF temperror tempfail), which a DMARC pass silences; then
 * the scores. dry_run logs what would have happened and accepts.
 *
 * The DMARC local policy (RFC 9989 5.4 and 7.4): an effective p=none
 * changes nothing; a named forwarder or a trusted ARC sealer accepts
 * (trusted_forwarder); an effective p=reject is rejected only on named
 * evidence of a spoof (strict, SPF fail inside the author's organisational
 * domain, the score) and otherwise quarantined, as mailing_list when a
 * verified list sent it, else local_policy. Every deviation from the
 * published policy is recorded as an RFC 9990 PolicyOverride.
 */
#include <stdio.h>
#include <string.h>

#include "am_policy.h"

/* Fill v with an action and its SMTP reply. */
static void set(struct am_verdict *v, enum am_action a, const char *code, const char *xcode,
		const char *reason, const char *text)
{
	v->action = v->would = a;
	snprintf(v->code, sizeof(v->code), "%s", code);
	snprintf(v->xcode, sizeof(v->xcode), "%s", xcode);
	snprintf(v->reason, sizeof(v->reason), "%s", reason);
	snprintf(v->text, sizeof(v->text), "%s", text);
}

/* An action with the reply an admin expects for it. */
static void act(struct am_verdict *v, enum am_action a, const char *xcode5, const char *xcode4,
		const char *reason, const char *text)
{
	if (a == AM_ACT_REJECT)
		set(v, a, "550", xcode5, reason, text);
	else if (a == AM_ACT_TEMPFAIL)
		set(v, a, "451", xcode4, reason, text);
	else
		set(v, a, "", "", reason, text);
}

/* The SPF result that speaks for the envelope: MAIL FROM, or HELO for <>. */
static const struct am_spf_result *envelope_spf(const struct am_results *r)
{
	return r->spf_mailfrom.checked ? &r->spf_mailfrom : &r->spf_helo;
}

/* The DKIM result that counts: pass if any signature passed, else the first. */
static enum am_result best_dkim(const struct am_dkim_result *d)
{
	for (size_t i = 0; i < d->count; i++)
		if (d->sigs[i].result == AM_RES_PASS)
			return AM_RES_PASS;
	return d->count ? d->sigs[0].result : AM_RES_NONE;
}

/* Sum of the points of every check that ran. */
int am_policy_score(const struct am_results *r, const struct am_config *cfg)
{
	const struct am_spf_result *spf = envelope_spf(r);
	int score = 0;

	if (spf->checked)
		score += cfg->score_spf[spf->result];
	if (r->dkim.checked)
		score += cfg->score_dkim[best_dkim(&r->dkim)];
	if (r->dmarc.checked && r->dmarc.result == AM_RES_FAIL)
		score += (unsigned)r->dmarc.effective_policy <= AM_DMARC_P_REJECT
				 ? cfg->score_dmarc_fail[r->dmarc.effective_policy]
				 : 0;
	else if (r->dmarc.checked)
		score += cfg->score_dmarc[r->dmarc.result];
	return score;
}

/* A DMARC pass vouches for the message: SPF overrides do not apply. */
static bool dmarc_passed(const struct am_results *r, const struct am_config *cfg)
{
	return cfg->dmarc_enable && r->dmarc.checked && r->dmarc.result == AM_RES_PASS;
}

/* Overrides that apply to an SPF result; true if one decided. */
static bool spf_override(const struct am_spf_result *spf, const struct am_config *cfg,
			 struct am_verdict *v)
{
	char text[256];

	if (!spf->checked)
		return false;
	if (spf->result == AM_RES_FAIL && cfg->spf_fail_action != AM_ACT_NONE) {
		snprintf(text, sizeof(text), "SPF check failed for %s%s%s", spf->domain,
			 spf->explanation[0] ? ": " : "", spf->explanation);
		act(v, cfg->spf_fail_action, "5.7.23", "4.7.23", "spf", text);
		return true;
	}
	if (spf->result == AM_RES_TEMPERROR && cfg->spf_temperror_action == AM_ACT_TEMPFAIL) {
		snprintf(text, sizeof(text), "Temporary SPF error for %s, try again later", spf->domain);
		act(v, AM_ACT_TEMPFAIL, "", "4.7.24", "spf-temperror", text);
		return true;
	}
	return false;
}

/* Copy tmpl into out with every "{domain}" replaced by domain. */
static void expand_domain(const char *tmpl, const char *domain, char *out, size_t outlen)
{
	size_t o = 0;

	for (const char *p = tmpl; *p && o + 1 < outlen;) {
		if (strncmp(p, "{domain}", 8) == 0) {
			int n = snprintf(out + o, outlen - o, "%s", domain);
			o = n < 0 ? o : (size_t)n >= outlen - o ? outlen - 1 : o + (size_t)n;
			p += 8;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
}

/* Is word one of the blank/comma separated words of list? */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list ? list : ""; *p;) {
		size_t len = strcspn(p, " \t,");
		if (len == n && strncmp(p, word, n) == 0)
			return true;
		p += len;
		p += strspn(p, " \t,");
	}
	return false;
}

/* An effective p=reject: reject on named evidence of a spoof, else
 * quarantine (RFC 9989 7.4: "in the absence of other knowledge and
 * analysis ... treat such failing mail as if the policy were
 * p=quarantine"), naming why. */
static void reject_or_quarantine(const struct am_results *r, const struct am_config *cfg,
				 struct am_dmarc_result *d)
{
	const char *ev = NULL;

	if (cfg->dmarc_strict)
		ev = "strict";
	else if (d->signals.spf_fail_in_author_org && has_word(cfg->dmarc_reject_evidence, "spf_fail_in_author_org"))
		ev = "spf_fail_in_author_org";
	else if (has_word(cfg->dmarc_reject_evidence, "score") && cfg->threshold_reject > 0 &&
		 am_policy_score(r, cfg) >= cfg->threshold_reject)
		ev = "score";
	if (ev != NULL) {
		snprintf(d->evidence, sizeof(d->evidence), "%s", ev);
		return;
	}
	d->disposition = AM_DMARC_P_QUARANTINE;
	/* A guessed list never does better than quarantine: anyone can
	 * register a domain, publish SPF for it and add List-Id. */
	if (cfg->dmarc_list_detection && d->signals.list_verified)
		am_dmarc_override_add(d, AM_DMARC_OV_MAILING_LIST, d->signals.list_why);
	else
		am_dmarc_override_add(d, AM_DMARC_OV_LOCAL_POLICY, "p=reject quarantined: no evidence of a spoof");
}

/* The local policy for a DMARC result: d (a copy of r->dmarc) gets its
 * disposition, overrides and evidence. dry: count dry_run as an override. */
static void dmarc_local(const struct am_results *r, const struct am_config *cfg, struct am_dmarc_result *d,
			bool dry)
{
	char why[AM_DOMAIN_MAX + 16];

	d->disposition = AM_DMARC_P_NONE;
	d->evidence[0] = '\0';
	/* RFC 9989 5.4: a policy of none MUST NOT modify mail handling. */
	if (!cfg->dmarc_enable || !d->checked || d->result != AM_RES_FAIL ||
	    d->effective_policy == AM_DMARC_P_NONE || d->effective_policy == AM_DMARC_P_UNSPEC)
		return;
	d->disposition = d->effective_policy;
	if (!cfg->dmarc_enforce) {
		d->disposition = AM_DMARC_P_NONE;
		am_dmarc_override_add(d, AM_DMARC_OV_LOCAL_POLICY, "enforce=no");
	} else if (d->signals.forwarder) {
		d->disposition = AM_DMARC_P_NONE;
		am_dmarc_override_add(d, AM_DMARC_OV_TRUSTED_FORWARDER, d->signals.forwarder_why);
	} else if (cfg->dmarc_trust_arc && r->arc.trusted_author_pass) {
		snprintf(why, sizeof(why), "arc sealer %s", r->arc.trusted_sealer);
		d->disposition = AM_DMARC_P_NONE;
		am_dmarc_override_add(d, AM_DMARC_OV_TRUSTED_FORWARDER, why);
	} else if (d->effective_policy == AM_DMARC_P_REJECT) {
		reject_or_quarantine(r, cfg, d);
	}
	if (dry && cfg->dry_run && d->disposition != AM_DMARC_P_NONE) {
		d->disposition = AM_DMARC_P_NONE;
		am_dmarc_override_add(d, AM_DMARC_OV_LOCAL_POLICY, "dry_run");
	}
}

/* Record the local policy's outcome in the results (see am_policy.h). */
void am_policy_dmarc(struct am_results *r, const struct am_config *cfg)
{
	struct am_dmarc_result d = r->dmarc;

	dmarc_local(r, cfg, &d, true);
	r->dmarc = d;
}

/* The DMARC disposition and the DMARC error actions; true if one decided. */
static bool dmarc_override(const struct am_results *r, const struct am_config *cfg, struct am_verdict *v)
{
	const struct am_dmarc_result *d = &r->dmarc;
	const char *domain = d->policy_domain[0] ? d->policy_domain : d->header_from;
	struct am_dmarc_result local;
	char text[256];

	if (!cfg->dmarc_enable || !d->checked)
		return false;
	if (d->from_status != AM_FROM_OK && cfg->dmarc_from_error_action != AM_ACT_NONE) {
		act(v, cfg->dmarc_from_error_action, "5.7.1", "4.7.1", "from",
		    "Message has no single valid author (From) address");
		return true;
	}
	if (d->result == AM_RES_TEMPERROR && cfg->dmarc_temperror_action == AM_ACT_TEMPFAIL) {
		snprintf(text, sizeof(text), "Temporary DMARC error for %s, try again later", domain);
		act(v, AM_ACT_TEMPFAIL, "", "4.7.1", "dmarc-temperror", text);
		return true;
	}
	if (d->result != AM_RES_FAIL)
		return false;
	local = *d;
	dmarc_local(r, cfg, &local, false);
	if (local.disposition == AM_DMARC_P_REJECT) {
		expand_domain(cfg->dmarc_reject_text, domain, text, sizeof(text));
		act(v, AM_ACT_REJECT, "5.7.1", "", "dmarc", text);
		return true;
	}
	if (local.disposition == AM_DMARC_P_QUARANTINE) {
		expand_domain(cfg->dmarc_quarantine_text, domain, text, sizeof(text));
		act(v, cfg->dmarc_quarantine_action, "", "", "dmarc", text);
		if (cfg->dmarc_quarantine_action == AM_ACT_ACCEPT)
			snprintf(v->mark, sizeof(v->mark), "%s", text);
		return true;
	}
	return false;
}

/* Thresholds on the total score. */
static void by_score(const struct am_results *r, const struct am_config *cfg, struct am_verdict *v)
{
	char text[128];

	v->score = am_policy_score(r, cfg);
	snprintf(text, sizeof(text), "Message failed authentication checks (score %d)", v->score);
	if (cfg->threshold_reject > 0 && v->score >= cfg->threshold_reject)
		act(v, AM_ACT_REJECT, "5.7.26", "", "score", text);
	else if (cfg->threshold_quarantine > 0 && v->score >= cfg->threshold_quarantine)
		set(v, AM_ACT_QUARANTINE, "", "", "score", text);
	else
		set(v, AM_ACT_ACCEPT, "", "", "pass", "");
}

/* Greylisting's tempfail, unless the message is refused anyway. */
static void greylist(const struct am_grey_result *g, struct am_verdict *v)
{
	if (!g->checked || !g->tempfail || v->action == AM_ACT_REJECT || v->action == AM_ACT_TEMPFAIL)
		return;
	set(v, AM_ACT_TEMPFAIL, g->code, g->xcode, "greylist", g->text);
}

/* Decide at RCPT (only what cannot wait) or at end of message (everything). */
void am_policy_decide(enum am_stage stage, const struct am_results *r, const struct am_config *cfg,
		      struct am_verdict *v)
{
	int score = am_policy_score(r, cfg);

	memset(v, 0, sizeof(*v));
	if (r->trusted) {
		set(v, stage == AM_STAGE_RCPT ? AM_ACT_NONE : AM_ACT_ACCEPT, "", "", "trusted", "");
	} else if (r->internal_error) {
		act(v, cfg->internal_error_action, "", "4.3.0", "internal",
		    "Temporary authentication failure, try again later");
	} else if (stage == AM_STAGE_RCPT) {
		/* RFC 7489 10.1: with DMARC on, an SPF fail is rejected only at
		 * end of message, once DKIM and DMARC have had their say. */
		if (cfg->dmarc_enable || !spf_override(envelope_spf(r), cfg, v) ||
		    v->action != AM_ACT_REJECT)
			set(v, AM_ACT_NONE, "", "", "", "");
		greylist(&r->grey, v);
	} else {
		if (!dmarc_override(r, cfg, v) &&
		    (dmarc_passed(r, cfg) || !spf_override(envelope_spf(r), cfg, v)))
			by_score(r, cfg, v);
		greylist(&r->grey, v);
	}
	v->score = score;
	if (cfg->dry_run && v->action != AM_ACT_NONE && v->action != AM_ACT_ACCEPT) {
		v->would = v->action;
		v->action = AM_ACT_ACCEPT;
		v->code[0] = v->xcode[0] = v->text[0] = v->mark[0] = '\0';
	}
}
