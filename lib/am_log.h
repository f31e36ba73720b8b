/*
 * am_log.h - the decision line (one per message, stable key=value pairs,
 * wire text escaped) and the log sink (syslog, plus stderr in foreground).
 */
#ifndef AM_LOG_H
#define AM_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

#include "am_policy.h"
#include "am_results.h"

struct am_log_entry {
	const char *queue_id;   /* NULL or "": "NOQUEUE" */
	const char *conn_id;    /* our connection id, always present */
	const char *stage;      /* "rcpt" or "eom" */
	const char *client_ip;
	const char *helo;
	const char *mail_from;
	const char *rcpt;       /* at RCPT: the recipient decided on */
	const struct am_results *results;
	const struct am_verdict *verdict;
	long ms;                /* time spent on the message so far */
	bool json;              /* [log] format = json: one JSON object instead */
};

/* Format the decision line into out (no trailing newline). */
void am_log_format(const struct am_log_entry *e, char *out, size_t outlen);

/* Receives one formatted line. */
typedef void (*am_log_emit_fn)(void *arg, const char *line);

/* [log] verbose: one detail line per check that ran (iprev, SPF per
 * identity, each DKIM signature, DMARC), in the entry's form (key=value or
 * JSON), each starting with the queue id and detail=CHECK. */
void am_log_details(const struct am_log_entry *e, am_log_emit_fn emit, void *arg);

/* Render a field list as am_log_format() collects it (" key=value" pairs,
 * values escaped as am_log_escape() does) into one JSON object, queue_id
 * first; fields that do not fit are left out whole. */
void am_log_json(const char *queue_id, const char *list, char *out, size_t outlen);

/* Escape text for a key=value log: bare when safe, else "quoted" with
 * \" \\ and \xNN for control and non-ASCII bytes. */
void am_log_escape(const char *in, char *out, size_t outlen);

/* Configure the sink once at start-up, before any thread logs:
 * ident, syslog facility name ("mail", "local0".."local7"), and whether to
 * copy every line to stderr. Returns -1 for an unknown facility. */
int am_log_open(const char *ident, const char *facility, bool to_stderr);
/* Instead, for the offline mode (`authmilter -t`): no syslog at all, and
 * only lines of priority max_prio or more urgent (LOG_WARNING, ...) on stderr. */
void am_log_open_stderr(int max_prio);

/* Log one line at priority prio (LOG_INFO, LOG_ERR, ...). */
void am_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
