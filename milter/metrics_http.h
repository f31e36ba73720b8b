/*
 * metrics_http.h - the [metrics] listen endpoint: an HTTP server
 * (libmicrohttpd, its own thread) answering GET /metrics with the
 * registry of lib/am_metrics.c in the Prometheus text format. It serves;
 * it counts nothing.
 */
#ifndef AM_METRICS_HTTP_H
#define AM_METRICS_HTTP_H

#include <stddef.h>

#include "am_metrics.h"

struct am_metrics_http;

/* Listen on spec ("ADDRESS:PORT" or "[IPV6]:PORT") and serve mx, which must
 * outlive the server. NULL and err on failure. */
struct am_metrics_http *am_metrics_http_start(const char *spec, const struct am_metrics *mx,
					      char *err, size_t errlen);
/* Stop serving and free the server; NULL is allowed. */
void am_metrics_http_stop(struct am_metrics_http *srv);

#endif
