/*
 * am_report_data.h - the data of DMARC aggregate reports (RFC 9990), one
 * line per DMARC-evaluated message, written by the daemon and read by
 * contrib/authmilter-dmarc-report. This module only formats and appends;
 * grouping, XML and sending are the tool's.
 *
 * A line is one JSON object (keys in lib/am_report_data.c). Its "id" (host,
 * connection, queue id, time in microseconds) is unique across hosts and
 * restarts, so the tool counts a line read twice (a rotated file given
 * again, the same file from two paths) once.
 */
#ifndef AM_REPORT_DATA_H
#define AM_REPORT_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "am_msg.h"
#include "am_results.h"

/* Longest line: 16 DKIM signatures with 255-byte domains fit. */
#define AM_REPORT_LINE_MAX 16384

/* The envelope and local settings a record needs beside the results. */
struct am_report_env {
	const char *host;          /* this MX host ("" not allowed: caller resolves) */
	const char *conn_id;
	const char *queue_id;      /* "" before the MTA names one */
	int64_t time_us;           /* wall clock, microseconds since the epoch */
	const char *client_ip;
	const char *helo;
	const char *mail_from;     /* bare address, "" for <> */
	const char *const *rcpts;  /* accepted recipients */
	size_t nrcpts;
	const char *report_from;   /* [report] from: our own report mail (loop guard) */
};

/* Is this message's DMARC outcome one a report carries (pass or fail under
 * a found policy record)? */
bool am_report_data_wanted(const struct am_results *r);

/* Format the record of one message, newline included. Returns its length,
 * or -1 with the reason in err (line too long). */
int am_report_data_format(const struct am_report_env *env, const struct am_results *r, char *out,
			  size_t outlen, char *err, size_t errlen);

/* Append one whole line to path with a single write() under O_APPEND (a
 * reader never sees half a line; a renamed file is recreated). 0 or -1. */
int am_report_data_append(const char *path, const char *line, size_t len, char *err, size_t errlen);

/* At end of message, after the decision: with [report] enable, append the
 * record of the connection's current message when it is wanted; a failure
 * is logged (the message is not held up for it). */
void am_report_data_record(const struct am_conn *c);

#endif
