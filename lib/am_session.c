/*
 * am_session.c - the check pipeline of one SMTP session. It owns the order
 * of things: trust first (network at connect, SASL at MAIL), SPF at MAIL
 * (HELO identity once per HELO), a verdict per recipient, header hygiene
 * and DKIM while headers and body stream, and at end of message the
 * DKIM verdicts, DMARC, BIMI, the verdict, our
 * Authentication-Results (and BIMI-Location) header and the decision log line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am_arc.h"
#include "am_dkim.h"
#include "am_dmarc.h"
#include "am_from.h"
#include "am_grey.h"
#include "am_header.h"
#include "am_iprev.h"
#include "am_log.h"
#include "am_metrics.h"
#include "am_msg.h"
#include "am_path.h"
#include "am_report_data.h"
#include "am_runtime.h"
#include "am_session.h"
#include "am_sha256.h"
#include "am_spf.h"

/* Open a session; the connection keeps rt until it closes. */
struct am_conn *am_session_open(struct am_runtime *rt, const char *conn_id)
{
	struct am_conn *c = malloc(sizeof(*c));

	if (c == NULL) {
		am_runtime_unref(rt);
		return NULL;
	}
	am_conn_clear(c);
	c->rt = rt;
	snprintf(c->id, sizeof(c->id), "%s", conn_id);
	return c;
}

void am_session_close(struct am_conn *c)
{
	if (c == NULL)
		return;
	am_metrics_dns(c->metrics, &c->msg.budget);
	am_msg_reset(&c->msg);
	am_runtime_unref(c->rt);
	free(c);
}

/* Is name a real host name, not the MTA's "unknown" or "[address]"? */
static bool is_host_name(const char *name)
{
	return name[0] != '\0' && name[0] != '[' && strcmp(name, "unknown") != 0;
}

/* Record the client and whether its network is trusted. */
void am_session_connect(struct am_conn *c, const char *hostname, const char *ip, const char *client_ptr)
{
	const struct am_cidr *net;

	am_metrics_connection(c->metrics);
	am_header_sanitize(hostname ? hostname : "", c->client_host, sizeof(c->client_host));
	c->ptr_verified = is_host_name(c->client_host);
	am_header_sanitize(c->ptr_verified ? c->client_host : client_ptr ? client_ptr : "",
			   c->client_ptr, sizeof(c->client_ptr));
	c->client_ip[0] = '\0';
	if (ip == NULL || am_ip_parse(ip, &c->ip) != 0)
		return;
	am_ip_format(&c->ip, c->client_ip, sizeof(c->client_ip));
	net = am_cidr_list_match(&c->rt->cfg->trusted_networks, &c->ip);
	if (net != NULL) {
		c->trusted = true;
		snprintf(c->trusted_why, sizeof(c->trusted_why), "network %s", net->text);
	}
}

/* A (new) HELO: forget the old identity's SPF result. */
void am_session_helo(struct am_conn *c, const char *helo)
{
	am_conn_reset_helo(c);
	snprintf(c->helo, sizeof(c->helo), "%s", helo ? helo : "");
}

/* The MTA's name, kept only when it can be an authserv-id (a dot-atom). */
void am_session_mta_name(struct am_conn *c, const char *name)
{
	c->mta_name[0] = '\0';
	if (name != NULL && *name != '\0' && strlen(name) < sizeof(c->mta_name) &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") ==
		    strlen(name))
		snprintf(c->mta_name, sizeof(c->mta_name), "%s", name);
}

/* Our authserv-id: [server] authserv_id, then the MTA's {j}, then the
 * host name (what the config loader put in when the option is empty). */
static const char *am_session_authserv_id(const struct am_conn *c)
{
	const struct am_config *cfg = c->msg.rt ? c->msg.rt->cfg : c->rt->cfg;

	return cfg->authserv_id_auto && c->mta_name[0] ? c->mta_name : cfg->authserv_id;
}

/* The address inside one pair of angle brackets, ESMTP leftovers off:
 * where it starts in in, its length in *len. */
static const char *bare_span(const char *in, size_t *len)
{
	while (*in == ' ')
		in++;
	if (*in == '<')
		in++;
	*len = strcspn(in, ">");
	return in;
}

/* A recipient without brackets; one too long for out keeps its first
 * bytes, then "#" and the SHA-256 of the whole, so two long recipients
 * that differ only past the cut never share a greylisting triplet (one
 * retry must not pass both). */
static void rcpt_address(const char *in, char *out, size_t outlen)
{
	char hex[65];
	size_t len;
	const char *addr = bare_span(in, &len);

	snprintf(out, outlen, "%.*s", (int)len, addr);
	if (len < outlen || outlen < sizeof(hex) + 2)
		return;
	am_sha256_hex(addr, len, hex);
	snprintf(out + outlen - sizeof(hex) - 1, sizeof(hex) + 1, "#%s", hex);
}

/* A path that is not one mailbox: SPF none (RFC 7208 4.3), no look-up. */
static void spf_not_a_mailbox(struct am_spf_result *out)
{
	memset(out, 0, sizeof(*out));
	out->checked = true;
	out->result = AM_RES_NONE;
	snprintf(out->reason, sizeof(out->reason), "MAIL FROM is not one mailbox");
}

/* SPF for the HELO identity (once per HELO) and the MAIL FROM identity. */
static void run_spf(struct am_conn *c, struct am_msg *m)
{
	const struct am_config *cfg = m->rt->cfg;
	bool null_sender = m->mail_from[0] == '\0';

	if (!cfg->spf_enable || c->client_ip[0] == '\0')
		return;
	if (cfg->spf_check_helo || null_sender) {
		if (!c->helo_spf_done)
			am_spf_check_helo(m->rt->spf, &m->budget, &c->ip, c->helo, &c->spf_helo);
		c->helo_spf_done = true;
		m->results.spf_helo = c->spf_helo;
	}
	if (m->mail_from_bad)
		spf_not_a_mailbox(&m->results.spf_mailfrom);
	else if (!null_sender)
		am_spf_check_mailfrom(m->rt->spf, &m->budget, &c->ip, c->helo, m->mail_from,
				      &m->results.spf_mailfrom);
}

/* iprev once per connection: the MTA's verified name when it has one (no
 * second look-up), else our own, whose verified name greylisting and the
 * DMARC forwarder list then see too. */
static void run_iprev(struct am_conn *c, struct am_msg *m)
{
	struct am_iprev_result *ir = &c->iprev;

	if (c->client_ip[0] == '\0' || m->rt->dns == NULL)
		return;
	if (!c->iprev_done && c->ptr_verified) {
		*ir = (struct am_iprev_result){.checked = true, .result = AM_RES_PASS};
		snprintf(ir->address, sizeof(ir->address), "%s", c->client_ip);
		snprintf(ir->name, sizeof(ir->name), "%s", c->client_host);
		snprintf(ir->reason, sizeof(ir->reason), "verified by the MTA");
	} else if (!c->iprev_done) {
		am_iprev_check(m->rt->dns, &m->budget, &c->ip, ir);
		if (ir->result == AM_RES_PASS) {
			c->ptr_verified = true;
			snprintf(c->client_host, sizeof(c->client_host), "%s", ir->name);
			snprintf(c->client_ptr, sizeof(c->client_ptr), "%s", ir->name);
		}
	}
	c->iprev_done = true;
	m->results.iprev = *ir;
}

/* Record an internal failure that must not pass as a result. */
static void internal_error(struct am_msg *m, const char *what)
{
	m->results.internal_error = true;
	snprintf(m->results.internal_error_what, sizeof(m->results.internal_error_what), "%s", what);
}

/* Start DKIM verification; failing to is an internal error, not a pass. */
static void start_dkim(struct am_conn *c, struct am_msg *m)
{
	char err[256];

	if (m->rt->dkim == NULL)
		return;
	m->dkim = am_dkim_msg_new(m->rt->dkim, &m->budget, c->id, err, sizeof(err));
	if (m->dkim == NULL) {
		char what[300];
		snprintf(what, sizeof(what), "dkim: %s", err);
		internal_error(m, what);
	}
}

/* Start ARC verification; failing to is an internal error, not a pass. */
static void start_arc(struct am_msg *m)
{
	const struct am_config *cfg = m->rt->cfg;
	struct am_arc_options opt = {.max_ams_checks = (unsigned)cfg->arc_max_ams_checks,
				     .trusted_sealers = cfg->arc_trusted_sealers,
				     .require_client = cfg->arc_require_client};
	char err[128];

	if (!cfg->arc_enable)
		return;
	m->arc = am_arc_msg_new(m->rt->dns, &m->budget, &opt, err, sizeof(err));
	if (m->arc == NULL)
		internal_error(m, "arc: out of memory");
}

/* Start a message and run the envelope checks. */
void am_session_mail(struct am_conn *c, struct am_runtime *rt, const char *from, const char *mail_addr,
		     const char *auth_user)
{
	struct am_msg *m = &c->msg;
	int64_t t0 = am_metrics_clock(c->metrics);

	am_metrics_dns(c->metrics, &m->budget);
	am_msg_reset(m);
	m->active = true;
	m->rt = rt;
	m->start_ms = am_dns_now_ms();
	am_dns_budget_start(&m->budget, rt->cfg->dns_budget_ms);
	m->mail_from_bad = am_path_parse(from, mail_addr, m->mail_from, sizeof(m->mail_from)) == AM_PATH_BAD;
	m->authserv_id = am_session_authserv_id(c);
	m->results.trusted = c->trusted;
	snprintf(m->results.trusted_why, sizeof(m->results.trusted_why), "%s", c->trusted_why);
	if (auth_user && *auth_user)   /* auth=pass smtp.auth= (RFC 8601 2.7.4) */
		am_header_sanitize(auth_user, m->results.auth_user, sizeof(m->results.auth_user));
	if (!c->trusted && auth_user && *auth_user && rt->cfg->trust_authenticated) {
		m->results.trusted = true;
		snprintf(m->results.trusted_why, sizeof(m->results.trusted_why), "auth %s", auth_user);
	}
	if (!m->results.trusted) {
		run_iprev(c, m);
		run_spf(c, m);
		start_dkim(c, m);
		start_arc(m);
	}
	am_metrics_mail(c->metrics, &m->results, t0);
}

void am_session_queue_id(struct am_conn *c, const char *queue_id)
{
	if (c->msg.active && queue_id && *queue_id) /* a message's, so its reset clears it */
		snprintf(c->msg.queue_id, sizeof(c->msg.queue_id), "%s", queue_id);
}

/* A [log] verbose detail line: at debug level, and to the offline mode. */
static void emit_detail(void *arg, const char *line)
{
	struct am_conn *c = arg;

	am_log(LOG_DEBUG, "%s", line);
	if (c->on_decision != NULL)
		c->on_decision(c->on_decision_arg, line);
}

/* Write the decision line for the current message. */
static void log_decision(struct am_conn *c, const char *stage, const char *rcpt,
			 const struct am_verdict *v)
{
	struct am_msg *m = &c->msg;
	char line[4096];
	struct am_log_entry e = {
		.queue_id = m->queue_id, .conn_id = c->id, .stage = stage,
		.client_ip = c->client_ip[0] ? c->client_ip : NULL, .helo = c->helo,
		.mail_from = m->mail_from, .rcpt = rcpt, .results = &m->results, .verdict = v,
		.ms = (long)(am_dns_now_ms() - m->start_ms),
		.json = strcmp(m->rt->cfg->log_format, "json") == 0,
	};
	am_log_format(&e, line, sizeof(line));
	am_log(LOG_INFO, "%s", line);
	if (c->on_decision != NULL)   /* tools: the offline mode prints it */
		c->on_decision(c->on_decision_arg, line);
	if (m->rt->cfg->log_verbose)
		am_log_details(&e, emit_detail, c);
}

/* What greylisting knows of the client. */
static struct am_grey_client grey_client(const struct am_conn *c)
{
	return (struct am_grey_client){.ip = c->client_ip, .ptr = c->client_ptr,
				       .ptr_verified = c->ptr_verified};
}

/* Keep an accepted recipient for end-of-data greylisting. */
static void keep_rcpt(struct am_msg *m)
{
	char **grown = realloc(m->rcpts, (m->nrcpts + 1) * sizeof(*grown));

	if (grown == NULL || (grown[m->nrcpts] = strdup(m->last_rcpt)) == NULL) {
		if (grown != NULL)
			m->rcpts = grown;
		internal_error(m, "out of memory");
		return;
	}
	m->rcpts = grown;
	m->nrcpts++;
}

/* One recipient: greylisting at RCPT, and what cannot wait for the end of
 * the message. results.grey holds this recipient's greylisting result
 * while deciding; the message keeps those of its accepted recipients merged. */
void am_session_rcpt(struct am_conn *c, const char *rcpt, struct am_verdict *v)
{
	struct am_msg *m = &c->msg;
	struct am_grey_client gc = grey_client(c);
	int64_t t0 = am_metrics_clock(c->metrics);

	m->rcpt_count++;
	rcpt_address(rcpt ? rcpt : "", m->last_rcpt, sizeof(m->last_rcpt));
	memset(&m->results.grey, 0, sizeof(m->results.grey));
	if (m->rt->grey != NULL && c->client_ip[0] && !m->results.trusted)
		am_grey_rcpt(m->rt->grey, &gc, m->mail_from, m->last_rcpt, &m->results, &m->results.grey);
	am_policy_decide(AM_STAGE_RCPT, &m->results, m->rt->cfg, v);
	am_metrics_rcpt(c->metrics, &m->results.grey, v, t0);
	if (v->action != AM_ACT_NONE || v->would != AM_ACT_NONE)
		log_decision(c, "rcpt", m->last_rcpt, v);
	if (v->action == AM_ACT_TEMPFAIL || v->action == AM_ACT_REJECT)
		return; /* not part of the message: its line is the one above */
	keep_rcpt(m);
	if (m->results.grey.checked)
		am_grey_result_merge(&m->grey_rcpts, &m->results.grey);
}

/* Headers only we may write. Authentication-Results of other servers are
 * kept (RFC 8601 5); the others are always ours alone. */
static const struct {
	const char *name;
	bool only_if_ours;   /* delete only copies claiming our authserv-id */
} tracked[AM_TRACKED_HEADERS] = {
	{"Authentication-Results", true},
	{AM_MARKER_HEADER, false},
	{"BIMI-Location", false},    /* BIMI: only the receiver may write them */
	{"BIMI-Indicator", false},
};

/* Room for more forged headers to delete; out of memory is an internal
 * error (a forged header must never pass on). 0 or -1. */
static int grow_deletes(struct am_msg *m)
{
	unsigned room = m->deletes_room ? 2 * m->deletes_room : 16;
	struct am_header_delete *grown = realloc(m->deletes, room * sizeof(*grown));

	if (grown == NULL) {
		internal_error(m, "out of memory for forged headers to delete");
		return -1;
	}
	m->deletes = grown;
	m->deletes_room = room;
	return 0;
}

/* The quarantine marker's name: [dmarc] marker_header, or the default. */
static const char *marker_name(const struct am_config *cfg)
{
	return cfg->dmarc_marker_header && cfg->dmarc_marker_header[0] ? cfg->dmarc_marker_header
									 : AM_MARKER_HEADER;
}

/* Remember a forged copy of a header only we may write, for deletion. */
static void track_forgery(struct am_msg *m, const char *name, const char *value)
{
	for (size_t t = 0; t < AM_TRACKED_HEADERS && tracked[t].name; t++) {
		const char *tname = strcmp(tracked[t].name, AM_MARKER_HEADER) == 0
					    ? marker_name(m->rt->cfg) : tracked[t].name;
		if (!am_header_name_is(name, tname))
			continue;
		m->seen[t]++;
		if (tracked[t].only_if_ours &&
		    !am_authres_claims_any(value, m->authserv_id, m->rt->cfg->other_authserv_ids))
			return;
		if (m->ndeletes == m->deletes_room && grow_deletes(m) < 0)
			return;
		snprintf(m->deletes[m->ndeletes].name, sizeof(m->deletes[0].name), "%s", tname);
		m->deletes[m->ndeletes++].index = m->seen[t];
		return;
	}
}

/* DMARC's list guess: keep the first List-Id and List-Post values. */
static void keep_list_header(struct am_msg *m, const char *name, const char *value)
{
	char *dst = am_header_name_is(name, "List-Id")     ? m->list_id
		    : am_header_name_is(name, "List-Post") ? m->list_post
							   : NULL;

	if (dst != NULL && dst[0] == '\0' && strlen(value) < sizeof(m->list_id))
		memcpy(dst, value, strlen(value) + 1);
}

/* One header: DKIM, the From headers for DMARC, forged-header tracking. */
void am_session_header(struct am_conn *c, const char *name, const char *value)
{
	struct am_msg *m = &c->msg;

	if (m->dkim != NULL && am_dkim_header(m->dkim, name, value) != 0)
		internal_error(m, "dkim: out of memory");
	if (m->arc != NULL && am_arc_header(m->arc, name, value) != 0)
		internal_error(m, "arc: out of memory");
	if (am_header_name_is(name, "From") && m->nfrom++ < AM_MAX_FROM &&
	    (m->from[m->nfrom - 1] = strdup(value)) == NULL)
		internal_error(m, "out of memory");
	if (am_header_name_is(name, "BIMI-Selector") && m->nbimi_selectors++ == 0 &&
	    strlen(value) < sizeof(m->bimi_selector))
		memcpy(m->bimi_selector, value, strlen(value) + 1);
	keep_list_header(m, name, value);
	track_forgery(m, name, value);
}

/* The From headers parsed, once the headers are all in: for DKIM at end
 * of headers and DMARC at end of message. */
static const struct am_from *authors(struct am_msg *m)
{
	if (!m->authors_parsed) {
		am_from_parse((const char *const *)m->from, m->nfrom < AM_MAX_FROM ? m->nfrom : AM_MAX_FROM,
			      &m->authors);
		if (m->nfrom > AM_MAX_FROM) /* unread headers could name any author: refuse */
			am_from_too_many_headers(&m->authors, m->nfrom, AM_MAX_FROM);
		m->authors_parsed = true;
	}
	return &m->authors;
}

/* Tell DKIM the author domains, so that past max_signatures it verifies
 * the signatures that can align with them first. */
static void dkim_authors(struct am_msg *m)
{
	const struct am_from *from = authors(m);
	const char *domains[AM_FROM_MAX_DOMAINS];

	for (size_t i = 0; i < from->ndomains; i++)
		domains[i] = from->domains[i];
	am_dkim_set_authors(m->dkim, domains, from->ndomains);
}

/* End of headers: does any check need the body? */
bool am_session_eoh(struct am_conn *c)
{
	struct am_msg *m = &c->msg;

	if (m->dkim != NULL)
		dkim_authors(m);
	m->body_wanted = m->dkim != NULL && am_dkim_eoh(m->dkim);
	m->arc_body = m->arc != NULL && am_arc_eoh(m->arc);
	m->body_wanted |= m->arc_body;
	return m->body_wanted;
}

/* A body chunk, streamed to the checks that read it and not kept. */
void am_session_body(struct am_conn *c, const unsigned char *chunk, size_t len)
{
	struct am_msg *m = &c->msg;

	/* A refused chunk needs nothing here: its signatures end as temperror. */
	/* (am_dkim_body ignores the body of a message without signatures.) */
	if (m->body_wanted && m->dkim != NULL)
		am_dkim_body(m->dkim, chunk, len);
	if (m->arc_body)
		am_arc_body(m->arc, chunk, len);
}

/* Relaxed alignment as DMARC decides it, for ARC's trust step. */
static int arc_aligned(void *arg, const char *domain, const char *ident)
{
	struct am_msg *m = arg;

	return am_dmarc_aligned(m->rt->dmarc, m->rt->dns, &m->budget, domain, ident, 'r');
}

/* ARC after the DMARC check (its author domain) and before the policy,
 * which reads the trusted-sealer signal: the chain, then whether a trusted
 * sealer vouches for the author domain. */
static void run_arc(struct am_conn *c, struct am_msg *m)
{
	const struct am_spf_result *spf = &m->results.spf_mailfrom;
	const struct am_dmarc_result *d = &m->results.dmarc;
	struct am_arc_trust_input in = {.aligned = m->rt->dmarc ? arc_aligned : NULL, .aligned_arg = m};

	am_arc_eom(m->arc, c->client_ip, &m->results.arc);
	in.author_domain = d->checked && d->from_status == AM_FROM_OK ? d->header_from : "";
	in.spf_pass_domain = spf->checked && spf->result == AM_RES_PASS ? spf->domain : NULL;
	in.client_host = c->ptr_verified ? c->client_host : NULL;
	am_arc_trust(m->arc, &in, &m->results.arc);
	am_arc_msg_free(m->arc);
	m->arc = NULL;
}

/* DMARC, and BIMI after it, get a DNS budget of their own: look-ups the
 * sender chose (SPF includes, DKIM keys) must never spend what the
 * author domain's policy needs, as a temperror there is milder than its
 * p=reject. End of message may so take up to two budgets. */
static void fresh_budget(struct am_conn *c, struct am_msg *m)
{
	am_metrics_dns(c->metrics, &m->budget);
	am_dns_budget_start(&m->budget, m->rt->cfg->dns_budget_ms);
}

/* DMARC on the From headers seen and the SPF and DKIM results. */
static void run_dmarc(struct am_conn *c, struct am_msg *m)
{
	struct am_dmarc_input in = {
		.from = authors(m), .client_ip = c->client_ip[0] ? &c->ip : NULL,
		.spf = &m->results.spf_mailfrom, .dkim = &m->results.dkim,
		.list_id = m->list_id[0] ? m->list_id : NULL,
		.list_post = m->list_post[0] ? m->list_post : NULL,
	};

	/* Only a forward-confirmed name may name a forwarder. */
	if (c->ptr_verified)
		in.client_host = c->client_host;
	am_dmarc_check(m->rt->dmarc, m->rt->dns, &m->budget, &in, &m->results.dmarc);
}

/* BIMI after DMARC: the sender's indicator record, when it has earned one. */
static void run_bimi(struct am_msg *m)
{
	struct am_bimi_input in = {
		.dmarc = &m->results.dmarc, .dkim = &m->results.dkim,
		.selector_header = m->nbimi_selectors ? m->bimi_selector : NULL,
		.selector_headers = m->nbimi_selectors,
		.require_evidence = m->rt->cfg->bimi_require_evidence,
		.org_enforcement = m->rt->cfg->bimi_org_enforcement,
	};

	am_bimi_check(m->rt->dmarc, m->rt->dns, &m->budget, &in, &m->results.bimi);
}

/* Greylisting at end of data (stage = eom, or the null sender); else the
 * message's merged RCPT-stage result, for the log. */
static void run_grey_eom(struct am_conn *c, struct am_msg *m)
{
	struct am_grey_client gc = grey_client(c);
	struct am_grey_result eom = {0};

	if (m->rt->grey != NULL && c->client_ip[0] && !m->results.trusted)
		am_grey_eom(m->rt->grey, &gc, m->mail_from, (const char *const *)m->rcpts, m->nrcpts,
			    &m->results, &eom);
	am_metrics_grey(c->metrics, &eom);
	m->results.grey = eom.checked ? eom : m->grey_rcpts;
	if (!eom.checked)
		m->results.grey.tempfail = false; /* answered at RCPT already */
}

/* Decide, and prepare the header edits. */
void am_session_eom(struct am_conn *c, struct am_verdict *v, struct am_edits *e)
{
	struct am_msg *m = &c->msg;
	int64_t t0 = am_metrics_clock(c->metrics);

	/* the texts (9 KB) are read only under their add_ flags */
	e->add_authres = e->add_marker = e->add_bimi_location = false;
	if (m->dkim != NULL) {
		am_dkim_eom(m->dkim, &m->results.dkim);
		am_dkim_msg_free(m->dkim);
		m->dkim = NULL;
	}
	if (m->rt->dmarc != NULL && !m->results.trusted) {
		fresh_budget(c, m);
		run_dmarc(c, m);
	}
	if (m->arc != NULL)
		run_arc(c, m);
	/* BIMI stands on DMARC: with DMARC off there is nothing to report. */
	if (m->rt->cfg->bimi_enable && m->rt->dmarc != NULL && !m->results.trusted)
		run_bimi(m);
	run_grey_eom(c, m);
	am_policy_dmarc(&m->results, m->rt->cfg); /* the disposition applied, for log and reports */
	am_policy_decide(AM_STAGE_EOM, &m->results, m->rt->cfg, v);
	am_metrics_eom(c->metrics, &m->results, v, t0);
	am_metrics_dns(c->metrics, &m->budget);
	if (v->mark[0] != '\0') {
		e->add_marker = true;
		snprintf(e->marker_name, sizeof(e->marker_name), "%s", marker_name(m->rt->cfg));
		snprintf(e->marker, sizeof(e->marker), "%s", v->mark);
	}
	if (m->results.bimi.result == AM_BIMI_PASS)
		e->add_bimi_location = am_bimi_location_header(&m->results.bimi, e->bimi_location,
								sizeof(e->bimi_location)) == 0;
	for (unsigned i = 0; i < m->ndeletes / 2; i++) { /* highest index first */
		struct am_header_delete d = m->deletes[i];
		m->deletes[i] = m->deletes[m->ndeletes - 1 - i];
		m->deletes[m->ndeletes - 1 - i] = d;
	}
	e->deletes = m->deletes;
	e->ndeletes = m->ndeletes;
	/* A session let through by trust_authenticated gets its auth=pass. */
	if (!m->results.trusted || (!c->trusted && m->results.auth_user[0]))
		e->add_authres = am_authres_build(&m->results, m->authserv_id, e->authres,
						  sizeof(e->authres)) == 0;
	am_report_data_record(c);
	log_decision(c, "eom", NULL, v);
}

void am_session_abort(struct am_conn *c)
{
	am_metrics_dns(c->metrics, &c->msg.budget);
	am_msg_reset(&c->msg);
}

bool am_session_in_message(const struct am_conn *c)
{
	return c->msg.active;
}

bool am_session_wants_body(const struct am_conn *c)
{
	return c->msg.body_wanted;
}

void am_session_set_metrics(struct am_conn *c, struct am_metrics *metrics)
{
	c->metrics = metrics;
}

void am_session_on_decision(struct am_conn *c, void (*fn)(void *arg, const char *line), void *arg)
{
	c->on_decision = fn;
	c->on_decision_arg = arg;
}
