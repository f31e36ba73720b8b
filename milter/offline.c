/*
 * offline.c - the offline test mode, `authmilter -c FILE -t message.eml
 * --client-ip IP --helo NAME --mail-from ADDR --rcpt ADDR`: the session
 * calls the milter callbacks make (lib/am_session.c), on a generation built
 * like the daemon's (lib/am_runtime.c: same resolver, greylisting store
 * registry and policy), with the message split as an MTA would
 * (lib/am_message.c). Prints the resolver asked, the verdict, the SMTP
 * reply, the header edits and the decision line(s) (and, with [log]
 * verbose, the detail lines); the exit status says the action (offline.h).
 *
 * It does not talk to an MTA, log to syslog (warnings go to stderr), or
 * modify the message: it says what the milter would do.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "am_addr.h"
#include "am_log.h"
#include "am_message.h"
#include "am_runtime.h"
#include "am_session.h"
#include "am_store.h"
#include "daemon.h"
#include "offline.h"

/* What one offline run carries between its steps. */
struct offline {
	FILE *out;
	FILE *logs;             /* decision lines, printed last */
	char *logbuf;
	size_t loglen;
	struct am_conn *conn;
	struct am_verdict v;    /* the deciding verdict */
	const char *stage;      /* "rcpt" or "eom" */
};

/* Codes of the long options (beyond every short option character). */
enum {
	OPT_CLIENT_IP = 256,
	OPT_CLIENT_NAME,
	OPT_CLIENT_PTR,
	OPT_HELO,
	OPT_MAIL_FROM,
	OPT_RCPT,
	OPT_AUTH_USER,
	OPT_QUEUE_ID,
};

const struct option *am_offline_options(void)
{
	static const struct option opts[] = {
		{"client-ip", required_argument, NULL, OPT_CLIENT_IP},
		{"client-name", required_argument, NULL, OPT_CLIENT_NAME},
		{"client-ptr", required_argument, NULL, OPT_CLIENT_PTR},
		{"helo", required_argument, NULL, OPT_HELO},
		{"mail-from", required_argument, NULL, OPT_MAIL_FROM},
		{"rcpt", required_argument, NULL, OPT_RCPT},
		{"auth-user", required_argument, NULL, OPT_AUTH_USER},
		{"queue-id", required_argument, NULL, OPT_QUEUE_ID},
		{NULL, 0, NULL, 0},
	};
	return opts;
}

bool am_offline_option(struct am_offline_args *a, int c, const char *arg)
{
	switch (c) {
	case 't': a->message = arg; break;
	case OPT_CLIENT_IP: a->client_ip = arg; break;
	case OPT_CLIENT_NAME: a->client_name = arg; break;
	case OPT_CLIENT_PTR: a->client_ptr = arg; break;
	case OPT_HELO: a->helo = arg; break;
	case OPT_MAIL_FROM: a->mail_from = arg; break;
	case OPT_AUTH_USER: a->auth_user = arg; break;
	case OPT_QUEUE_ID: a->queue_id = arg; break;
	case OPT_RCPT:
		if (a->nrcpts < AM_OFFLINE_MAX_RCPTS)
			a->rcpts[a->nrcpts++] = arg;
		else
			a->too_many_rcpts = true;
		break;
	default: return false;
	}
	a->used = true;
	return true;
}

void am_offline_usage(FILE *out)
{
	fprintf(out,
		"usage: authmilter [-c FILE] -t MESSAGE|- --client-ip IP --helo NAME\n"
		"                  --mail-from ADDR --rcpt ADDR [--rcpt ADDR ...]\n"
		"                  [--client-name NAME] [--client-ptr NAME] [--auth-user USER]\n"
		"                  [--queue-id ID]\n"
		"  -t MESSAGE   check one message (\"-\": standard input) without an MTA, with\n"
		"               the daemon's configuration, DNS, greylisting store and policy;\n"
		"               prints the verdict, the SMTP reply, the header edits and the\n"
		"               decision line. --client-name is the MTA's verified reverse DNS\n"
		"               name (default: none, \"[IP]\"); --mail-from '' is the null sender.\n"
		"               Exit status: 0 accept, 2 quarantine, 3 tempfail, 4 reject,\n"
		"               1 error, 64 bad or missing arguments.\n");
}

int am_offline_check_args(const struct am_offline_args *a, char *err, size_t errlen)
{
	struct am_ip ip;
	const char *missing = a->message == NULL     ? "-t MESSAGE"
			      : a->client_ip == NULL ? "--client-ip"
			      : a->helo == NULL      ? "--helo"
			      : a->mail_from == NULL ? "--mail-from"
			      : a->nrcpts == 0       ? "--rcpt"
						     : NULL;

	if (missing != NULL) {
		snprintf(err, errlen, "offline mode needs %s", missing);
		return -1;
	}
	if (am_ip_parse(a->client_ip, &ip) != 0) {
		snprintf(err, errlen, "--client-ip '%s' is not an IPv4 or IPv6 address", a->client_ip);
		return -1;
	}
	if (a->too_many_rcpts) {
		snprintf(err, errlen, "at most %d --rcpt", AM_OFFLINE_MAX_RCPTS);
		return -1;
	}
	return 0;
}

/* The session's decision lines, kept for the end of the output. */
static void on_decision(void *arg, const char *line)
{
	struct offline *o = arg;

	fprintf(o->logs, "log: %s\n", line);
}

static int on_header(void *ctx, const char *name, const char *value)
{
	am_session_header(((struct offline *)ctx)->conn, name, value);
	return 0;
}

static bool on_eoh(void *ctx)
{
	return am_session_eoh(((struct offline *)ctx)->conn);
}

static int on_body(void *ctx, const unsigned char *buf, size_t len)
{
	am_session_body(((struct offline *)ctx)->conn, buf, len);
	return 0;
}

/* Reply text as the SMTP client would see it: one line. */
static void print_reply(FILE *out, const struct am_verdict *v)
{
	const char *code = v->code[0] ? v->code : v->action == AM_ACT_REJECT ? "550" : "451";

	if (v->action != AM_ACT_TEMPFAIL && v->action != AM_ACT_REJECT) {
		fprintf(out, "reply: none (the MTA gives its own 250)\n");
		return;
	}
	fprintf(out, "reply: %s%s%s ", code, v->xcode[0] ? " " : "", v->xcode);
	for (const char *p = v->text; *p; p++)
		fputc((unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p, out);
	fputc('\n', out);
}

/* The verdict: action, what dry_run suppressed, reason, stage, score, reply. */
static void print_verdict(FILE *out, const struct am_verdict *v, const char *stage)
{
	enum am_action act = v->action == AM_ACT_NONE ? AM_ACT_ACCEPT : v->action;

	fprintf(out, "action: %s\n", am_action_name(act));
	if (v->would != v->action && v->would != AM_ACT_NONE)
		fprintf(out, "would: %s\n", am_action_name(v->would));
	fprintf(out, "reason: %s\nstage: %s\nscore: %d\n", v->reason[0] ? v->reason : "pass", stage,
		v->score);
	print_reply(out, v);
}

/* The header edits of a message that goes on, in the order apply.c makes
 * them; the added headers as they would read in the message. */
static void print_edits(FILE *out, const struct am_verdict *v, const struct am_edits *e)
{
	if (v->action == AM_ACT_TEMPFAIL || v->action == AM_ACT_REJECT) {
		fprintf(out, "headers: none (the message is refused)\n");
		return;
	}
	for (unsigned i = 0; i < e->ndeletes; i++)
		fprintf(out, "remove: %s #%u\n", e->deletes[i].name, e->deletes[i].index);
	if (e->add_authres)
		fprintf(out, "add: Authentication-Results: %s\n", e->authres);
	if (e->add_bimi_location)
		fprintf(out, "add: BIMI-Location: %s\n", e->bimi_location);
	if (e->add_marker)
		fprintf(out, "add: %s: %s\n", e->marker_name, e->marker);
	if (v->action == AM_ACT_QUARANTINE)
		fprintf(out, "quarantine: %s\n", v->text[0] ? v->text : "authmilter");
}

/* The exit status for the action given. */
static int exit_status(const struct am_verdict *v)
{
	switch (v->action) {
	case AM_ACT_QUARANTINE: return AM_OFFLINE_EXIT_QUARANTINE;
	case AM_ACT_TEMPFAIL: return AM_OFFLINE_EXIT_TEMPFAIL;
	case AM_ACT_REJECT: return AM_OFFLINE_EXIT_REJECT;
	default: return AM_OFFLINE_EXIT_ACCEPT;
	}
}

/* The recipients, as the MTA would send them; false when all are refused
 * (then o->v is the last refusal). */
static bool run_rcpts(struct offline *o, const struct am_offline_args *a)
{
	unsigned accepted = 0;

	for (unsigned i = 0; i < a->nrcpts; i++) {
		struct am_verdict v;
		am_session_rcpt(o->conn, a->rcpts[i], &v);
		if (v.action != AM_ACT_TEMPFAIL && v.action != AM_ACT_REJECT) {
			accepted++;
			continue;
		}
		fprintf(o->out, "rcpt %s: %s\n", a->rcpts[i], am_action_name(v.action));
		o->v = v;
	}
	return accepted > 0;
}

/* Connection, envelope and content through the session; 0 or -1 (err). */
static int run_session(struct offline *o, struct am_runtime *rt, const struct am_offline_args *a,
		       FILE *msg, struct am_edits *e, char *err, size_t errlen)
{
	const struct am_message_ops ops = {on_header, on_eoh, on_body};
	const struct am_message_opts mopts = {.skip_mbox_from = true};
	char name[80];

	if ((o->conn = am_session_open(am_runtime_ref(rt), "offline")) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	am_session_on_decision(o->conn, on_decision, o);
	snprintf(name, sizeof(name), "[%s]", a->client_ip);
	am_session_connect(o->conn, a->client_name ? a->client_name : name, a->client_ip,
			   a->client_ptr);
	am_session_helo(o->conn, a->helo);
	am_session_mail(o->conn, am_runtime_ref(rt), a->mail_from, NULL, a->auth_user);
	am_session_queue_id(o->conn, a->queue_id);
	o->stage = "rcpt";
	if (!run_rcpts(o, a))
		return 0;
	if (am_message_feed(msg, &mopts, &ops, o, err, errlen) != AM_MESSAGE_DONE)
		return -1;
	o->stage = "eom";
	am_session_eom(o->conn, &o->v, e);
	return 0;
}

/* Open the message before privileges go: the caller may own it alone. */
static FILE *open_message(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");

	if (f == NULL)
		fprintf(stderr, "authmilter: cannot open %s: %m\n", path);
	return f;
}

/* As the daemon: root becomes [milter] user, so that a greylisting store
 * file keeps the owner the daemon needs. */
static int become_user(const struct am_config *cfg, char *err, size_t errlen)
{
	uid_t uid;
	gid_t gid;

	if (getuid() != 0 || cfg->user == NULL || cfg->user[0] == '\0')
		return 0;
	if (am_daemon_user(cfg->user, &uid, &gid, err, errlen) != 0)
		return -1;
	return am_daemon_drop_privileges(cfg->user, uid, gid, err, errlen);
}

/* Which DNS servers the checks asked: a verdict from a resolver that is not
 * the daemon's (another resolv.conf, no [dns] nameservers) explains itself. */
static void print_resolver(FILE *out, const struct am_config *cfg)
{
	char line[256], servers[512] = "";
	FILE *rc;

	if (cfg->dns_nameservers[0] != '\0') {
		fprintf(out, "resolver: %s ([dns] nameservers)\n", cfg->dns_nameservers);
		return;
	}
	if ((rc = fopen("/etc/resolv.conf", "r")) != NULL) {
		while (fgets(line, sizeof(line), rc) != NULL) {
			char ns[128];
			size_t len = strlen(servers);
			if (sscanf(line, " nameserver %127s", ns) == 1)
				snprintf(servers + len, sizeof(servers) - len, "%s%s", len ? " " : "", ns);
		}
		fclose(rc);
	}
	fprintf(out, "resolver: %s (/etc/resolv.conf; [dns] nameservers is empty)\n",
		servers[0] ? servers : "none listed");
}

/* Build the generation and run the message; returns the exit status. */
static int run(struct offline *o, struct am_config *cfg, const struct am_offline_args *a,
	       FILE *msg, struct am_edits *e)
{
	struct am_store_registry *stores = NULL;
	struct am_runtime *rt = NULL;
	char err[512] = "";
	int rc = AM_OFFLINE_EXIT_ERROR;

	if (become_user(cfg, err, sizeof(err)) != 0 ||
	    (cfg->grey_enable && (stores = am_store_registry_new()) == NULL)) {
		am_config_free(cfg);
		goto done;
	}
	if ((rt = am_runtime_new(cfg, stores, 1, err, sizeof(err))) == NULL)
		goto done;
	print_resolver(o->out, rt->cfg);
	if (run_session(o, rt, a, msg, e, err, sizeof(err)) != 0)
		goto done;
	print_verdict(o->out, &o->v, o->stage);
	if (strcmp(o->stage, "eom") == 0)
		print_edits(o->out, &o->v, e);
	rc = exit_status(&o->v);
done:
	if (rc == AM_OFFLINE_EXIT_ERROR)
		fprintf(stderr, "authmilter: %s\n", err[0] ? err : "out of memory");
	if (o->conn != NULL) {
		am_session_abort(o->conn);
		am_session_close(o->conn);
	}
	am_runtime_unref(rt);
	am_store_registry_free(stores);
	return rc;
}

int am_offline_run(struct am_config *cfg, const struct am_offline_args *a, FILE *out)
{
	struct offline o = {.out = out};
	struct am_edits *e = calloc(1, sizeof(*e));
	FILE *msg = open_message(a->message);
	int rc = AM_OFFLINE_EXIT_ERROR;

	am_log_open_stderr(LOG_WARNING);
	o.logs = open_memstream(&o.logbuf, &o.loglen);
	if (e == NULL || msg == NULL || o.logs == NULL) {
		if (msg != NULL && e == NULL)
			fprintf(stderr, "authmilter: out of memory\n");
		am_config_free(cfg);
	} else {
		rc = run(&o, cfg, a, msg, e);
	}
	if (o.logs != NULL) {
		fclose(o.logs);
		if (rc != AM_OFFLINE_EXIT_ERROR)
			fputs(o.logbuf, out);
		free(o.logbuf);
	}
	if (msg != NULL && msg != stdin)
		fclose(msg);
	free(e);
	return rc;
}
