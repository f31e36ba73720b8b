/*
 * main.c - authmilter's entry point: command-line options, start-up order
 * (config, log, background, runtime, socket, privileges, reload thread) and
 * shutdown. The only file that calls exit().
 *
 * Exit status: 0 success (or -n: config valid), 1 configuration or
 * start-up error, 64 bad command line. The offline mode (-t, offline.c)
 * exits with the action: 0 accept, 2 quarantine, 3 tempfail, 4 reject.
 */
#include <libmilter/mfapi.h>
#include <stdbool.h>
#include <stdio.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "am_grey.h"
#include "am_log.h"
#include "am_store.h"
#include "am_runtime.h"
#include "callbacks.h"
#include "config.h"
#include "daemon.h"
#include "instance.h"
#include "listener.h"
#include "checkconf.h"
#include "offline.h"
#include "metrics_http.h"

#define EXIT_USAGE 64
/* libmilter drops a connection whose packet is over 64 KB (its default),
 * and an MTA sends each header field as one packet: Postfix up to its
 * header_size_limit (100 KB by default), Sendmail up to MaxHeadersLength
 * (32 KB by default, admins raise it) once we ask for more. 1 MB, the
 * most libmilter offers, takes every header either lets through; it is
 * also what one header can cost us (libmilter's buffer, the checks' copy). */
#define AM_MILTER_MAX_DATA ((1024 * 1024) - 1)

struct options {
	const char *config;
	const char *socket;
	bool foreground;
	bool check_only;
	struct am_offline_args offline;  /* -t and its long options */
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: authmilter [-f] [-n] [-c FILE] [-p SOCKET]\n"
		"       authmilter -V | -h | --help\n"
		"  -c FILE    configuration file (default %s)\n"
		"  -f         stay in the foreground and log to stderr too\n"
		"  -n         check the configuration and exit (0 valid, 1 not)\n"
		"  -p SOCKET  milter socket, overrides [milter] socket: unix:PATH,\n"
		"             inet:PORT@HOST or inet6:PORT@HOST\n"
		"  -V         print the version\n"
		"  -h, --help this help\n"
		"SIGUSR1 reloads the configuration; SIGTERM, SIGINT and SIGHUP stop the\n"
		"daemon (within a second when idle).\n",
		AM_DEFAULT_CONFIG);
	am_offline_usage(out);
}

static void parse_options(int argc, char **argv, struct options *o)
{
	int c;

	/* --help beside the offline mode's long options, which own the table. */
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			exit(0);
		}
	o->config = AM_DEFAULT_CONFIG;
	while ((c = getopt_long(argc, argv, "c:fnp:t:Vh", am_offline_options(), NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'f': o->foreground = true; break;
		case 'n': o->check_only = true; break;
		case 'p': o->socket = optarg; break;
		case 'V': printf("authmilter %s\n", PACKAGE_VERSION); exit(0);
		case 'h': usage(stdout); exit(0);
		default:
			if (!am_offline_option(&o->offline, c, optarg)) {
				usage(stderr);
				exit(EXIT_USAGE);
			}
		}
	}
	if (optind != argc) {
		usage(stderr);
		exit(EXIT_USAGE);
	}
}

/* The offline mode's arguments are complete, or usage and exit 64. */
static void check_offline(const struct options *o)
{
	char err[256];

	if (o->offline.used && am_offline_check_args(&o->offline, err, sizeof(err)) != 0) {
		fprintf(stderr, "authmilter: %s\n", err);
		am_offline_usage(stderr);
		exit(EXIT_USAGE);
	}
}

/* Load the file, apply -p, and run the modules' own checks. */
static struct am_config *load_config(const struct options *o, char *err, size_t errlen)
{
	struct am_config *cfg;
	struct stat st;

	/* A directory opens and reads as an empty file: all defaults, "ok". */
	if (stat(o->config, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory, not a configuration file", o->config);
		return NULL;
	}
	if ((cfg = am_config_load(o->config, err, errlen)) == NULL)
		return NULL;
	if ((o->socket != NULL && am_config_set(cfg, "milter", "socket", o->socket, "-p", 0, err, errlen) != 0) ||
	    am_runtime_check_config(cfg, err, errlen) != 0) {
		am_checkconf_locate(cfg, err, errlen);
		am_config_free(cfg);
		return NULL;
	}
	return cfg;
}

/* A configuration warning, on stderr (before the log is open). */
static void warn_stderr(const char *msg)
{
	fprintf(stderr, "authmilter: warning: %s\n", msg);
}

/* -n: what start would build, without the stores (they may not be created
 * by root; checkconf checked their directory as the daemon's user). */
static int check_build(const struct options *o, char *err, size_t errlen)
{
	struct am_config *cfg = load_config(o, err, errlen);
	struct am_runtime *rt;

	if (cfg == NULL)
		return -1;
	cfg->grey_enable = false;
	if ((rt = am_runtime_new(cfg, NULL, 0, err, errlen)) == NULL)
		return -1;
	am_runtime_unref(rt);
	return 0;
}

/* -n: the greylisting store the start would open, read-only (a damaged
 * LMDB file is an error, or a warning when the start moves it aside). */
static int check_store(struct am_config *cfg)
{
	char warn[512] = "", err[512];

	if (am_grey_check_store(cfg, warn, sizeof(warn), err, sizeof(err)) != 0) {
		fprintf(stderr, "authmilter: %s\n", err);
		am_config_free(cfg);
		return -1;
	}
	if (warn[0] != '\0')
		fprintf(stderr, "authmilter: warning: %s\n", warn);
	return 0;
}

/* Report a start-up error where the admin will see it, and exit 1. */
static void die(const char *why)
{
	am_log(LOG_ERR, "not started: %s", why);
	am_daemon_failed(why);
	fprintf(stderr, "authmilter: %s\n", why);
	exit(1);
}

/* Socket, privileges and pidfile, in the order they need root. */
static void open_socket(const struct am_config *cfg, uid_t uid, gid_t gid)
{
	char err[512];

	if (smfi_setconn(cfg->socket) != MI_SUCCESS || smfi_settimeout(cfg->milter_timeout) != MI_SUCCESS)
		die("libmilter refused the socket specification");
	if (am_instance_check(cfg->socket, cfg->pidfile, err, sizeof(err)) != 0)
		die(err);
	if (am_daemon_prepare_socket_dir(cfg->socket, uid, gid, err, sizeof(err)) != 0)
		die(err);
	if (smfi_opensocket(1) != MI_SUCCESS) {
		snprintf(err, sizeof(err), "cannot open milter socket %s", cfg->socket);
		die(err);
	}
	if (am_daemon_socket_perms(cfg->socket, cfg->socket_mode, cfg->socket_group, uid, gid, err,
				   sizeof(err)) != 0 ||
	    am_daemon_write_pidfile(cfg->pidfile, err, sizeof(err)) != 0 ||
	    am_daemon_drop_privileges(cfg->user, uid, gid, err, sizeof(err)) != 0)
		die(err);
}

/* The [metrics] endpoint, when configured; its registry goes into the slot
 * (after am_runtime_slot_init), from where each connection takes it. */
static struct am_metrics_http *start_metrics(const struct am_config *cfg, struct am_runtime_slot *slot)
{
	char err[512];
	struct am_metrics_http *srv;

	if (cfg->metrics_listen == NULL || cfg->metrics_listen[0] == '\0')
		return NULL;
	if ((slot->metrics = am_metrics_new(err, sizeof(err))) == NULL ||
	    (srv = am_metrics_http_start(cfg->metrics_listen, slot->metrics, err, sizeof(err))) == NULL)
		die(err);
	am_log(LOG_INFO, "metrics on http://%s/metrics", cfg->metrics_listen);
	return srv;
}

/* At a stop (SIGTERM, or SIGHUP, which libmilter treats alike) smfi_main()
 * returns at once; new callbacks are refused (am_callbacks_shut), and the
 * ones still running (an end of message waiting on DNS) finish first,
 * within the DNS budget and some, before anything is freed. True when
 * none is left running. */
static bool wait_for_callbacks(struct am_runtime_slot *slot)
{
	const struct timespec tick = {0, 20 * 1000000L};
	struct am_runtime *now = am_runtime_slot_get(slot); /* rt may be gone: reloads */
	int n = am_callbacks_busy(), limit_ms = (now ? now->cfg->dns_budget_ms : 0) + 10000;

	am_runtime_unref(now);
	if (n > 0)
		am_log(LOG_INFO, "waiting for %d running callback%s", n, n == 1 ? "" : "s");
	for (int waited = 0; am_callbacks_busy() > 0 && waited < limit_ms; waited += 20)
		nanosleep(&tick, NULL);
	if ((n = am_callbacks_busy()) > 0)
		am_log(LOG_WARNING, "%d callback%s still running after %d ms; exiting anyway", n,
		       n == 1 ? "" : "s", limit_ms);
	return n == 0;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	struct am_runtime_slot slot;
	struct am_store_registry *stores;
	struct am_config *cfg;
	struct am_runtime *rt;
	struct am_metrics_http *metrics_srv;
	struct am_checkconf_user user;
	char err[512];
	int rc;

	parse_options(argc, argv, &o);
	check_offline(&o);
	if ((cfg = load_config(&o, err, sizeof(err))) == NULL) {
		fprintf(stderr, "authmilter: %s\n", err);
		return 1;
	}
	if (!o.offline.used && (am_checkconf(cfg, warn_stderr, &user, err, sizeof(err)) != 0 ||
				(o.check_only && check_build(&o, err, sizeof(err)) != 0))) {
		fprintf(stderr, "authmilter: %s\n", err);
		am_config_free(cfg);
		return 1;
	}
	if (o.check_only && check_store(cfg) != 0)
		return 1;
	if (o.check_only) {
		if (cfg->warnings)   /* deprecated keys: valid, but say what to write now */
			fprintf(stderr, "%s", cfg->warnings);
		printf("%s: configuration ok\n", o.config);
		am_config_free(cfg);
		return 0;
	}
	if (o.offline.used)
		return am_offline_run(cfg, &o.offline, stdout);
	if (am_log_open("authmilter", cfg->log_facility, o.foreground) != 0)
		die("[log] facility: unknown syslog facility");
	if (!o.foreground && am_daemon_background(err, sizeof(err)) != 0)
		die(err);
	am_daemon_block_signals();
	(void)smfi_setmaxdatasize(AM_MILTER_MAX_DATA);
	if (smfi_register(*am_callbacks_filter(&slot)) != MI_SUCCESS)
		die("smfi_register failed");
	open_socket(cfg, user.uid, user.gid);
	/* After the privilege drop: LMDB files belong to the daemon's user. */
	if ((stores = am_store_registry_new()) == NULL)
		die("out of memory");
	if ((rt = am_runtime_new(cfg, stores, 1, err, sizeof(err))) == NULL)
		die(err);
	am_runtime_slot_init(&slot, rt);
	metrics_srv = start_metrics(rt->cfg, &slot);
	if (am_daemon_start_reloader(&slot, stores, o.config, o.socket, err, sizeof(err)) != 0)
		die(err);
	am_log(LOG_INFO, "started on %s (config %s, generation 1)", rt->cfg->socket, o.config);
	am_daemon_ready();
	rc = am_listener_run(rt->cfg->socket);
	am_log(LOG_INFO, "stopping");
	am_callbacks_shut();
	if (wait_for_callbacks(&slot)) {
		unsigned n = am_callbacks_close_abandoned();
		if (n > 0)
			am_log(LOG_INFO, "closed %u conversation%s the stop left open", n, n == 1 ? "" : "s");
	}
	am_daemon_stop_reloader();
	am_metrics_http_stop(metrics_srv);
	am_runtime_slot_clear(&slot);
	am_metrics_free(slot.metrics);
	am_store_registry_free(stores);
	return rc == MI_SUCCESS ? 0 : 1;
}
