/*
 * am_metrics.h - the process's counters and latency histograms, written in
 * the Prometheus text format on request.
 *
 * One registry per process, created by the daemon (only when [metrics]
 * listen is set) and handed to each connection; every update is a relaxed
 * atomic add, so the milter threads never take a lock. Every function
 * accepts a NULL registry and then does nothing, so the session code calls
 * them unconditionally. Serving the text over HTTP is milter/'s job.
 */
#ifndef AM_METRICS_H
#define AM_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "am_dns.h"
#include "am_policy.h"
#include "am_results.h"

struct am_metrics;

/* The stages whose duration is measured. */
enum am_metrics_stage {
	AM_METRICS_MAIL,   /* MAIL FROM: SPF */
	AM_METRICS_RCPT,   /* one RCPT TO: greylisting, the RCPT verdict */
	AM_METRICS_EOM,    /* end of message: DKIM, DMARC, the verdict */
	AM_METRICS_STAGES,
};

/* A new registry, every counter zero. NULL and err on failure. */
struct am_metrics *am_metrics_new(char *err, size_t errlen);
void am_metrics_free(struct am_metrics *mx);

/* Monotonic microseconds, or 0 when mx is NULL (nothing to time). */
int64_t am_metrics_clock(const struct am_metrics *mx);

/* A connection was opened. */
void am_metrics_connection(struct am_metrics *mx);
/* MAIL FROM was checked (started at start_us): the SPF results in r. */
void am_metrics_mail(struct am_metrics *mx, const struct am_results *r, int64_t start_us);
/* One greylisting result (counted only when checked). */
void am_metrics_grey(struct am_metrics *mx, const struct am_grey_result *g);
/* The verdict for one recipient (started at start_us); greylisting's
 * result for it is in g. */
void am_metrics_rcpt(struct am_metrics *mx, const struct am_grey_result *g,
		     const struct am_verdict *v, int64_t start_us);
/* The verdict at end of message (started at start_us): messages, DKIM and
 * DMARC results, the action. */
void am_metrics_eom(struct am_metrics *mx, const struct am_results *r, const struct am_verdict *v,
		    int64_t start_us);
/* Add the DNS statistics of a message's budget and zero them there, so
 * that calling it again at a later end of the message counts nothing twice. */
void am_metrics_dns(struct am_metrics *mx, struct am_dns_budget *b);

/* The whole registry in the Prometheus text exposition format (0.0.4):
 * *text is malloc'ed, NUL-terminated, *len bytes. */
int am_metrics_render(const struct am_metrics *mx, char **text, size_t *len, char *err,
		      size_t errlen);

/* Parse a [metrics] listen value, "HOST:PORT" or "[IPV6]:PORT" with a
 * numeric address. Empty means off: returns 0 with *salen = 0. */
int am_metrics_parse_listen(const char *spec, struct sockaddr_storage *sa, socklen_t *salen,
			    char *err, size_t errlen);

#endif
