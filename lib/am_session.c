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

#include "am_dkim.h"
#include "am_dmarc.h"
#include "am_from.h"
#include "am_grey.h"
#include "am_header.h"
#include "am_log.h"
#include "am_metrics.h"
#include "am_report_data.h"
#include "am_runtime.h"
#include "am_session.h"
#include "am_spf.h"

/* Open a session; the connection keeps rt until it closes. */
struct am_conn *am_session_open(struct am_runtime *rt, const char *conn_id)
{
	struct am_conn *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		am_runtime_unref(rt);
		return NULL;
	}
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

/* Strip one pair of angle brackets and ESMTP leftovers from an address. */
static void bare_address(const char *in, char *out, size_t outlen)
{
	size_t len;

	while (*in == ' ')
		in++;
	if (*in == '<')
		in++;
	len = strcspn(in, ">");
	if (len >= outlen)
		len = outlen - 1;
	memcpy(out, in, len);
	out[len] = '\0';
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
	if (!null_sender)
		am_spf_check_mailfrom(m->rt->spf, &m->budget, &c->ip, c->helo, m->mail_from,
				      &m->results.spf_mailfrom);
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

/* Start a message and run the envelope checks. */
void am_session_mail(struct am_conn *c, struct am_runtime *rt, const char *from, const char *auth_user)
{
	struct am_msg *m = &c->msg;
	int64_t t0 = am_metrics_clock(c->metrics);

	am_metrics_dns(c->metrics, &m->budget);
	am_msg_reset(m);
	m->active = true;
	m->rt = rt;
	m->start_ms = am_dns_now_ms();
	am_dns_budget_start(&m->budget, rt->cfg->dns_budget_ms);
	bare_address(from ? from : "", m->mail_from, sizeof(m->mail_from));
	m->results.trusted = c->trusted;
	snprintf(m->results.trusted_why, sizeof(m->results.trusted_why), "%s", c->trusted_why);
	if (!c->trusted && auth_user && *auth_user && rt->cfg->trust_authenticated) {
		m->results.trusted = true;
		snprintf(m->results.trusted_why, sizeof(m->results.trusted_why), "auth %s", auth_user);
	}
	if (!m->results.trusted) {
		run_spf(c, m);
		start_dkim(c, m);
	}
	am_metrics_mail(c->metrics, &m->results, t0);
}

void am_session_queue_id(struct am_conn *c, const char *queue_id)
{
	if (queue_id && *queue_id)
		snprintf(c->msg.queue_id, sizeof(c->msg.queue_id), "%s", queue_id);
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
	};
	am_log_format(&e, line, sizeof(line));
	am_log(LOG_INFO, "%s", line);
	if (c->on_decision != NULL)   /* tools: the offline mode prints it */
		c->on_decision(c->on_decision_arg, line);
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
	bare_address(rcpt ? rcpt : "", m->last_rcpt, sizeof(m->last_rcpt));
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

/* Remember a forged copy of a header only we may write, for deletion. */
static void track_forgery(struct am_msg *m, const char *name, const char *value)
{
	for (size_t t = 0; t < AM_TRACKED_HEADERS && tracked[t].name; t++) {
		/* The marker's name is configurable ([dmarc] marker_header). */
		const char *tname = strcmp(tracked[t].name, AM_MARKER_HEADER) == 0 &&
						    m->rt->cfg->dmarc_marker_header && m->rt->cfg->dmarc_marker_header[0]
					    ? m->rt->cfg->dmarc_marker_header
					    : tracked[t].name;
		if (!am_header_name_is(name, tname))
			continue;
		m->seen[t]++;
		if (tracked[t].only_if_ours && !am_authres_claims(value, m->rt->cfg->authserv_id))
			return;
		if (m->ndeletes == AM_MAX_DELETES) {
			m->too_many_deletes = true;
			return;
		}
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
	if (am_header_name_is(name, "From") && m->nfrom++ < AM_MAX_FROM &&
	    (m->from[m->nfrom - 1] = strdup(value)) == NULL)
		internal_error(m, "out of memory");
	if (am_header_name_is(name, "BIMI-Selector") && m->nbimi_selectors++ == 0 &&
	    strlen(value) < sizeof(m->bimi_selector))
		memcpy(m->bimi_selector, value, strlen(value) + 1);
	keep_list_header(m, name, value);
	track_forgery(m, name, value);
}

/* End of headers: does any check need the body? */
bool am_session_eoh(struct am_conn *c)
{
	struct am_msg *m = &c->msg;

	m->body_wanted = m->dkim != NULL && am_dkim_eoh(m->dkim);
	return m->body_wanted;
}

/* A body chunk, streamed to the checks that read it and not kept. */
void am_session_body(struct am_conn *c, const unsigned char *chunk, size_t len)
{
	struct am_msg *m = &c->msg;

	/* A refused chunk needs nothing here: its signatures end as temperror. */
	if (m->body_wanted)
		am_dkim_body(m->dkim, chunk, len);
}

/* DMARC on the From headers seen and the SPF and DKIM results. */
static void run_dmarc(struct am_conn *c, struct am_msg *m)
{
	struct am_from from;
	struct am_dmarc_input in = {
		.from = &from, .client_ip = c->client_ip[0] ? &c->ip : NULL,
		.spf = &m->results.spf_mailfrom, .dkim = &m->results.dkim,
		.list_id = m->list_id[0] ? m->list_id : NULL,
		.list_post = m->list_post[0] ? m->list_post : NULL,
	};

	/* Only a forward-confirmed name may name a forwarder. */
	if (c->ptr_verified)
		in.client_host = c->client_host;
	am_from_parse((const char *const *)m->from, m->nfrom < AM_MAX_FROM ? m->nfrom : AM_MAX_FROM, &from);
	if (m->nfrom > AM_MAX_FROM)
		from.status = AM_FROM_MULTIPLE_HEADERS;
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

	memset(e, 0, sizeof(*e));
	/* We could not track every forged header: never pass one on. */
	if (m->too_many_deletes)
		internal_error(m, "too many forged headers to delete");
	if (m->dkim != NULL) {
		am_dkim_eom(m->dkim, &m->results.dkim);
		am_dkim_msg_free(m->dkim);
		m->dkim = NULL;
	}
	if (m->rt->dmarc != NULL && !m->results.trusted)
		run_dmarc(c, m);
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
		snprintf(e->marker_name, sizeof(e->marker_name), "%s",
			 m->rt->cfg->dmarc_marker_header && m->rt->cfg->dmarc_marker_header[0]
				 ? m->rt->cfg->dmarc_marker_header
				 : AM_MARKER_HEADER);
		snprintf(e->marker, sizeof(e->marker), "%s", v->mark);
	}
	if (m->results.bimi.result == AM_BIMI_PASS)
		e->add_bimi_location = am_bimi_location_header(&m->results.bimi, e->bimi_location,
								sizeof(e->bimi_location)) == 0;
	for (unsigned i = 0; i < m->ndeletes; i++)   /* highest index first */
		e->deletes[e->ndeletes++] = m->deletes[m->ndeletes - 1 - i];
	if (!m->results.trusted)
		e->add_authres = am_authres_build(&m->results, m->rt->cfg->authserv_id, e->authres,
						  sizeof(e->authres)) == 0;
	am_report_data_record(c);
	log_decision(c, "eom", NULL, v);
}

void am_session_abort(struct am_conn *c)
{
	am_metrics_dns(c->metrics, &c->msg.budget);
	am_msg_reset(&c->msg);
}
