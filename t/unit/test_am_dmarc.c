/*
 * test_am_dmarc.c - DMARC evaluation (lib/am_dmarc*.c) from tables, on the
 * table-driven resolver: discovery in both modes, alignment, p/sp/np, pct
 * (deterministic random source), t=, the tree walk (policy two and four
 * labels up, psd=y, the query bound), no record, syntax errors, DNS
 * timeouts, trusted-forwarder overrides, From errors, several From domains.
 * The PSL is the pinned copy in $AM_SHARED/conformance/psl (skipped, with
 * a reason, when that folder is absent).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am_config.h"
#include "am_dmarc.h"
#include "am_dmarc_record.h"
#include "tap.h"

static const char zone[] =
	"_dmarc.example.com TXT v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@example.com\n"
	"example.com MX 10 mx.example.com\n"
	"mail.example.com A 192.0.2.1\n"
	"_dmarc.strict.example TXT v=DMARC1; p=reject; adkim=s; aspf=s\n"
	"sub.strict.example A 192.0.2.2\n"
	"_dmarc.none.example TXT v=DMARC1; p=none\n"
	"_dmarc.np.example TXT v=DMARC1; p=reject; sp=none; np=quarantine\n"
	"real.np.example A 192.0.2.3\n"
	"txtonly.np.example TXT \"hello\"\n"
	"_dmarc.pct0.example TXT v=DMARC1; p=reject; pct=0\n"
	"_dmarc.pct50.example TXT v=DMARC1; p=quarantine; pct=50\n"
	"_dmarc.pct100.example TXT v=DMARC1; p=reject; pct=100\n"
	"_dmarc.syntax.example TXT v=DMARC1; p=bogus\n"
	"_dmarc.syntaxrua.example TXT v=DMARC1; p=bogus; rua=mailto:x@syntaxrua.example\n"
	"_dmarc.badopt.example TXT v=DMARC1; p=reject; adkim=bob; pct=500; aspf=strict\n"
	"_dmarc.iodef.example TXT v=DMARC1; p=reject; rf=iodef\n"
	"_dmarc.multi.example TXT v=DMARC1; p=reject\n"
	"_dmarc.multi.example TXT v=DMARC1; p=none\n"
	"_dmarc.notdmarc.example TXT v=spf1 -all\n"
	"_dmarc.notfirst.example TXT p=reject; v=DMARC1\n"
	"_dmarc.timeout.example TIMEOUT\n"
	"_dmarc.servfail.example SERVFAIL\n"
	"_dmarc.t.example TXT v=DMARC1; p=reject; t=y\n"
	"_dmarc.nop.example TXT v=DMARC1; rua=mailto:a@nop.example\n"
	"_dmarc.split.example TXT \"v=DMARC1; \" \"p=reject\"\n"
	/* tree walk */
	"_dmarc.walk.example TXT v=DMARC1; p=reject; sp=quarantine\n"
	"a.b.walk.example A 192.0.2.4\n"
	"a.b.c.d.walk.example A 192.0.2.5\n"
	"_dmarc.mid.walk.example TXT v=DMARC1; p=none\n"
	"_dmarc.psd.example TXT v=DMARC1; psd=y; p=quarantine\n"
	"org.psd.example A 192.0.2.6\n"
	"_dmarc.psdn.example TXT v=DMARC1; p=reject\n"
	"_dmarc.sub.psdn.example TXT v=DMARC1; p=none; psd=n\n"
	"_dmarc.slow.example TIMEOUT\n";

enum { PSL = 0, WALK, FWD, NOMULTI, NCTX };

struct dcase {
	const char *what;
	int ctx;
	const char *from;        /* From header value */
	const char *spf;         /* SPF-pass MAIL FROM domain ("!d": fail) */
	const char *dkim;        /* d= list, "!d" a failing signature */
	unsigned rnd;            /* pct draw; FWD cases: which client (0 a forwarder
				  * network, 1 a forwarder host name, 2 neither) */
	enum am_result want;
	enum am_dmarc_policy dis;  /* FWD cases: none = the forwarder signal is set (the
				    * check leaves the disposition to am_policy.c) */
	const char *poldom;      /* expected polrec.domain, or NULL */
	const char *tag;         /* expected policy tag, or NULL */
};

#define R_ AM_DMARC_P_REJECT
#define Q_ AM_DMARC_P_QUARANTINE
#define N_ AM_DMARC_P_NONE

static const struct dcase cases[] = {
	{"aligned SPF only", PSL, "a@example.com", "example.com", NULL, 0, AM_RES_PASS, N_, "example.com", "p"},
	{"aligned DKIM only", PSL, "a@example.com", NULL, "example.com", 0, AM_RES_PASS, N_, "example.com", "p"},
	{"both aligned", PSL, "a@example.com", "example.com", "example.com", 0, AM_RES_PASS, N_, NULL, NULL},
	{"neither aligned", PSL, "a@example.com", "other.example", "other.example", 0, AM_RES_FAIL, R_,
	 "example.com", "p"},
	{"SPF fail does not align", PSL, "a@example.com", "!example.com", NULL, 0, AM_RES_FAIL, R_, NULL, NULL},
	{"failing DKIM does not align", PSL, "a@example.com", NULL, "!example.com", 0, AM_RES_FAIL, R_, NULL, NULL},
	{"relaxed SPF: bounce subdomain", PSL, "a@example.com", "bounce.example.com", NULL, 0, AM_RES_PASS, N_, NULL,
	 NULL},
	{"relaxed DKIM: parent d=", PSL, "a@mail.example.com", NULL, "example.com", 0, AM_RES_PASS, N_, NULL, NULL},
	{"second signature aligns", PSL, "a@example.com", NULL, "list.example !example.com example.com", 0,
	 AM_RES_PASS, N_, NULL, NULL},
	{"strict SPF: subdomain fails", PSL, "a@strict.example", "sub.strict.example", NULL, 0, AM_RES_FAIL, R_, NULL,
	 NULL},
	{"strict DKIM: same domain passes", PSL, "a@strict.example", NULL, "strict.example", 0, AM_RES_PASS, N_,
	 NULL, NULL},
	{"existing subdomain: sp=", PSL, "a@mail.example.com", NULL, NULL, 0, AM_RES_FAIL, Q_, "example.com", "sp"},
	{"p=none fails with disposition none", PSL, "a@none.example", NULL, NULL, 0, AM_RES_FAIL, N_, NULL, "p"},
	{"np=: non-existent subdomain", PSL, "a@ghost.np.example", NULL, NULL, 0, AM_RES_FAIL, Q_, "np.example", "np"},
	{"np=: existing subdomain uses sp=", PSL, "a@real.np.example", NULL, NULL, 0, AM_RES_FAIL, N_, NULL, "sp"},
	{"np=: NODATA for A/AAAA/MX is non-existent (RFC 9091)", PSL, "a@txtonly.np.example", NULL, NULL, 0,
	 AM_RES_FAIL, Q_, NULL, "np"},
	{"np=: NODATA means it exists (RFC 9989)", WALK, "a@txtonly.np.example", NULL, NULL, 0, AM_RES_FAIL, N_,
	 NULL, "sp"},
	{"np=: NXDOMAIN (RFC 9989)", WALK, "a@ghost.np.example", NULL, NULL, 0, AM_RES_FAIL, Q_, NULL, "np"},
	{"pct=0: reject sampled out to quarantine", PSL, "a@pct0.example", NULL, NULL, 0, AM_RES_FAIL, Q_, NULL, NULL},
	{"pct=100: reject", PSL, "a@pct100.example", NULL, NULL, 99, AM_RES_FAIL, R_, NULL, NULL},
	{"pct=50, draw 49: sampled", PSL, "a@pct50.example", NULL, NULL, 49, AM_RES_FAIL, Q_, NULL, NULL},
	{"pct=50, draw 50: not sampled", PSL, "a@pct50.example", NULL, NULL, 50, AM_RES_FAIL, N_, NULL, NULL},
	{"pct=50, draw 149 (49 mod 100): sampled", PSL, "a@pct50.example", NULL, NULL, 149, AM_RES_FAIL, Q_, NULL, NULL},
	{"pct=50, draw 150 (50 mod 100): not sampled", PSL, "a@pct50.example", NULL, NULL, 150, AM_RES_FAIL, N_, NULL,
	 NULL},
	{"treewalk ignores pct=0", WALK, "a@pct0.example", NULL, NULL, 0, AM_RES_FAIL, R_, NULL, NULL},
	{"no record", PSL, "a@norecord.example", NULL, NULL, 0, AM_RES_NONE, N_, NULL, NULL},
	{"no record (treewalk)", WALK, "a@norecord.example", NULL, NULL, 0, AM_RES_NONE, N_, NULL, NULL},
	{"syntax error without rua: permerror", PSL, "a@syntax.example", NULL, NULL, 0, AM_RES_PERMERROR, N_,
	 "syntax.example", NULL},
	{"syntax error with rua: p=none", PSL, "a@syntaxrua.example", NULL, NULL, 0, AM_RES_FAIL, N_, NULL, "p"},
	{"bad optional tags default", PSL, "a@badopt.example", "x.badopt.example", NULL, 0, AM_RES_PASS, N_, NULL,
	 NULL},
	{"rf=iodef keeps aspf relaxed", PSL, "a@iodef.example", "x.iodef.example", NULL, 0, AM_RES_PASS, N_, NULL,
	 NULL},
	{"two DMARC records: none", PSL, "a@multi.example", NULL, NULL, 0, AM_RES_NONE, N_, NULL, NULL},
	{"not a DMARC record: none", PSL, "a@notdmarc.example", NULL, NULL, 0, AM_RES_NONE, N_, NULL, NULL},
	{"v= not first: none", PSL, "a@notfirst.example", NULL, NULL, 0, AM_RES_NONE, N_, NULL, NULL},
	{"record split in two strings", PSL, "a@split.example", NULL, NULL, 0, AM_RES_FAIL, R_, NULL, NULL},
	{"DNS timeout: temperror", PSL, "a@timeout.example", NULL, NULL, 0, AM_RES_TEMPERROR, N_, NULL, NULL},
	{"SERVFAIL: temperror", PSL, "a@servfail.example", NULL, NULL, 0, AM_RES_TEMPERROR, N_, NULL, NULL},
	{"timeout at the org domain", PSL, "a@x.timeout.example", NULL, NULL, 0, AM_RES_TEMPERROR, N_, NULL, NULL},
	{"timeout in a tree walk", WALK, "a@a.b.slow.example", NULL, NULL, 0, AM_RES_TEMPERROR, N_, NULL, NULL},
	{"t=y: reject applied as quarantine", WALK, "a@t.example", NULL, NULL, 0, AM_RES_FAIL, Q_, NULL, NULL},
	{"t= ignored in psl mode", PSL, "a@t.example", NULL, NULL, 0, AM_RES_FAIL, R_, NULL, NULL},
	{"no p=, rua=: p=none (psl)", PSL, "a@nop.example", NULL, NULL, 0, AM_RES_FAIL, N_, NULL, NULL},
	{"no p=: p=none (treewalk)", WALK, "a@nop.example", NULL, NULL, 0, AM_RES_FAIL, N_, NULL, NULL},
	{"treewalk: policy two labels up", WALK, "a@a.b.walk.example", NULL, NULL, 0, AM_RES_FAIL, Q_,
	 "walk.example", "sp"},
	{"treewalk: policy four labels up", WALK, "a@a.b.c.d.walk.example", NULL, NULL, 0, AM_RES_FAIL, Q_,
	 "walk.example", "sp"},
	{"treewalk: nearer record is not the org domain's", WALK, "a@x.mid.walk.example", NULL, NULL, 0, AM_RES_FAIL,
	 Q_, "walk.example", NULL},
	{"treewalk: relaxed alignment via org domain", WALK, "a@a.b.walk.example", "mid.walk.example", NULL, 0,
	 AM_RES_PASS, N_, NULL, NULL},
	{"psl: two labels up not found", PSL, "a@a.b.walk.example", NULL, NULL, 0, AM_RES_FAIL, Q_, "walk.example",
	 NULL},
	{"treewalk: psd=y record applies below", WALK, "a@org.psd.example", NULL, NULL, 0, AM_RES_FAIL, Q_,
	 "psd.example", "p"},
	{"treewalk: psd=y, sibling org does not align", WALK, "a@org.psd.example", "other.psd.example", NULL, 0,
	 AM_RES_FAIL, Q_, NULL, NULL},
	{"treewalk: psd=y, own subdomain aligns", WALK, "a@org.psd.example", "mx.org.psd.example", NULL, 0,
	 AM_RES_PASS, N_, NULL, NULL},
	{"treewalk: psd=n stops the walk", WALK, "a@x.sub.psdn.example", NULL, "psdn.example", 0, AM_RES_FAIL, N_,
	 "sub.psdn.example", NULL},
	{"forwarder network", FWD, "a@example.com", NULL, NULL, 0, AM_RES_FAIL, N_, NULL, NULL},
	{"forwarder host", FWD, "a@example.com", NULL, NULL, 1, AM_RES_FAIL, N_, NULL, NULL},
	{"forwarder SPF domain", FWD, "a@example.com", "fwd.example", NULL, 2, AM_RES_FAIL, N_, NULL, NULL},
	{"forwarder DKIM d= (subdomain entry), client SPF-passes in its org domain", FWD, "a@example.com",
	 "bounce.mailinglist.example", "lists.mailinglist.example", 2, AM_RES_FAIL, N_, NULL, NULL},
	{"forwarder DKIM d= alone: the list's copy re-sent from elsewhere is no forwarder", FWD, "a@example.com",
	 NULL, "lists.mailinglist.example", 2, AM_RES_FAIL, R_, NULL, NULL},
	{"forwarder DKIM d=, SPF pass outside the list's org domain: no forwarder", FWD, "a@example.com",
	 "attacker.example", "lists.mailinglist.example", 2, AM_RES_FAIL, R_, NULL, NULL},
	{"no forwarder matches", FWD, "a@example.com", "other.example", "!lists.mailinglist.example", 2, AM_RES_FAIL,
	 R_, NULL, NULL},
	{"From syntax error: permerror", PSL, "John Doe", NULL, NULL, 0, AM_RES_PERMERROR, N_, NULL, NULL},
	{"empty group: none", PSL, "undisclosed:;", NULL, NULL, 0, AM_RES_NONE, N_, NULL, NULL},
	{"two From domains: strictest", PSL, "a@none.example, b@example.com", NULL, NULL, 0, AM_RES_FAIL, R_,
	 "example.com", NULL},
	{"two From domains, both pass", PSL, "a@none.example, b@example.com", NULL, "none.example example.com", 0,
	 AM_RES_PASS, N_, NULL, NULL},
	{"two From domains, not evaluated", NOMULTI, "a@none.example, b@example.com", NULL, NULL, 0,
	 AM_RES_PERMERROR, N_, NULL, NULL},
};

/* Deterministic pct source: the case's draw. */
static uint32_t fixed_random(void *arg)
{
	return *(const unsigned *)arg;
}

/* Fill an SPF result from "d" (pass) or "!d" (fail). */
static void make_spf(const char *s, struct am_spf_result *spf)
{
	memset(spf, 0, sizeof *spf);
	if (s == NULL)
		return;
	spf->checked = true;
	spf->result = s[0] == '!' ? AM_RES_FAIL : AM_RES_PASS;
	snprintf(spf->domain, sizeof spf->domain, "%s", s + (s[0] == '!'));
}

/* Fill DKIM results from "d1 !d2 ...". */
static void make_dkim(const char *s, struct am_dkim_result *dkim)
{
	memset(dkim, 0, sizeof *dkim);
	char buf[512];
	snprintf(buf, sizeof buf, "%s", s ? s : "");
	char *save = NULL;
	for (char *d = strtok_r(buf, " ", &save); d && dkim->count < AM_DKIM_MAX_SIGS; d = strtok_r(NULL, " ", &save)) {
		struct am_dkim_sig *sig = &dkim->sigs[dkim->count++];
		sig->result = d[0] == '!' ? AM_RES_FAIL : AM_RES_PASS;
		snprintf(sig->domain, sizeof sig->domain, "%s", d + (d[0] == '!'));
	}
	dkim->checked = s != NULL;
}

/* Evaluate one message against ctx. */
static void evaluate(const struct am_dmarc_ctx *ctx, struct am_dns *dns, const char *from, const char *spf_s,
		     const char *dkim_s, unsigned rnd, const char *ip, const char *host, struct am_dmarc_result *r)
{
	struct am_from f;
	struct am_spf_result spf;
	struct am_dkim_result dkim;
	struct am_ip addr;
	am_from_parse_one(from, &f);
	make_spf(spf_s, &spf);
	make_dkim(dkim_s, &dkim);
	am_ip_parse(ip, &addr);
	struct am_dmarc_input in = { .from = &f, .client_ip = &addr, .client_host = host, .spf = &spf,
				     .dkim = &dkim, .random = fixed_random, .random_arg = &rnd };
	am_dmarc_check(ctx, dns, NULL, &in, r);
}

/* Run the case table. */
static void run_cases(struct am_dmarc_ctx **ctx, struct am_dns *dns)
{
	static const char *const hosts[] = { "203.0.113.5", "198.51.100.7", "203.0.113.9" };
	static const char *const names[] = { NULL, "mx2.lists.example.net", NULL };
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct dcase *c = &cases[i];
		struct am_dmarc_result r;
		bool fwd = c->ctx == FWD;
		evaluate(ctx[c->ctx], dns, c->from, c->spf, c->dkim, fwd ? 0 : c->rnd,
			 fwd ? (c->rnd == 0 ? "192.0.2.9" : hosts[c->rnd]) : "198.51.100.1", fwd ? names[c->rnd] : NULL, &r);
		bool dis_ok = fwd ? r.signals.forwarder == (c->dis == N_) && r.disposition == R_ : r.disposition == c->dis;
		bool good = r.result == c->want && (c->want != AM_RES_FAIL || dis_ok) &&
			    (!c->poldom || strcmp(r.policy_domain, c->poldom) == 0) &&
			    (!c->tag || strcmp(r.policy_tag, c->tag) == 0);
		if (!ok(good, "%s: %s dis=%s", c->what, am_result_name(c->want), am_dmarc_policy_name(c->dis)))
			diag("got %s dis=%s polrec=%s tag=%s reason=%s", am_result_name(r.result),
			     am_dmarc_policy_name(r.disposition), r.policy_domain, r.policy_tag, r.reason);
	}
}

/* One failing message from the author (a p=reject domain) with list
 * headers, in treewalk mode: the signals a local policy weighs. */
static struct am_dmarc_signals signals_of(struct am_dmarc_ctx *ctx, struct am_dns *dns, const char *author,
					  const char *spf_s, const char *list_id, const char *list_post)
{
	struct am_from f;
	struct am_spf_result spf;
	struct am_dmarc_result r;
	am_from_parse_one(author, &f);
	make_spf(spf_s, &spf);
	struct am_dmarc_input in = { .from = &f, .spf = &spf, .list_id = list_id, .list_post = list_post };
	am_dmarc_check(ctx, dns, NULL, &in, &r);
	return r.signals;
}

/* The spoof and indirect-flow signals (am_dmarc_signals.c). */
static void run_signals(struct am_dmarc_ctx **ctx, struct am_dns *dns)
{
	struct am_dmarc_signals g = signals_of(ctx[WALK], dns, "a@example.com", "!bounce.example.com", NULL, NULL);
	ok(g.spf_fail_in_author_org && !g.list, "SPF fail for a MAIL FROM below the author's org domain: evidence");
	g = signals_of(ctx[WALK], dns, "a@example.com", "!example.com", NULL, NULL);
	ok(g.spf_fail_in_author_org, "SPF fail for the author's own domain: evidence");
	g = signals_of(ctx[WALK], dns, "a@example.com", "!elsewhere.example", NULL, NULL);
	ok(!g.spf_fail_in_author_org, "SPF fail outside the author's org domain: no evidence");
	g = signals_of(ctx[WALK], dns, "a@example.com", "lists.example.org", "Dev <dev.lists.example.org>", NULL);
	ok(g.list && g.list_verified && strstr(g.list_why, "dev.lists.example.org"),
	   "List-Id below the SPF-passing MAIL FROM domain: a verified list (%s)", g.list_why);
	g = signals_of(ctx[WALK], dns, "a@walk.example", "bounces.example.com", "Dev <dev.example.com>", NULL);
	ok(g.list && g.list_verified, "List-Id and MAIL FROM in one org domain (by the tree walk): verified");
	g = signals_of(ctx[WALK], dns, "a@example.com", "bounces.lists.example.org", "Dev <dev.lists.example.org>", NULL);
	ok(g.list && !g.list_verified,
	   "siblings with no DMARC record above them: the walk cannot join them, not verified");
	g = signals_of(ctx[WALK], dns, "a@example.com", "attacker.example", "Dev <dev.lists.example.org>", NULL);
	ok(g.list && !g.list_verified, "List-Id with SPF pass for another domain: a list, not verified");
	g = signals_of(ctx[WALK], dns, "a@example.com", "lists.example.org", NULL, "<mailto:dev@lists.example.org>");
	ok(g.list && g.list_verified, "List-Post alone names the list (%s)", g.list_id);
	g = signals_of(ctx[WALK], dns, "a@example.com", "lists.example.org", "no brackets", "NO");
	ok(!g.list, "List-Id without <list-id> and List-Post NO: no list");
}

/* Details the report, log and AR need, on selected cases. */
static void run_details(struct am_dmarc_ctx **ctx, struct am_dns *dns)
{
	struct am_dmarc_result r;
	evaluate(ctx[PSL], dns, "a@pct0.example", NULL, NULL, 0, "192.0.2.77", NULL, &r);
	ok(r.noverrides == 1 && r.overrides[0].type == AM_DMARC_OV_OTHER && strcmp(r.overrides[0].comment, "pct=0") == 0 &&
		   r.pct == 0 && r.effective_policy == AM_DMARC_P_QUARANTINE,
	   "pct=0 (psl): RFC 9990 override other, comment pct=0");
	is_str(r.source_ip, "192.0.2.77", "source IP kept for reports");
	evaluate(ctx[WALK], dns, "a@t.example", NULL, NULL, 0, "192.0.2.1", NULL, &r);
	ok(r.testing && r.policy == AM_DMARC_P_REJECT && r.effective_policy == AM_DMARC_P_QUARANTINE,
	   "t=y: testing flag, published policy reject, effective quarantine");
	evaluate(ctx[WALK], dns, "a@t.example", "t.example", NULL, 0, "192.0.2.1", NULL, &r);
	ok(r.result == AM_RES_PASS && r.testing && r.noverrides == 0,
	   "t=y on a pass: testing flag set (BIMI reads it), no override");
	evaluate(ctx[FWD], dns, "a@example.com", NULL, NULL, 0, "192.0.2.9", NULL, &r);
	ok(r.signals.forwarder && strstr(r.signals.forwarder_why, "192.0.2.0/24") && r.noverrides == 0,
	   "forwarder network: a signal with its reason (%s), no override yet", r.signals.forwarder_why);
	evaluate(ctx[FWD], dns, "a@example.com", "bounce.mailinglist.example", "lists.mailinglist.example", 2,
		 "203.0.113.9", NULL, &r);
	ok(r.signals.forwarder && strstr(r.signals.forwarder_why, "d=.mailinglist.example"),
	   "forwarder DKIM reason: %s", r.signals.forwarder_why);
	evaluate(ctx[PSL], dns, "a@mail.example.com", "bounce.example.com", "x.example !example.com", 0, "192.0.2.1",
		 NULL, &r);
	ok(r.spf_aligned && !r.dkim_aligned && r.spf_result == AM_RES_PASS &&
		   strcmp(r.spf_domain, "bounce.example.com") == 0 && strcmp(r.dkim_domain, "x.example") == 0 &&
		   strcmp(r.org_domain, "example.com") == 0 && r.p == AM_DMARC_P_REJECT && r.sp == AM_DMARC_P_QUARANTINE,
	   "report fields: alignment, identifiers, org domain, p and sp");
	evaluate(ctx[PSL], dns, "a@ghost.np.example", NULL, NULL, 0, "192.0.2.1", NULL, &r);
	ok(r.nonexistent && r.np == AM_DMARC_P_QUARANTINE, "np: nonexistent flag");
	evaluate(ctx[PSL], dns, "a@syntax.example", NULL, NULL, 0, "192.0.2.1", NULL, &r);
	ok(strstr(r.reason, "p") && strstr(r.reason, "rua"), "permerror reason: %s", r.reason);
	evaluate(ctx[WALK], dns, "a@org.psd.example", NULL, NULL, 0, "192.0.2.1", NULL, &r);
	ok(r.psd && strcmp(r.org_domain, "org.psd.example") == 0, "psd=y: PSD record, org domain one label below");
	evaluate(ctx[PSL], dns, "a@timeout.example", NULL, NULL, 0, "192.0.2.1", NULL, &r);
	ok(strstr(r.reason, "timeout") != NULL, "timeout reason: %s", r.reason);
}

/* RFC 9989 query bound and the walk's shape. */
static void run_bound(struct am_dmarc_ctx **ctx, struct am_dns *dns)
{
	struct am_dmarc_result r;
	char org[256], err[128];
	unsigned q = 0;
	evaluate(ctx[WALK], dns, "a@l1.l2.l3.l4.l5.l6.l7.l8.l9.l10.bound.example", NULL, NULL, 0, "192.0.2.1", NULL,
		 &r);
	ok(r.result == AM_RES_NONE && r.dns_queries == AM_DMARC_WALK_MAX, "12 labels, no record: %u queries (bound %d)",
	   r.dns_queries, AM_DMARC_WALK_MAX);
	evaluate(ctx[WALK], dns, "a@a.b.walk.example", NULL, NULL, 0, "192.0.2.1", NULL, &r);
	is_int(r.dns_queries, 4, "a.b.walk.example: 4 queries (no existence check without np=)");
	ok(am_dmarc_org_domain(ctx[WALK], dns, NULL, "x.y.a.b.c.d.e.f.walk.example", org, sizeof org, &q, err,
			       sizeof err) == 0 && strcmp(org, "walk.example") == 0 && q == AM_DMARC_WALK_MAX,
	   "org domain of a 10-label name: %s in %u queries", org, q);
	ok(am_dmarc_org_domain(ctx[WALK], dns, NULL, "a.b.slow.example", org, sizeof org, &q, err, sizeof err) < 0,
	   "org domain walk with a timeout fails: %s", err);
	ok(am_dmarc_org_domain(ctx[PSL], dns, NULL, "www.example.co.uk", org, sizeof org, &q, err, sizeof err) == 0 &&
		   strcmp(org, "example.co.uk") == 0 && q == 0,
	   "psl org domain needs no DNS");
}

/* Past the From and look-up limits the outcome is never milder: the
 * issue-12 reproduction, a partly broken From, and passing signatures of
 * deep foreign domains that once spent the look-ups the author needed. */
static void run_from_limits(struct am_dmarc_ctx **ctx, struct am_dns *dns)
{
	struct am_dmarc_result r;
	evaluate(ctx[PSL], dns, "a0@n0.example, a1@n1.example, a2@n2.example, ceo@example.com", NULL, NULL, 0,
		 "203.0.113.5", NULL, &r);
	ok(r.result == AM_RES_FAIL && r.disposition == R_ && strstr(r.reason, "strictest of 4 From domains"),
	   "4 From domains, p=reject last: fail, reject (%s)", r.reason);
	evaluate(ctx[PSL], dns,
		 "a0@n0.example, a1@n1.example, a2@n2.example, a3@n3.example, a4@n4.example, a5@n5.example, "
		 "a6@n6.example, a7@n7.example, ceo@example.com", NULL, NULL, 0, "203.0.113.5", NULL, &r);
	ok(r.result == AM_RES_PERMERROR && r.from_status == AM_FROM_OVER_LIMIT && r.dns_queries == 0 &&
		   strstr(r.reason, "more than 4 distinct domains (9 mailboxes)"),
	   "9 From domains (issue 12): over-limit, no look-up (%s)", r.reason);
	evaluate(ctx[PSL], dns, "ceo@example.com, John Doe", NULL, NULL, 0, "203.0.113.5", NULL, &r);
	ok(r.result == AM_RES_FAIL && r.disposition == R_ && r.from_status == AM_FROM_SYNTAX,
	   "p=reject domain then a broken mailbox: still reject (%s)", r.reason);
	evaluate(ctx[PSL], dns, "ceo@example.com, John Doe", NULL, "example.com", 0, "203.0.113.5", NULL, &r);
	ok(r.result == AM_RES_PERMERROR && strstr(r.reason, "and a From error"),
	   "aligned domain and a broken mailbox: permerror, not pass (%s)", r.reason);
	const char *deep = "a.b.c.d.e.f.g.h.x1.example a.b.c.d.e.f.g.h.x2.example a.b.c.d.e.f.g.h.x3.example "
			   "a.b.c.d.e.f.g.h.x4.example a.b.c.d.e.f.g.h.x5.example";
	evaluate(ctx[WALK], dns, "ceo@example.com", NULL, deep, 0, "203.0.113.5", NULL, &r);
	ok(r.result == AM_RES_FAIL && r.disposition == R_,
	   "5 passing DKIM d= of deep foreign domains (treewalk): fail, not temperror (%s, %u queries)", r.reason,
	   r.dns_queries);
	evaluate(ctx[WALK], dns,
		 "a@l1.l2.l3.l4.l5.l6.l7.d1.example, a@l1.l2.l3.l4.l5.l6.l7.d2.example, "
		 "a@l1.l2.l3.l4.l5.l6.l7.d3.example, ceo@example.com", NULL, deep, 0, "203.0.113.5", NULL, &r);
	ok(r.result == AM_RES_FAIL && r.disposition == R_,
	   "3 deep From domains and the p=reject one (treewalk, 8 queries a walk): reject (%s)", r.reason);
	evaluate(ctx[PSL], dns, "a@none.example, b@timeout.example", NULL, NULL, 0, "203.0.113.5", NULL, &r);
	ok(r.result == AM_RES_FAIL && r.disposition == N_ && r.other_temperror,
	   "p=none fail beside a timed-out From domain: fail, the other's temperror kept (%s)", r.reason);
	evaluate(ctx[PSL], dns, "a@none.example, b@example.com", NULL, NULL, 0, "203.0.113.5", NULL, &r);
	ok(!r.other_temperror, "  not without a temperror");
}

/* Record tag validation beyond the conformance tables. */
static void run_record(void)
{
	struct am_dmarc_record rec;
	ok(am_dmarc_record_parse("v=DMARC1; p=Reject; sp=none; np=quarantine; psd=y; t=y; pct=7", &rec) == 0 &&
		   rec.p == AM_DMARC_P_REJECT && rec.sp == AM_DMARC_P_NONE && rec.np == AM_DMARC_P_QUARANTINE &&
		   rec.psd == 'y' && rec.t == 'y' && rec.pct == 7 && rec.nbad == 0,
	   "record: every tag read");
	ok(am_dmarc_record_parse("v=DMARC1; p=n", &rec) == 0 && rec.p_bad && rec.p == AM_DMARC_P_UNSPEC,
	   "record: p=n (a prefix) is invalid");
	ok(am_dmarc_record_parse("v=DMARC1; p=reject; p=none", &rec) == 0 && rec.p == AM_DMARC_P_REJECT,
	   "record: first of duplicate tags counts");
	ok(am_dmarc_record_parse("v=DMARC2; p=reject", &rec) < 0, "record: v=DMARC2 is not DMARC");
	ok(am_dmarc_record_parse("v=DMARC1x; p=reject", &rec) < 0, "record: v=DMARC1x is not DMARC");
	ok(am_dmarc_record_parse("v = DMARC1 ;p = quarantine ;", &rec) == 0 && rec.p == AM_DMARC_P_QUARANTINE,
	   "record: blanks around '=' and ';'");
	/* issue 12: a record is read whole; tags past 2047 bytes (the old cut)
	 * count, a policy past a long rua= list is never lost */
	static char big[8192];
	int o = snprintf(big, sizeof big, "v=DMARC1; p=none; rua=");
	for (int i = 0; i < 120; i++)
		o += snprintf(big + o, sizeof big - (size_t)o, "%smailto:reports-%03d@long-rua-list.example", i ? "," : "", i);
	snprintf(big + o, sizeof big - (size_t)o, "; sp=quarantine; np=reject");
	ok(strlen(big) > 4096 && am_dmarc_record_parse(big, &rec) == 0 && rec.p == AM_DMARC_P_NONE &&
		   rec.sp == AM_DMARC_P_QUARANTINE && rec.np == AM_DMARC_P_REJECT,
	   "record of %zu bytes: sp= and np= after a long rua= read", strlen(big));
	memmove(big + 9, big + 17, strlen(big + 17) + 1); /* drop " p=none;" */
	strcat(big, "; p=reject");
	ok(am_dmarc_record_parse(big, &rec) == 0 && rec.p == AM_DMARC_P_REJECT && !rec.p_bad,
	   "record: p=reject as the last tag of %zu bytes", strlen(big));
}

/* The [dmarc] section of a config builds a context, or names the fault. */
static void run_config(const char *psl_path)
{
	char err[256];
	struct am_config *cfg = am_config_defaults(err, sizeof err);
	if (!ok(cfg != NULL, "config defaults (%s)", cfg ? "ok" : err))
		return;
	ok(am_config_set(cfg, "dmarc", "psl_file", psl_path, "test", 1, err, sizeof err) == 0 &&
		   am_config_set(cfg, "dmarc", "forwarder_networks", "192.0.2.0/24", "test", 2, err, sizeof err) == 0 &&
		   am_config_set(cfg, "dmarc", "forwarder_dkim_domains", ".lists.example", "test", 3, err, sizeof err) == 0,
	   "[dmarc] options set");
	struct am_dmarc_ctx *ctx = am_dmarc_ctx_from_config(cfg, err, sizeof err);
	ok(ctx != NULL && am_dmarc_ctx_discovery(ctx) == AM_DMARC_TREEWALK,
	   "context from config: treewalk (RFC 9989) by default");
	am_dmarc_ctx_free(ctx);
	am_config_set(cfg, "dmarc", "marker_header", "X-Spam: yes", "test", 4, err, sizeof err);
	ctx = am_dmarc_ctx_from_config(cfg, err, sizeof err);
	ok(ctx == NULL && strstr(err, "marker_header"), "a marker_header that is no header name refused: %s", err);
	am_config_set(cfg, "dmarc", "marker_header", "X-Spam-DMARC", "test", 4, err, sizeof err);
	am_config_set(cfg, "dmarc", "discovery", "psl", "test", 4, err, sizeof err);
	ctx = am_dmarc_ctx_from_config(cfg, err, sizeof err);
	ok(ctx != NULL && am_dmarc_ctx_discovery(ctx) == AM_DMARC_PSL, "discovery = psl (RFC 7489 compatibility)");
	am_dmarc_ctx_free(ctx);
	am_config_set(cfg, "dmarc", "discovery", "treewalk", "test", 4, err, sizeof err);
	ctx = am_dmarc_ctx_from_config(cfg, err, sizeof err);
	ok(ctx != NULL && am_dmarc_ctx_discovery(ctx) == AM_DMARC_TREEWALK, "discovery = treewalk");
	am_dmarc_ctx_free(ctx);
	am_config_set(cfg, "dmarc", "discovery", "TreeWalk", "test", 4, err, sizeof err);
	ctx = am_dmarc_ctx_from_config(cfg, err, sizeof err);
	ok(ctx != NULL && am_dmarc_ctx_discovery(ctx) == AM_DMARC_TREEWALK, "discovery = TreeWalk (any case)");
	am_dmarc_ctx_free(ctx);
	ok(am_config_set(cfg, "dmarc", "discovery", "bogus", "test", 5, err, sizeof err) != 0 &&
	       strstr(err, "test:5: [dmarc] discovery") != NULL,
	   "bad discovery refused by the option table: %s", err);
	am_config_free(cfg);
}

int main(void)
{
	const char *shared = getenv("AM_SHARED");
	char path[4096], err[256];
	snprintf(path, sizeof path, "%s/conformance/psl/public_suffix_list.dat", shared ? shared : "../shared");
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		printf("1..0 # SKIP pinned PSL not found at %s (set AM_SHARED)\n", path);
		return 0;
	}
	fclose(f);
	struct am_cidr_list nets = {0};
	am_cidr_list_parse("192.0.2.0/24, 2001:db8::/32", &nets, err, sizeof err);
	struct am_dmarc_settings s[NCTX] = {
		[PSL] = { .discovery = AM_DMARC_PSL, .psl_file = path, .multi_from_evaluate = true },
		[WALK] = { .discovery = AM_DMARC_TREEWALK, .multi_from_evaluate = true },
		[FWD] = { .discovery = AM_DMARC_PSL, .psl_file = path, .forwarder_networks = &nets,
			  .forwarder_hosts = ".lists.example.net", .forwarder_spf_domains = "fwd.example, other.fwd",
			  .forwarder_dkim_domains = ".mailinglist.example" },
		[NOMULTI] = { .discovery = AM_DMARC_PSL, .psl_file = path },
	};
	struct am_dmarc_ctx *ctx[NCTX];
	for (int i = 0; i < NCTX; i++)
		if (!ok((ctx[i] = am_dmarc_ctx_new(&s[i], err, sizeof err)) != NULL, "context %d built", i))
			return done_testing() | 1;
	am_cidr_list_free(&nets);
	ok(am_dmarc_ctx_new(&(struct am_dmarc_settings){ .psl_file = "/nonexistent/psl.dat" }, err, sizeof err) ==
		   NULL && strstr(err, "/nonexistent/psl.dat"),
	   "missing PSL file: %s", err);
	ok(am_dmarc_ctx_new(&(struct am_dmarc_settings){ .discovery = AM_DMARC_TREEWALK,
							 .forwarder_dkim_domains = "good.example bad..example" },
			    err, sizeof err) == NULL,
	   "bad forwarder domain refused: %s", err);
	struct am_dns *dns = am_dns_table_new(zone, err, sizeof err);
	if (!ok(dns != NULL, "zone table loads (%s)", dns ? "" : err))
		return done_testing() | 1;
	run_cases(ctx, dns);
	run_details(ctx, dns);
	run_signals(ctx, dns);
	run_bound(ctx, dns);
	run_from_limits(ctx, dns);
	run_record();
	run_config(path);
	am_dns_destroy(dns);
	for (int i = 0; i < NCTX; i++)
		am_dmarc_ctx_free(ctx[i]);
	return done_testing();
}
