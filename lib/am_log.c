/*
 * am_log.c - one decision line per message, and the log sink.
 *
 * The line is key=value with stable keys so admins (and
 * contrib/authmilter-report) can grep and parse it; every value that came
 * from the wire is escaped so a sender cannot forge log lines. The sink is
 * syslog, copied to stderr in foreground mode; its settings are written
 * once at start-up before any thread exists and only read afterwards.
 * In foreground mode on a machine without a syslog socket (a container, a
 * test bed) the lines go to stderr alone: see syslog_usable().
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "am_dmarc_record.h"
#include "am_log.h"
#include "am_spf_record.h"

static bool log_to_stderr;   /* set once by am_log_open() before threads start */
/* offline mode (am_log_open_stderr): no syslog, stderr up to a priority */
static bool log_no_syslog;
static int log_stderr_max = LOG_DEBUG;

/* Append text at out[len] as far as it fits; the new length. (The line
 * is some 30 of these: plain copies, not a format string each.) */
static size_t append(char *out, size_t outlen, size_t len, const char *text)
{
	size_t n = strnlen(text, outlen - len - 1);

	memcpy(out + len, text, n);
	out[len + n] = '\0';
	return len + n;
}

/* Escape one value; see am_log.h. */
void am_log_escape(const char *in, char *out, size_t outlen)
{
	bool plain = in && *in;
	size_t o = 0;

	if (outlen < 4) {
		if (outlen)
			out[0] = '\0';
		return;
	}
	for (const unsigned char *p = (const unsigned char *)in; plain && *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '\\' || *p == '=')
			plain = false;
	if (plain) {
		append(out, outlen, 0, in);
		return;
	}
	out[o++] = '"';
	for (const unsigned char *p = (const unsigned char *)(in ? in : ""); *p; p++) {
		if (o + 6 >= outlen)
			break;
		if (*p == '"' || *p == '\\')
			o += (size_t)snprintf(out + o, outlen - o, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", *p);
		else
			out[o++] = (char)*p;
	}
	out[o++] = '"';
	out[o] = '\0';
}

/* The queue id ({i} from the MTA) as the line's first token: MTAs use
 * [A-Za-z0-9] only, so anything else (a newline forging a second line, a
 * blank, a ':') becomes \xHH, unquoted, so the token stays one word. */
static void queue_id_token(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p && o + 5 < outlen; p++) {
		if ((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
			out[o++] = (char)*p;
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", *p);
	}
	out[o] = '\0';
}

/* Append " key=escaped(value)". */
static void kv(char *out, size_t outlen, const char *key, const char *value)
{
	char esc[1024];
	size_t len = strlen(out);

	if (len + 1 >= outlen)
		return;
	am_log_escape(value ? value : "", esc, sizeof(esc));
	len = append(out, outlen, len, " ");
	len = append(out, outlen, len, key);
	len = append(out, outlen, len, "=");
	append(out, outlen, len, esc);
}

/* Append " iprev=result(verified name)" (RFC 8601 2.7.3). */
static void kv_iprev(char *out, size_t outlen, const struct am_iprev_result *ir)
{
	char v[AM_DOMAIN_MAX + 32];

	if (!ir->checked)
		return;
	snprintf(v, sizeof(v), "%s%s%s%s", am_result_name(ir->result), ir->name[0] ? "(" : "",
		 ir->name, ir->name[0] ? ")" : "");
	kv(out, outlen, "iprev", v);
}

/* Append " key=result(domain)" for one SPF identity. */
static void kv_spf(char *out, size_t outlen, const char *key, const struct am_spf_result *s)
{
	char v[AM_DOMAIN_MAX + 32];

	if (!s->checked)
		return;
	snprintf(v, sizeof(v), "%s(%s)", am_result_name(s->result), s->domain);
	kv(out, outlen, key, v);
}

/* Append " dkim=r1(d=..),r2(d=..)" or nothing. */
static void kv_dkim(char *out, size_t outlen, const struct am_dkim_result *d)
{
	char v[1024] = "";

	if (!d->checked)
		return;
	if (d->count == 0)
		snprintf(v, sizeof(v), "none");
	for (size_t i = 0; i < d->count; i++) {
		size_t len = strlen(v);
		snprintf(v + len, sizeof(v) - len, "%s%s(d=%s)", i ? "," : "",
			 am_result_name(d->sigs[i].result), d->sigs[i].domain);
	}
	kv(out, outlen, "dkim", v);
	if (d->unverified > 0) {
		snprintf(v, sizeof(v), "%zu", d->unverified);
		kv(out, outlen, "dkim_unverified", v);
	}
}

/* Append the RFC 9989 policy keys (stable, read by the report tool):
 * dmarc_effective= (only when it differs from the published policy),
 * dmarc_override=TYPE,TYPE (RFC 9990 PolicyOverrideType), dmarc_override_comment=
 * (the comments, "; " separated, same order), dmarc_evidence= (why a
 * reject was kept) and dmarc_pct_ignored=N (treewalk mode). */
static void kv_dmarc_policy(char *out, size_t outlen, const struct am_dmarc_result *d)
{
	char types[128] = "", comments[512] = "";

	if (d->result == AM_RES_FAIL && d->effective_policy != d->policy)
		kv(out, outlen, "dmarc_effective", am_dmarc_policy_name(d->effective_policy));
	for (unsigned i = 0; i < d->noverrides && i < AM_DMARC_OVERRIDES_MAX; i++) {
		size_t tl = strlen(types), cl = strlen(comments);
		snprintf(types + tl, sizeof(types) - tl, "%s%s", i ? "," : "",
			 am_dmarc_override_name(d->overrides[i].type));
		snprintf(comments + cl, sizeof(comments) - cl, "%s%s", i ? "; " : "", d->overrides[i].comment);
	}
	if (types[0])
		kv(out, outlen, "dmarc_override", types);
	if (comments[0])
		kv(out, outlen, "dmarc_override_comment", comments);
	if (d->evidence[0])
		kv(out, outlen, "dmarc_evidence", d->evidence);
	if (d->pct_ignored) {   /* RFC 9989 A.6: pct= is gone; say we saw it */
		char pct[16];
		snprintf(pct, sizeof(pct), "%d", d->pct);
		kv(out, outlen, "dmarc_pct_ignored", pct);
	}
}

/* Append the DMARC result and what an aggregate report needs. */
static void kv_dmarc(char *out, size_t outlen, const struct am_dmarc_result *d)
{
	char v[AM_DOMAIN_MAX + 64];

	if (!d->checked)
		return;
	if (d->p == AM_DMARC_P_UNSPEC)
		snprintf(v, sizeof(v), "%s", am_result_name(d->result));
	else
		snprintf(v, sizeof(v), "%s(%s=%s,dis=%s)", am_result_name(d->result),
			 d->policy_tag[0] ? d->policy_tag : "p", am_dmarc_policy_name(d->policy),
			 am_dmarc_policy_name(d->disposition));
	kv(out, outlen, "dmarc", v);
	kv(out, outlen, "hfrom", d->header_from);
	if (d->policy_domain[0] && strcmp(d->policy_domain, d->header_from) != 0)
		kv(out, outlen, "polrec", d->policy_domain);
	snprintf(v, sizeof(v), "%s%s%s", d->spf_aligned ? "spf" : "",
		 d->spf_aligned && d->dkim_aligned ? "," : "", d->dkim_aligned ? "dkim" : "");
	kv(out, outlen, "aligned", v[0] ? v : "none");
	kv_dmarc_policy(out, outlen, d);
	if (d->result != AM_RES_PASS && d->reason[0])
		kv(out, outlen, "dmarc_reason", d->reason);
}

/* Append " arc=pass(i=2,sealer=lists.example)", the trusted sealer that
 * vouched for the author, and why a chain failed or was not trusted. */
static void kv_arc(char *out, size_t outlen, const struct am_arc_result *a)
{
	char v[AM_DOMAIN_MAX + 64];

	if (!a->checked || a->result == AM_RES_NONE)   /* no ARC set: keep the line short */
		return;
	if (a->instances == 0)
		snprintf(v, sizeof(v), "%s", am_result_name(a->result));
	else if (a->oldest_pass == 0)
		snprintf(v, sizeof(v), "%s(i=%u,sealer=%s)", am_result_name(a->result), a->instances,
			 a->sealer);
	else   /* RFC 8617 5.2 step 5: an AMS below it failed */
		snprintf(v, sizeof(v), "%s(i=%u,sealer=%s,oldest_pass=%u)", am_result_name(a->result),
			 a->instances, a->sealer, a->oldest_pass);
	kv(out, outlen, "arc", v);
	if (a->trusted_author_pass)
		kv(out, outlen, "arc_trusted", a->trusted_sealer);
	if (a->reason[0])
		kv(out, outlen, "arc_reason", a->reason);
}

/* Format the decision line. */
/* (Its fields, in order, as " key=value" pairs: the one list both
 * renderers, key=value and JSON, write from.) */
static void fields(const struct am_log_entry *e, char *out, size_t outlen)
{
	const struct am_verdict *v = e->verdict;
	const struct am_results *r = e->results;
	char client[80], num[32];

	out[0] = '\0';
	kv(out, outlen, "conn", e->conn_id);
	kv(out, outlen, "action", am_action_name(v->action == AM_ACT_NONE ? AM_ACT_ACCEPT : v->action));
	if (v->would != v->action)
		kv(out, outlen, "would", am_action_name(v->would));
	kv(out, outlen, "reason", v->reason[0] ? v->reason : "pass");
	kv(out, outlen, "stage", e->stage);
	snprintf(client, sizeof(client), "[%s]", e->client_ip ? e->client_ip : "unknown");
	kv(out, outlen, "client", client);
	kv(out, outlen, "helo", e->helo);
	kv(out, outlen, "from", e->mail_from);
	if (e->rcpt)
		kv(out, outlen, "rcpt", e->rcpt);
	if (r->trusted)
		kv(out, outlen, "trusted", r->trusted_why);
	if (r->auth_user[0])
		kv(out, outlen, "auth", r->auth_user);
	if (r->internal_error)
		kv(out, outlen, "error", r->internal_error_what);
	kv_spf(out, outlen, "spf", &r->spf_mailfrom);
	kv_spf(out, outlen, "spf_helo", &r->spf_helo);
	kv_dkim(out, outlen, &r->dkim);
	kv_arc(out, outlen, &r->arc);
	kv_dmarc(out, outlen, &r->dmarc);
	if (r->bimi.checked) {
		kv(out, outlen, "bimi", am_bimi_outcome_name(r->bimi.result));
		if (r->bimi.result != AM_BIMI_PASS && r->bimi.reason[0])
			kv(out, outlen, "bimi_reason", r->bimi.reason);
	}
	if (r->grey.checked) {
		kv(out, outlen, "greylist", am_grey_outcome_name(r->grey.outcome));
		if (r->grey.reason[0])
			kv(out, outlen, "greylist_reason", r->grey.reason);
	}
	kv_iprev(out, outlen, &r->iprev);
	snprintf(num, sizeof(num), "%d", v->score);
	kv(out, outlen, "score", num);
	snprintf(num, sizeof(num), "%ld", e->ms);
	kv(out, outlen, "ms", num);
}

/* A field list as one line in the entry's form: "QUEUEID: key=value ..."
 * or one JSON object, the queue id escaped either way. */
static void render(const struct am_log_entry *e, const char *list, char *out, size_t outlen)
{
	char qid[160];

	queue_id_token(e->queue_id && *e->queue_id ? e->queue_id : "NOQUEUE", qid, sizeof(qid));
	if (list == NULL)   /* still a line: the queue id says which message */
		snprintf(out, outlen, "%s: (out of memory)", qid);
	else if (e->json)
		am_log_json(qid, list, out, outlen);
	else
		snprintf(out, outlen, "%s:%s", qid, list);
}

/* Format the decision line (see am_log.h). */
void am_log_format(const struct am_log_entry *e, char *out, size_t outlen)
{
	char *list;

	if (outlen == 0)
		return;
	if ((list = malloc(outlen)) != NULL)
		fields(e, list, outlen);
	render(e, list, out, outlen);
	free(list);
}

/* One detail line from its field list, in the entry's form. */
static void detail(const struct am_log_entry *e, const char *list, am_log_emit_fn emit, void *arg)
{
	char line[2048];

	render(e, list, line, sizeof(line));
	emit(arg, line);
}

/* The term of record that gave result, when the record alone says which:
 * without redirect=, the one mechanism whose qualifier yields result (an
 * include yields its qualifier only when the included record passes, so it
 * counts too). "" when several could have (or none did). */
static void spf_term(const char *record, enum am_result result, char *out, size_t outlen)
{
	const char q = result == AM_RES_PASS ? '+' : result == AM_RES_FAIL ? '-' :
		       result == AM_RES_SOFTFAIL ? '~' : result == AM_RES_NEUTRAL ? '?' : 0;
	size_t len = strlen(record), pos = 0, start, tlen, found = 0;

	out[0] = '\0';
	am_spf_next_term(record, len, &pos, &start, &tlen);   /* v=spf1 */
	while (q && am_spf_next_term(record, len, &pos, &start, &tlen)) {
		const char *t = record + start;
		char tq = strchr("+-~?", *t) ? *t : '+';
		size_t name = strspn(t + (tq == *t), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");
		if (t[(tq == *t) + name] == '=') {   /* a modifier */
			if (strncasecmp(t, "redirect=", 9) == 0)
				return (void)(out[0] = '\0');
			continue;
		}
		if (tq == q && found++ == 0)
			snprintf(out, outlen, "%.*s", (int)tlen, t);
	}
	if (found != 1)
		out[0] = '\0';
}

/* SPF of one identity: domain, result, the record and why. */
static void detail_spf(const struct am_log_entry *e, const char *identity,
		       const struct am_spf_result *s, am_log_emit_fn emit, void *arg)
{
	char f[1536] = "", term[256];

	if (!s->checked)
		return;
	kv(f, sizeof(f), "detail", "spf");
	kv(f, sizeof(f), "conn", e->conn_id);
	kv(f, sizeof(f), "identity", identity);
	kv(f, sizeof(f), "domain", s->domain);
	kv(f, sizeof(f), "result", am_result_name(s->result));
	kv(f, sizeof(f), "record", s->record[0] ? s->record : "none");
	spf_term(s->record, s->result, term, sizeof(term));
	if (term[0] && strcmp(s->reason, "a mechanism matched") == 0)
		kv(f, sizeof(f), "term", term);
	kv(f, sizeof(f), "why", s->reason);
	detail(e, f, emit, arg);
}

/* One line per DKIM signature: d=, s=, a=, key size, result and why. */
static void detail_dkim(const struct am_log_entry *e, const struct am_dkim_result *d,
			am_log_emit_fn emit, void *arg)
{
	for (size_t i = 0; d->checked && i < d->count && i < AM_DKIM_MAX_SIGS; i++) {
		const struct am_dkim_sig *s = &d->sigs[i];
		char f[1536] = "", num[16];
		kv(f, sizeof(f), "detail", "dkim");
		kv(f, sizeof(f), "conn", e->conn_id);
		kv(f, sizeof(f), "d", s->domain);
		kv(f, sizeof(f), "s", s->selector);
		kv(f, sizeof(f), "a", s->algorithm);
		snprintf(num, sizeof(num), "%u", s->key_bits);
		kv(f, sizeof(f), "bits", num);
		kv(f, sizeof(f), "result", am_result_name(s->result));
		kv(f, sizeof(f), "why", s->reason[0] ? s->reason : "-");
		detail(e, f, emit, arg);
	}
}

/* DMARC: which record (domain), the tag that applied, alignment modes. */
static void detail_dmarc(const struct am_log_entry *e, const struct am_dmarc_result *d,
			 am_log_emit_fn emit, void *arg)
{
	char f[1536] = "", v[AM_DOMAIN_MAX + 32];

	if (!d->checked)
		return;
	kv(f, sizeof(f), "detail", "dmarc");
	kv(f, sizeof(f), "conn", e->conn_id);
	kv(f, sizeof(f), "hfrom", d->header_from);
	kv(f, sizeof(f), "record", d->policy_domain[0] ? d->policy_domain : "none");
	snprintf(v, sizeof(v), "%s=%s", d->policy_tag[0] ? d->policy_tag : "p", am_dmarc_policy_name(d->policy));
	kv(f, sizeof(f), "tag", d->p == AM_DMARC_P_UNSPEC ? "none" : v);
	snprintf(v, sizeof(v), "adkim=%c aspf=%c", d->adkim ? d->adkim : 'r', d->aspf ? d->aspf : 'r');
	kv(f, sizeof(f), "modes", v);
	kv(f, sizeof(f), "spf_domain", d->spf_domain);
	kv(f, sizeof(f), "dkim_domain", d->dkim_domain);
	kv(f, sizeof(f), "result", am_result_name(d->result));
	kv(f, sizeof(f), "why", d->reason[0] ? d->reason : "-");
	detail(e, f, emit, arg);
}

/* iprev: the address, the verified name and why. */
static void detail_iprev(const struct am_log_entry *e, const struct am_iprev_result *ir,
			 am_log_emit_fn emit, void *arg)
{
	char f[1024] = "";

	if (!ir->checked)
		return;
	kv(f, sizeof(f), "detail", "iprev");
	kv(f, sizeof(f), "conn", e->conn_id);
	kv(f, sizeof(f), "address", ir->address);
	kv(f, sizeof(f), "name", ir->name[0] ? ir->name : "none");
	kv(f, sizeof(f), "result", am_result_name(ir->result));
	kv(f, sizeof(f), "why", ir->reason);
	detail(e, f, emit, arg);
}

/* The [log] verbose lines; see am_log.h. */
void am_log_details(const struct am_log_entry *e, am_log_emit_fn emit, void *arg)
{
	const struct am_results *r = e->results;

	detail_iprev(e, &r->iprev, emit, arg);
	detail_spf(e, "mailfrom", &r->spf_mailfrom, emit, arg);
	detail_spf(e, "helo", &r->spf_helo, emit, arg);
	detail_dkim(e, &r->dkim, emit, arg);
	detail_dmarc(e, &r->dmarc, emit, arg);
}

/* Configure the sink; see am_log.h. */
int am_log_open(const char *ident, const char *facility, bool to_stderr)
{
	static const struct { const char *name; int value; } facilities[] = {
		{"mail", LOG_MAIL},     {"daemon", LOG_DAEMON}, {"local0", LOG_LOCAL0},
		{"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},
		{"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6},
		{"local7", LOG_LOCAL7},
	};
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++) {
		if (strcasecmp(facility, facilities[i].name) == 0) {
			log_to_stderr = to_stderr;
			openlog(ident, LOG_PID | LOG_NDELAY, facilities[i].value);
			return 0;
		}
	}
	return -1;
}

/* Offline mode: nothing to syslog; lines up to max_prio to stderr. */
void am_log_open_stderr(int max_prio)
{
	log_no_syslog = true;
	log_to_stderr = true;
	log_stderr_max = max_prio;
}

/* Seconds between two looks for the syslog socket (foreground mode). */
#define SYSLOG_RECHECK_S 10
static atomic_llong syslog_checked_at; /* time() of the last look; 0: none yet */
static atomic_bool syslog_missing;

/* Should this line go to syslog? In foreground mode every line is on
 * stderr already, and without /dev/log glibc's syslog() tries to connect
 * for every line and fails (socket, connect, close: three system calls a
 * line, 5% of the daemon's CPU above the null milter in make bench). So
 * while the socket is absent syslog is skipped, and looked for again every
 * SYSLOG_RECHECK_S seconds: a syslog daemon started later gets the lines
 * from then on. In the background syslog is the only sink: always tried. */
static bool syslog_usable(void)
{
	long long now;

	if (log_no_syslog)
		return false;
	if (!log_to_stderr)
		return true;
	now = (long long)time(NULL);
	if (now - atomic_load(&syslog_checked_at) >= SYSLOG_RECHECK_S) {
		atomic_store(&syslog_missing, access(_PATH_LOG, F_OK) != 0);
		atomic_store(&syslog_checked_at, now);
	}
	return !atomic_load(&syslog_missing);
}

/* Log one line to syslog, and to stderr in foreground mode. */
void am_log(int prio, const char *fmt, ...)
{
	char line[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (syslog_usable())
		syslog(prio, "%s", line);
	if (log_to_stderr && prio <= log_stderr_max) {
		char stamp[32];
		time_t now = time(NULL);
		struct tm tm;
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", localtime_r(&now, &tm));
		fprintf(stderr, "%s authmilter: %s\n", stamp, line);
	}
}
