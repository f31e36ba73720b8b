/*
 * metrics_http.c - serves the metrics registry over HTTP with libmicrohttpd:
 * GET (or HEAD) /metrics gives the Prometheus text, other paths 404,
 * other methods 405. libmicrohttpd runs one polling thread of its own,
 * started after the daemon blocked its signals, so that thread never takes
 * SIGUSR1 or SIGTERM. No authentication and no TLS: bind it to loopback or
 * an internal network.
 */
#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am_log.h"
#include "metrics_http.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct am_metrics_http {
	struct MHD_Daemon *mhd;
	const struct am_metrics *mx;
};

/* libmicrohttpd's error messages go to our log. */
static void log_mhd(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	am_log(LOG_WARNING, "metrics endpoint: %s", msg);
}

/* Queue a response of text (taken over, freed by libmicrohttpd) or of a
 * short static text. */
static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, char *owned,
			     size_t len, const char *fixed)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	if (owned != NULL)
		r = MHD_create_response_from_buffer(len, owned, MHD_RESPMEM_MUST_FREE);
	else
		r = MHD_create_response_from_buffer(strlen(fixed), (void *)fixed, MHD_RESPMEM_PERSISTENT);
	if (r == NULL) {
		free(owned);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", owned != NULL ? CONTENT_TYPE : "text/plain");
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* One request: the metrics, or why not. */
static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_len, void **req_cls)
{
	const struct am_metrics_http *srv = cls;
	char err[128], *text = NULL;
	size_t len = 0;

	(void)version, (void)upload, (void)upload_len, (void)req_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, 0, "only GET\n");
	if (strcmp(url, "/metrics") != 0)
		return reply(conn, MHD_HTTP_NOT_FOUND, NULL, 0, "not found: try /metrics\n");
	if (am_metrics_render(srv->mx, &text, &len, err, sizeof(err)) != 0) {
		am_log(LOG_ERR, "metrics endpoint: %s", err);
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, 0, "internal error\n");
	}
	return reply(conn, MHD_HTTP_OK, text, len, NULL);
}

/* Start libmicrohttpd's thread on the listen address. */
struct am_metrics_http *am_metrics_http_start(const char *spec, const struct am_metrics *mx,
					      char *err, size_t errlen)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	struct am_metrics_http *srv;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;

	if (am_metrics_parse_listen(spec, &sa, &salen, err, errlen) != 0)
		return NULL;
	if (salen == 0) {
		snprintf(err, errlen, "[metrics] listen is empty");
		return NULL;
	}
	if ((srv = calloc(1, sizeof(*srv))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->mx = mx;
	if (sa.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	errno = 0;
	srv->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, srv,
				    MHD_OPTION_EXTERNAL_LOGGER, log_mhd, NULL,
				    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				    MHD_OPTION_CONNECTION_LIMIT, 16u,
				    MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (srv->mhd == NULL) {
		snprintf(err, errlen, "cannot serve metrics on %s: %s", spec,
			 errno ? strerror(errno) : "libmicrohttpd failed to start");
		free(srv);
		return NULL;
	}
	return srv;
}

/* Stop the server thread and free it. */
void am_metrics_http_stop(struct am_metrics_http *srv)
{
	if (srv == NULL)
		return;
	MHD_stop_daemon(srv->mhd);
	free(srv);
}
