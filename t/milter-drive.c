/*
 * milter-drive - drives messages through a milter socket (as Postfix would)
 * and prints the conversation in a stable line format for shell tests.
 *
 *   milter-drive -s SOCKET [opts] -f FROM -r RCPT [-r RCPT...] FILE.eml...
 *   milter-drive -s SOCKET [opts] -S SCRIPT      (SCRIPT "-" = stdin)
 *
 * Options: -i IP (client address, default 127.0.0.1), -n NAME (client
 * hostname, default "[IP]"), -P PORT (client port, default 54321), -H HELO
 * (no HELO event without it), -m NAME=VALUE (caller macro, repeatable),
 * -t SECONDS (reply timeout, default 60), -x (print header values exactly,
 * LF as \n, instead of unfolded). Several FILE.eml run as several messages
 * on one connection. Script commands (one a line, '#' comments):
 *   connect NAME IP [PORT] | helo NAME | macro NAME [VALUE] | mail <a> [ARGS]
 *   rcpt <a> [ARGS] | data | header Name: value | eoh | body [TEXT] | eom
 *   message FILE | abort | quit | sleep SECONDS
 * Output lines: "negotiate: version V actions 0xA protocol 0xP",
 * "symlist STAGE: NAMES", "STAGE[ DETAIL]: REPLY[ TEXT]" per event, the
 * modifications at eom ("insheader 1 Name: value", "chgheader Name 2 (delete)",
 * "quarantine: reason", ...), and "result: VERDICT[ TEXT]" per message.
 * Exit 0 when the conversation completed (whatever the verdict), 1 on usage
 * or script errors, 2 on connection or protocol errors.
 */
#include "milter_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HDR_LEADSPC 0x100000u
#define MAX_MSG_SIZE (64L * 1024 * 1024)

struct drive {
	struct mc_conn *c;
	int exact;       /* -x */
	char err[1024];
	/* script mode: Postfix's flow rules */
	int phase;       /* 0 envelope, 1 after DATA, 2 after EOH, 3 done */
	int decided;     /* 1: message decided, 2: connection decided */
	int need_abort;  /* message ended early: SMFIC_ABORT before the next MAIL */
	int script;      /* -S: the driver applies the flow rules */
	int in_content;  /* mc_content() runs the flow itself */
	int rcpt_n, rcpt_ok;
	struct mc_reply last_refusal;
};

static void print_result(const struct mc_reply *r);

/* Print s[0..n) with control characters escaped; unfold folded lines unless exact. */
static void put_escaped(const char *s, size_t n, int exact)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '\n' && !exact) {
			putchar(' ');
			while (i + 1 < n && (s[i + 1] == ' ' || s[i + 1] == '\t'))
				i++;
		} else if (ch == '\n')
			fputs("\\n", stdout);
		else if (ch == '\r')
			fputs("\\r", stdout);
		else if (ch == '\t')
			fputs("\\t", stdout);
		else if (ch < 32 || ch == 127)
			printf("\\x%02x", ch);
		else
			putchar(ch);
	}
}

/* Script mode: what a reply means for the rest of the message, as in Postfix
 * (a final reply ends the message, at connect/HELO the connection; a refused
 * recipient only itself). */
static void after_reply(struct drive *d, enum mc_stage st, const struct mc_reply *r)
{
	if (!d->script || d->in_content || st == MC_EOM)
		return;
	if (r->resp == MC_SHUTDOWN || r->resp == MC_CONNFAIL ||
	    ((st == MC_CONNECT || st == MC_HELO) && mc_resp_final(r->resp) && r->resp != MC_DISCARD)) {
		d->decided = 2;
		print_result(r);
		return;
	}
	if (st == MC_RCPT) {
		d->rcpt_n++;
		if (r->resp != MC_ACCEPT && r->resp != MC_DISCARD && mc_resp_final(r->resp)) {
			d->last_refusal = *r;
			return;
		}
		if (!mc_resp_final(r->resp)) {
			d->rcpt_ok++;
			return;
		}
	}
	if (st != MC_CONNECT && st != MC_HELO && mc_resp_final(r->resp)) {
		d->decided = 1;
		d->need_abort = 1;
		print_result(r);
	}
}

/* Trace callback: one line per event. */
static void on_event(void *arg, enum mc_stage st, const char *detail, const struct mc_reply *r)
{
	struct drive *d = arg;
	printf("%s%s%s: %s", mc_stage_name(st), detail ? " " : "", detail ? detail : "",
	       mc_resp_name(r));
	if (r->text[0]) {
		putchar(' ');
		put_escaped(r->text, strlen(r->text), 1);
	}
	putchar('\n');
	after_reply(d, st, r);
}

/* Print a header modification as the header line would appear. */
static void put_header(struct drive *d, const char *name, const struct mc_mod *m)
{
	printf("%s:%s", name, (mc_filter_protocol(d->c) & HDR_LEADSPC) ? "" : " ");
	put_escaped(m->value ? m->value : "", m->value_len, d->exact);
	putchar('\n');
}

/* Print the modification requests of one message. */
static void print_mods(struct drive *d, const struct mc_mods *mods)
{
	for (size_t i = 0; i < mods->n; i++) {
		const struct mc_mod *m = &mods->v[i];
		switch (m->type) {
		case MC_MOD_ADDHEADER: printf("addheader "); put_header(d, m->name, m); break;
		case MC_MOD_INSHEADER: printf("insheader %u ", m->index); put_header(d, m->name, m); break;
		case MC_MOD_CHGHEADER:
			if (!m->value) {
				printf("chgheader %s %u (delete)\n", m->name, m->index);
				break;
			}
			printf("chgheader %s %u ", m->name, m->index);
			put_header(d, m->name, m);
			break;
		case MC_MOD_QUARANTINE:
			printf("quarantine: ");
			put_escaped(m->name, strlen(m->name), 1);
			putchar('\n');
			break;
		case MC_MOD_ADDRCPT: printf("addrcpt %s\n", m->name); break;
		case MC_MOD_ADDRCPT_PAR:
			printf("addrcpt %s%s%s\n", m->name, m->value ? " " : "", m->value ? m->value : "");
			break;
		case MC_MOD_DELRCPT: printf("delrcpt %s\n", m->name); break;
		case MC_MOD_CHGFROM:
			printf("chgfrom %s%s%s\n", m->name, m->value ? " " : "", m->value ? m->value : "");
			break;
		case MC_MOD_REPLBODY: printf("replbody %zu bytes\n", m->value_len); break;
		}
	}
}

/* Print "result: VERDICT[ TEXT]". */
static void print_result(const struct mc_reply *r)
{
	struct mc_reply x = *r;
	if (x.resp == MC_CONTINUE || x.resp == MC_NOREPLY || x.resp == MC_NOTSENT)
		x.resp = MC_ACCEPT;
	printf("result: %s", mc_resp_name(&x));
	if (x.text[0]) {
		putchar(' ');
		put_escaped(x.text, strlen(x.text), 1);
	}
	putchar('\n');
}

/* Print what the filter negotiated. */
static void print_negotiation(struct mc_conn *c)
{
	static const char *const st[] = {"connect", "helo", "mail", "rcpt", "data", "eom", "eoh"};
	printf("negotiate: version %u actions 0x%x protocol 0x%x\n", mc_filter_version(c),
	       mc_filter_actions(c), mc_filter_protocol(c));
	for (int i = 0; i < 7; i++)
		if (mc_filter_symlist(c, i))
			printf("symlist %s: %s\n", st[i], mc_filter_symlist(c, i));
}

/* Read a whole file (bounded) into a malloc'ed buffer. */
static char *slurp(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			char *nb = cap <= (size_t)MAX_MSG_SIZE ? realloc(buf, cap + 1) : NULL;
			if (!nb) {
				snprintf(err, errlen, "%s: too large or out of memory", path);
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
}

/* Run one message file through the connection, printing its outcome. */
static int run_file(struct drive *d, const struct mc_envelope *env, const char *path)
{
	size_t len;
	char *msg = slurp(path, &len, d->err, sizeof(d->err));
	struct mc_result res;
	if (!msg)
		return 1;
	int rc = mc_message(d->c, env, msg, len, &res, d->err, sizeof(d->err));
	free(msg);
	if (rc == 0) {
		print_mods(d, &res.mods);
		print_result(&res.final);
	}
	mc_result_free(&res);
	return rc < 0 ? 2 : 0;
}

/* Script: send DATA / EOH first when the script skipped them. */
static int script_ensure(struct drive *d, int want)
{
	struct mc_reply r;
	if (d->phase < 1 && want >= 1) {
		if (mc_ev_data(d->c, &r, d->err, sizeof(d->err)) < 0)
			return 2;
		d->phase = 1;
	}
	if (d->decided)
		return 0;
	if (d->phase < 2 && want >= 2) {
		if (mc_ev_eoh(d->c, &r, d->err, sizeof(d->err)) < 0)
			return 2;
		d->phase = 2;
	}
	return 0;
}

/* Script: the eom command. */
static int script_eom(struct drive *d)
{
	struct mc_reply r;
	struct mc_mods mods = {0};
	int rc = script_ensure(d, 2);
	if (rc || d->decided)
		return rc;
	rc = mc_ev_eom(d->c, &r, &mods, d->err, sizeof(d->err));
	if (rc == 0) {
		print_mods(d, &mods);
		print_result(&r);
	}
	mc_mods_free(&mods);
	d->phase = 3;
	return rc < 0 ? 2 : 0;
}

/* Script: the message command (DATA .. EOM from a file). */
static int script_message(struct drive *d, const char *path)
{
	size_t len;
	struct mc_result res;
	if (d->phase != 0) {
		snprintf(d->err, sizeof(d->err), "message must follow the envelope (it sends DATA)");
		return 1;
	}
	char *msg = slurp(path, &len, d->err, sizeof(d->err));
	if (!msg)
		return 1;
	mc_result_init(&res);
	d->in_content = 1;
	int rc = mc_content(d->c, msg, len, &res, d->err, sizeof(d->err));
	d->in_content = 0;
	free(msg);
	if (rc == 0) {
		print_mods(d, &res.mods);
		print_result(&res.final);
	}
	mc_result_free(&res);
	d->phase = 3;
	return rc < 0 ? 2 : 0;
}

/* Script: header "Name: value". */
static int script_header(struct drive *d, const char *arg)
{
	struct mc_reply r;
	const char *colon = strchr(arg, ':');
	if (!colon || colon == arg) {
		snprintf(d->err, sizeof(d->err), "header wants 'Name: value'");
		return 1;
	}
	size_t nl = (size_t)(colon - arg);
	while (nl > 0 && (arg[nl - 1] == ' ' || arg[nl - 1] == '\t'))
		nl--;
	char *name = strndup(arg, nl);
	int rc = script_ensure(d, 1);
	if (!rc && !d->decided && name && mc_ev_header(d->c, name, colon + 1, &r, d->err, sizeof(d->err)) < 0)
		rc = 2;
	free(name);
	return rc;
}

/* Script: body [TEXT] -> TEXT CRLF as one SMFIC_BODY event. */
static int script_body(struct drive *d, const char *arg)
{
	struct mc_reply r;
	int rc = script_ensure(d, 2);
	if (rc || d->decided)
		return rc;
	size_t l = strlen(arg);
	char *b = malloc(l + 3);
	if (!b)
		return 2;
	memcpy(b, arg, l);
	memcpy(b + l, "\r\n", 3);
	rc = mc_ev_body(d->c, b, l + 2, &r, d->err, sizeof(d->err)) < 0 ? 2 : 0;
	free(b);
	return rc;
}

/* Script: connect NAME IP [PORT]. */
static int script_connect(struct drive *d, char *arg)
{
	struct mc_reply r;
	char *name = strtok(arg, " \t"), *ip = strtok(NULL, " \t"), *port = strtok(NULL, " \t");
	if (!name || !ip) {
		snprintf(d->err, sizeof(d->err), "connect wants NAME IP [PORT]");
		return 1;
	}
	unsigned p = port ? (unsigned)strtoul(port, NULL, 10) : 54321;
	return mc_ev_connect(d->c, name, ip, p, &r, d->err, sizeof(d->err)) < 0 ? 2 : 0;
}

/* Script: macro NAME [VALUE]. */
static int script_macro(struct drive *d, char *arg)
{
	size_t nl = strcspn(arg, " \t");
	char *val = arg + nl;
	if (*val)
		*val++ = 0;
	val += strspn(val, " \t");
	return mc_macro(d->c, arg, val, d->err, sizeof(d->err)) < 0 ? 1 : 0;
}

/* Is cmd one of the message events (after MAIL)? */
static int message_cmd(const char *cmd)
{
	static const char *const m[] = {"rcpt", "data", "header", "eoh", "body", "eom", "message", NULL};
	for (int i = 0; m[i]; i++)
		if (!strcmp(cmd, m[i]))
			return i + 1;
	return 0;
}

/* Postfix's flow before an event: SMFIC_ABORT before a new MAIL after an
 * early end; no events after a decision; no DATA when every recipient was
 * refused. Returns 1 when cmd must be skipped, -1 on I/O error. */
static int script_gate(struct drive *d, const char *cmd)
{
	int mc = message_cmd(cmd);
	if (d->decided == 2 && (mc || !strcmp(cmd, "helo") || !strcmp(cmd, "mail"))) {
		printf("skipped: %s (connection decided)\n", cmd);
		return 1;
	}
	if (!strcmp(cmd, "mail")) {
		if (d->need_abort) {
			if (mc_ev_abort(d->c, d->err, sizeof(d->err)) < 0)
				return -1;
			printf("abort: sent\n");
		}
		d->phase = d->decided = d->need_abort = d->rcpt_n = d->rcpt_ok = 0;
		return 0;
	}
	if (mc > 1 && !d->decided && d->rcpt_n > 0 && d->rcpt_ok == 0) {
		d->decided = 1; /* "554 no valid recipients": no DATA */
		d->need_abort = 1;
		print_result(&d->last_refusal);
	}
	if (mc && d->decided) {
		printf("skipped: %s (message decided)\n", cmd);
		return 1;
	}
	return 0;
}

/* Execute one event command. */
static int script_event(struct drive *d, const char *cmd, char *arg)
{
	struct mc_reply r;
	char *e = d->err;
	size_t el = sizeof(d->err);
	if (!strcmp(cmd, "connect")) return script_connect(d, arg);
	if (!strcmp(cmd, "helo")) return mc_ev_helo(d->c, arg, &r, e, el) < 0 ? 2 : 0;
	if (!strcmp(cmd, "mail")) return mc_ev_mail(d->c, arg, &r, e, el) < 0 ? 2 : 0;
	if (!strcmp(cmd, "rcpt")) return mc_ev_rcpt(d->c, arg, &r, e, el) < 0 ? 2 : 0;
	if (!strcmp(cmd, "data")) return script_ensure(d, 1);
	if (!strcmp(cmd, "header")) return script_header(d, arg);
	if (!strcmp(cmd, "eoh")) return script_ensure(d, 2);
	if (!strcmp(cmd, "body")) return script_body(d, arg);
	if (!strcmp(cmd, "eom")) return script_eom(d);
	if (!strcmp(cmd, "message")) return script_message(d, arg);
	if (!strcmp(cmd, "abort") || !strcmp(cmd, "quit")) {
		int rc = cmd[0] == 'a' ? mc_ev_abort(d->c, e, el) : mc_ev_quit(d->c, e, el);
		d->phase = d->need_abort = 0;
		if (rc == 0)
			printf("%s: sent\n", cmd);
		return rc < 0 ? 2 : 0;
	}
	snprintf(d->err, sizeof(d->err), "unknown command '%s'", cmd);
	return 1;
}

/* Execute one script line; returns 0, 1 (script error) or 2 (protocol). */
static int script_line(struct drive *d, char *line)
{
	char *cmd = line + strspn(line, " \t"), *arg;
	size_t cl = strcspn(cmd, " \t");
	arg = cmd + cl;
	if (*arg)
		*arg++ = 0;
	arg += strspn(arg, " \t");
	if (!*cmd || *cmd == '#')
		return 0;
	if (!strcmp(cmd, "macro"))
		return script_macro(d, arg);
	if (!strcmp(cmd, "sleep")) {
		double s = atof(arg);
		struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
		nanosleep(&ts, NULL);
		return 0;
	}
	int g = script_gate(d, cmd);
	if (g)
		return g < 0 ? 2 : 0;
	return script_event(d, cmd, arg);
}

/* Run a script file line by line; stops at the first error. */
static int run_script(struct drive *d, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char line[8192];
	int lineno = 0, rc = 0;
	if (!f) {
		fprintf(stderr, "milter-drive: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = 0;
		rc = script_line(d, line);
		if (rc)
			fprintf(stderr, "milter-drive: %s:%d: %s\n", path, lineno, d->err);
	}
	if (f != stdin)
		fclose(f);
	return rc;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: milter-drive -s SOCKET [-t SEC] [-x] -S SCRIPT\n"
		"       milter-drive -s SOCKET [-t SEC] [-x] [-i IP] [-n NAME] [-P PORT] [-H HELO]\n"
		"                    [-m NAME=VALUE]... -f FROM -r RCPT [-r RCPT]... FILE.eml...\n");
}

/* Command line of milter-drive. */
struct cli {
	struct mc_opts o;
	struct mc_envelope env;
	const char *sock, *script, *rcpts[100];
	char *macros[64];
	size_t nm;
};

/* Parse the options; 0, or 1 after printing the usage. */
static int parse_cli(int argc, char **argv, struct cli *a, struct drive *d)
{
	int ch;
	mc_opts_default(&a->o);
	a->env.client_addr = "127.0.0.1";
	a->env.client_port = 54321;
	a->env.rcpts = a->rcpts;
	while ((ch = getopt(argc, argv, "s:S:t:xi:n:P:H:f:r:m:")) != -1) {
		switch (ch) {
		case 's': a->sock = optarg; break;
		case 'S': a->script = optarg; d->script = 1; break;
		case 't': a->o.reply_timeout_ms = (int)(atof(optarg) * 1000); break;
		case 'x': d->exact = 1; break;
		case 'i': a->env.client_addr = optarg; break;
		case 'n': a->env.client_name = optarg; break;
		case 'P': a->env.client_port = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'H': a->env.helo = optarg; break;
		case 'f': a->env.mail = optarg; break;
		case 'r':
			if (a->env.nrcpts < 100)
				a->rcpts[a->env.nrcpts++] = optarg;
			break;
		case 'm':
			if (a->nm >= 64 || !strchr(optarg, '='))
				goto usage;
			a->macros[a->nm++] = optarg;
			break;
		default: goto usage;
		}
	}
	if (a->sock && (a->script || (optind < argc && a->env.mail && a->env.nrcpts)))
		return 0;
usage:
	usage();
	return 1;
}

int main(int argc, char **argv)
{
	struct drive d = {0};
	struct cli a = {0};
	int rc = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_cli(argc, argv, &a, &d))
		return 1;
	d.c = mc_open(a.sock, &a.o, d.err, sizeof(d.err));
	if (!d.c) {
		fprintf(stderr, "milter-drive: %s\n", d.err);
		return 2;
	}
	mc_set_trace(d.c, on_event, &d);
	print_negotiation(d.c);
	for (size_t i = 0; i < a.nm && rc == 0; i++) {
		char *eq = strchr(a.macros[i], '=');
		*eq = 0;
		if (mc_macro(d.c, a.macros[i], eq + 1, d.err, sizeof(d.err)) < 0) {
			fprintf(stderr, "milter-drive: %s\n", d.err);
			rc = 1;
		}
	}
	if (rc == 0 && a.script)
		rc = run_script(&d, a.script);
	for (int i = optind; rc == 0 && !a.script && i < argc; i++)
		if ((rc = run_file(&d, &a.env, argv[i])) != 0)
			fprintf(stderr, "milter-drive: %s: %s\n", argv[i], d.err);
	mc_close(d.c);
	return rc;
}
