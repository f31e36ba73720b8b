/*
 * replay.c - replays one scripted SMTP session (t/replay/NAME.in) through
 * lib/am_session with the table resolver (lib/am_dns_table.c) and prints
 * what a reference (NAME.ref) pins: config warnings, each refused
 * recipient, the verdict and SMTP reply, the header edits (the
 * Authentication-Results header included) and the decision line. The test
 * t/replay.sh compares; `make replay-regen` rewrites the references. It
 * decides nothing itself and talks to no server.
 *
 * Script lines (blank lines and '#' comments ignored):
 *   config SECTION.KEY = VALUE   over the defaults (and the base below)
 *   dns NAME TYPE VALUE          a table resolver line (am_dns_table.c)
 *   dns-file PATH                table lines from $top_srcdir/PATH
 *   connect HOSTNAME IP [PTR]    helo NAME    mail ADDR    rcpt ADDR
 *   header NAME: VALUE           one header field
 *   message PATH                 headers and body from $top_srcdir/PATH
 *   body TEXT                    one body line (CRLF added)
 *   eom                          end of message: print the outcome
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am_dns.h"
#include "am_log.h"
#include "am_message.h"
#include "am_runtime.h"
#include "am_session.h"

#define LINE_MAX_LEN 4096

/* One replay: the script, its resolver table, the session. */
struct replay {
	const char *name;        /* script base name, for config FILE:LINE */
	const char *srcdir;
	char *dns;               /* table text */
	size_t dnslen;
	struct am_config *cfg;
	struct am_conn *conn;
	bool in_body;
};

/* Settings every replay starts from, so a case pins only DMARC-relevant
 * behaviour: a fixed authserv-id, no trusted networks, no greylisting
 * store, no BIMI look-ups. */
static const char *const base[][3] = {
	{"server", "authserv_id", "mx.replay.example"},
	{"server", "trusted_networks", ""},
	{"greylist", "enable", "no"},
	{"bimi", "enable", "no"},
};

/* Print the decision line, its timing made stable. */
static void on_decision(void *arg, const char *line)
{
	const char *ms = strstr(line, " ms=");

	(void)arg;
	if (ms != NULL && strspn(ms + 4, "0123456789") == strlen(ms + 4))
		printf("log: %.*s ms=0\n", (int)(ms - line), line);
	else
		printf("log: %s\n", line);
}

/* Append text (and a newline) to the resolver table. */
static int dns_add(struct replay *r, const char *text, size_t len)
{
	char *grown = realloc(r->dns, r->dnslen + len + 2);

	if (grown == NULL)
		return -1;
	r->dns = grown;
	memcpy(r->dns + r->dnslen, text, len);
	r->dnslen += len;
	r->dns[r->dnslen++] = '\n';
	r->dns[r->dnslen] = '\0';
	return 0;
}

/* Open $top_srcdir/path. */
static FILE *open_src(const struct replay *r, const char *path)
{
	char full[1024];

	snprintf(full, sizeof(full), "%s/%s", r->srcdir, path);
	return fopen(full, "rb");
}

/* First pass: config and dns lines. 0, or -1 with the reason printed. */
static int setup_line(struct replay *r, char *cmd, char *arg, int lineno)
{
	char err[512];

	if (strcmp(cmd, "dns") == 0)
		return dns_add(r, arg, strlen(arg));
	if (strcmp(cmd, "dns-file") == 0) {
		FILE *f = open_src(r, arg);
		char buf[LINE_MAX_LEN];
		if (f == NULL)
			return fprintf(stderr, "%s:%d: cannot open %s\n", r->name, lineno, arg), -1;
		while (fgets(buf, sizeof(buf), f) != NULL)
			if (dns_add(r, buf, strcspn(buf, "\n")) != 0)
				break;
		fclose(f);
		return 0;
	}
	if (strcmp(cmd, "config") == 0) {
		char *dot = strchr(arg, '.'), *eq = strchr(arg, '=');
		if (dot == NULL || eq == NULL || dot > eq)
			return fprintf(stderr, "%s:%d: config SECTION.KEY = VALUE\n", r->name, lineno), -1;
		*dot = '\0';
		char *key = dot + 1, *val = eq + 1, *end = eq;
		while (end > key && end[-1] == ' ')
			end--;
		*end = '\0';
		val += strspn(val, " ");
		if (am_config_set(r->cfg, arg, key, val, r->name, lineno, err, sizeof(err)) != 0)
			return fprintf(stderr, "%s\n", err), -1;
	}
	return 0;
}

/* Message callbacks (the `message` command). */
static int msg_header(void *ctx, const char *name, const char *value)
{
	am_session_header(((struct replay *)ctx)->conn, name, value);
	return 0;
}

static bool msg_eoh(void *ctx)
{
	((struct replay *)ctx)->in_body = true;
	return am_session_eoh(((struct replay *)ctx)->conn);
}

static int msg_body(void *ctx, const unsigned char *buf, size_t len)
{
	am_session_body(((struct replay *)ctx)->conn, buf, len);
	return 0;
}

/* The verdict, reply and header edits, as the milter would apply them. */
static void print_outcome(const struct am_verdict *v, const struct am_edits *e)
{
	enum am_action act = v->action == AM_ACT_NONE ? AM_ACT_ACCEPT : v->action;

	printf("verdict: %s reason=%s", am_action_name(act), v->reason[0] ? v->reason : "pass");
	if (v->would != v->action && v->would != AM_ACT_NONE)
		printf(" would=%s", am_action_name(v->would));
	printf(" score=%d\n", v->score);
	if (act == AM_ACT_REJECT || act == AM_ACT_TEMPFAIL) {
		printf("reply: %s %s %s\n", v->code, v->xcode, v->text);
		return;
	}
	printf("reply: none\n");
	for (unsigned i = 0; i < e->ndeletes; i++)
		printf("remove: %s #%u\n", e->deletes[i].name, e->deletes[i].index);
	if (e->add_authres)
		printf("add: Authentication-Results: %s\n", e->authres);
	if (e->add_marker)
		printf("add: %s: %s\n", e->marker_name, e->marker);
	if (act == AM_ACT_QUARANTINE)
		printf("quarantine: %s\n", v->text);
}

/* End of message. */
static void do_eom(struct replay *r)
{
	struct am_verdict v;
	struct am_edits *e = calloc(1, sizeof(*e));

	if (e == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	if (!r->in_body)
		am_session_eoh(r->conn);
	am_session_eom(r->conn, &v, e);
	print_outcome(&v, e);
	free(e);
	am_session_abort(r->conn);   /* the next message starts afresh */
	r->in_body = false;
}

/* Second pass: one session command. 0, or -1 with the reason printed. */
static int session_line(struct replay *r, struct am_runtime *rt, char *cmd, char *arg, int lineno)
{
	char *a2 = NULL, *a3 = NULL;

	if (strcmp(cmd, "connect") == 0 && (a2 = strtok(arg, " ")) && (a2 = strtok(NULL, " "))) {
		a3 = strtok(NULL, " ");
		am_session_connect(r->conn, arg, a2, a3);
	} else if (strcmp(cmd, "helo") == 0) {
		am_session_helo(r->conn, arg);
	} else if (strcmp(cmd, "mail") == 0) {
		am_session_mail(r->conn, am_runtime_ref(rt), arg, NULL, NULL);
	} else if (strcmp(cmd, "rcpt") == 0) {
		struct am_verdict v;
		am_session_rcpt(r->conn, arg, &v);
		if (v.action != AM_ACT_NONE)
			printf("rcpt %s: %s %s %s %s\n", arg, am_action_name(v.action), v.code, v.xcode, v.text);
	} else if (strcmp(cmd, "header") == 0 && (a2 = strchr(arg, ':')) != NULL) {
		*a2 = '\0';
		am_session_header(r->conn, arg, a2 + 1);
	} else if (strcmp(cmd, "message") == 0) {
		const struct am_message_ops ops = {msg_header, msg_eoh, msg_body};
		char err[256];
		FILE *f = open_src(r, arg);
		if (f == NULL || am_message_feed(f, NULL, &ops, r, err, sizeof(err)) != AM_MESSAGE_DONE)
			return fprintf(stderr, "%s:%d: cannot feed %s\n", r->name, lineno, arg), f && fclose(f), -1;
		fclose(f);
	} else if (strcmp(cmd, "body") == 0) {
		char line[LINE_MAX_LEN + 2];
		int n = snprintf(line, sizeof(line), "%s\r\n", arg);
		if (!r->in_body)
			am_session_eoh(r->conn);
		r->in_body = true;
		am_session_body(r->conn, (const unsigned char *)line, (size_t)n);
	} else if (strcmp(cmd, "eom") == 0) {
		do_eom(r);
	} else if (strcmp(cmd, "config") != 0 && strcmp(cmd, "dns") != 0 && strcmp(cmd, "dns-file") != 0) {
		return fprintf(stderr, "%s:%d: unknown or incomplete line '%s'\n", r->name, lineno, cmd), -1;
	}
	return 0;
}

/* Run both passes over the script; 0 or -1. */
static int run_script(struct replay *r, FILE *in, int pass, struct am_runtime *rt)
{
	char line[LINE_MAX_LEN];
	int lineno = 0;

	rewind(in);
	while (fgets(line, sizeof(line), in) != NULL) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		char *cmd = line, *arg = line + strcspn(line, " ");
		if (*arg)
			*arg++ = '\0';
		if ((pass == 1 ? setup_line(r, cmd, arg, lineno) : session_line(r, rt, cmd, arg, lineno)) != 0)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct replay r = {.srcdir = getenv("top_srcdir") ? getenv("top_srcdir") : "."};
	char err[512];
	FILE *in;

	if (argc != 2 || (in = fopen(argv[1], "r")) == NULL) {
		fprintf(stderr, "usage: %s t/replay/NAME.in (top_srcdir in the environment)\n", argv[0]);
		return 2;
	}
	r.name = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
	am_log_open_stderr(LOG_ERR);   /* the decision line comes through on_decision */
	if ((r.cfg = am_config_defaults(err, sizeof(err))) == NULL)
		return fprintf(stderr, "%s\n", err), 2;
	for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
		am_config_set(r.cfg, base[i][0], base[i][1], base[i][2], "(replay base)", 0, err, sizeof(err));
	if (dns_add(&r, "# table", 7) != 0 || run_script(&r, in, 1, NULL) != 0)
		return 2;
	for (const char *w = r.cfg->warnings; w && *w; w += strcspn(w, "\n") + 1)
		printf("warning: %.*s\n", (int)strcspn(w, "\n"), w);
	struct am_dns *dns = am_dns_table_new(r.dns, err, sizeof(err));
	struct am_runtime *rt = dns ? am_runtime_new_with_dns(r.cfg, dns, NULL, 1, err, sizeof(err)) : NULL;
	if (rt == NULL)
		return fprintf(stderr, "%s: %s\n", r.name, err), 2;
	r.conn = am_session_open(am_runtime_ref(rt), "replay");
	am_session_on_decision(r.conn, on_decision, NULL);
	int rc = run_script(&r, in, 2, rt) == 0 ? 0 : 2;
	am_session_close(r.conn);
	am_runtime_unref(rt);
	free(r.dns);
	fclose(in);
	return rc;
}
