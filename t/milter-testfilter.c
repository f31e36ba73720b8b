/*
 * milter-testfilter - a small libmilter filter for testing the milter client
 * (t/milter-drive, contrib/milterclient) and the Postfix harness. It logs
 * every callback with its arguments and the macros it sees, answers as the
 * command line says, and requests end-of-message modifications. It is a
 * test tool, not part of authmilter; its read-only option table is set up
 * in main() before libmilter starts threads (the log has a mutex).
 *
 *   milter-testfilter -p unix:PATH -l LOGFILE [-b BODYFILE] [-F FLAGS]
 *       [-M STAGE:MACROS]... [-a STAGE[:MATCH]=ACTION]... [-e MOD]...
 * FLAGS: comma list of leadspc, skip, noconnect, nohelo, nomail, norcpt,
 *   nodata, nohdrs, noeoh, nobody, nr_conn, nr_helo, nr_mail, nr_rcpt,
 *   nr_data, nr_hdr, nr_eoh, nr_body.
 * STAGE (for -M a number 0..6 as SMFIM_*): connect helo mail rcpt data
 *   header eoh body eom. MATCH: substring of the argument (address, header
 *   name). ACTION: continue accept reject tempfail discard skip exit
 *   sleep:SECONDS reply:CODE:XCODE:TEXT.
 * MOD (at eom, in order): add:NAME:VALUE ins:IDX:NAME:VALUE
 *   chg:NAME:IDX:VALUE (empty VALUE deletes) quar:REASON addrcpt:ADDR
 *   delrcpt:ADDR progress. "\n" and "\t" in VALUE become LF and TAB.
 */
#include <arpa/inet.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_RULES 64

struct rule {
	char stage[16], match[256], action[512];
};

/* Options: written in main() only, read-only once smfi_main() runs. */
static struct {
	unsigned long flags;
	const char *symlist[7];
	struct rule rules[MAX_RULES];
	int nrules;
	const char *mods[MAX_RULES];
	int nmods;
	FILE *log, *body;
} opt;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const probe[] = {
	"j", "{daemon_name}", "{daemon_addr}", "v", "_", "{client_addr}", "{client_name}",
	"{client_ptr}", "{client_port}", "i", "{auth_type}", "{auth_authen}", "{mail_addr}",
	"{mail_mailer}", "{rcpt_addr}", "{rcpt_mailer}", "{tls_version}", "{test}", NULL};

/* Append s with control characters escaped to out (bounded). */
static void esc(char *out, size_t n, const char *s)
{
	size_t o = strlen(out);
	for (; *s && o + 5 < n; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n')
			o += (size_t)snprintf(out + o, n - o, "\\n");
		else if (c == '\r')
			o += (size_t)snprintf(out + o, n - o, "\\r");
		else if (c == '\t')
			o += (size_t)snprintf(out + o, n - o, "\\t");
		else if (c < 32)
			o += (size_t)snprintf(out + o, n - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = 0;
}

/* One log line, then the macros this callback sees. */
static void logf_(SMFICTX *ctx, const char *fmt, ...)
{
	char line[8192], val[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&log_lock);
	fprintf(opt.log, "%s\n", line);
	if (ctx) {
		line[0] = 0;
		for (int i = 0; probe[i]; i++) {
			const char *v = smfi_getsymval(ctx, (char *)probe[i]);
			if (!v)
				continue;
			val[0] = 0;
			esc(val, sizeof(val), v);
			size_t l = strlen(line);
			snprintf(line + l, sizeof(line) - l, " %s=%s", probe[i], val);
		}
		if (line[0])
			fprintf(opt.log, "  macros:%s\n", line);
	}
	fflush(opt.log);
	pthread_mutex_unlock(&log_lock);
}

/* Turn "\n" / "\t" escapes into characters (in place). */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && (s[1] == 'n' || s[1] == 't')) {
			*o++ = s[1] == 'n' ? '\n' : '\t';
			s++;
		} else
			*o++ = *s;
	}
	*o = 0;
}

/* Apply the action of the first rule for stage whose match is in arg. */
static sfsistat act(SMFICTX *ctx, const char *stage, const char *arg, unsigned long nrflag)
{
	sfsistat def = (opt.flags & nrflag) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
	for (int i = 0; i < opt.nrules; i++) {
		const struct rule *r = &opt.rules[i];
		if (strcmp(r->stage, stage) || (r->match[0] && (!arg || !strstr(arg, r->match))))
			continue;
		const char *a = r->action;
		if (!strcmp(a, "accept")) return SMFIS_ACCEPT;
		if (!strcmp(a, "reject")) return SMFIS_REJECT;
		if (!strcmp(a, "tempfail")) return SMFIS_TEMPFAIL;
		if (!strcmp(a, "discard")) return SMFIS_DISCARD;
		if (!strcmp(a, "skip")) return SMFIS_SKIP;
		if (!strcmp(a, "exit")) _exit(3);
		if (!strncmp(a, "sleep:", 6)) {
			sleep((unsigned)atoi(a + 6));
			return def;
		}
		if (!strncmp(a, "reply:", 6)) {
			char buf[512], *code = buf, *x, *text;
			snprintf(buf, sizeof(buf), "%s", a + 6);
			if (!(x = strchr(code, ':')) || !(text = strchr(x + 1, ':')))
				return SMFIS_TEMPFAIL;
			*x++ = 0;
			*text++ = 0;
			smfi_setreply(ctx, code, x, text);
			return code[0] == '4' ? SMFIS_TEMPFAIL : SMFIS_REJECT;
		}
		return def;
	}
	return def;
}

static sfsistat cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
			     unsigned long f3, unsigned long *pf0, unsigned long *pf1,
			     unsigned long *pf2, unsigned long *pf3)
{
	(void)f2;
	(void)f3;
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_ADDRCPT |
		     SMFIF_DELRCPT | SMFIF_SETSYMLIST);
	*pf1 = f1 & opt.flags; /* f1: protocol steps (SMFIP_*); f2, f3 reserved */
	*pf2 = 0;
	*pf3 = 0;
	for (int i = 0; i < 7; i++)
		if (opt.symlist[i])
			smfi_setsymlist(ctx, i, (char *)opt.symlist[i]);
	logf_(NULL, "negotiate offered f0=0x%lx f1=0x%lx asked f1=0x%lx", f0, f1, *pf1);
	return SMFIS_CONTINUE;
}

static sfsistat cb_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	char addr[64] = "none";
	unsigned port = 0;
	int fam = sa ? sa->sa_family : -1;
	if (fam == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof(addr));
		port = ntohs(s4->sin_port);
	} else if (fam == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof(addr));
		port = ntohs(s6->sin6_port);
	}
	logf_(ctx, "connect host=%s family=%s addr=%s port=%u", host,
	      fam == AF_INET ? "inet" : fam == AF_INET6 ? "inet6" : fam == AF_UNIX ? "unix" : "unknown",
	      addr, port);
	return act(ctx, "connect", host, SMFIP_NR_CONN);
}

static sfsistat cb_helo(SMFICTX *ctx, char *helo)
{
	logf_(ctx, "helo %s", helo);
	return act(ctx, "helo", helo, SMFIP_NR_HELO);
}

/* Join argv for logging. */
static void join(char *out, size_t n, char **argv)
{
	out[0] = 0;
	for (int i = 0; argv[i]; i++) {
		size_t l = strlen(out);
		snprintf(out + l, n - l, "%s%s", i ? " " : "", argv[i]);
	}
}

static sfsistat cb_mail(SMFICTX *ctx, char **argv)
{
	char a[2048];
	join(a, sizeof(a), argv);
	logf_(ctx, "mail %s", a);
	return act(ctx, "mail", a, SMFIP_NR_MAIL);
}

static sfsistat cb_rcpt(SMFICTX *ctx, char **argv)
{
	char a[2048];
	join(a, sizeof(a), argv);
	logf_(ctx, "rcpt %s", a);
	return act(ctx, "rcpt", a, SMFIP_NR_RCPT);
}

static sfsistat cb_data(SMFICTX *ctx)
{
	logf_(ctx, "data");
	return act(ctx, "data", NULL, SMFIP_NR_DATA);
}

static sfsistat cb_header(SMFICTX *ctx, char *name, char *value)
{
	char v[4096] = "";
	esc(v, sizeof(v), value);
	logf_(NULL, "header %s=[%s]", name, v);
	return act(ctx, "header", name, SMFIP_NR_HDR);
}

static sfsistat cb_eoh(SMFICTX *ctx)
{
	logf_(ctx, "eoh");
	return act(ctx, "eoh", NULL, SMFIP_NR_EOH);
}

static sfsistat cb_body(SMFICTX *ctx, unsigned char *buf, size_t len)
{
	logf_(NULL, "body %zu", len);
	if (opt.body) {
		pthread_mutex_lock(&log_lock);
		fwrite(buf, 1, len, opt.body);
		fflush(opt.body);
		pthread_mutex_unlock(&log_lock);
	}
	return act(ctx, "body", NULL, SMFIP_NR_BODY);
}

/* Request one eom modification described by spec. */
static void apply_mod(SMFICTX *ctx, const char *spec)
{
	char b[2048], *f[4] = {NULL};
	int n = 0;
	snprintf(b, sizeof(b), "%s", spec);
	f[n++] = b;
	int want = !strncmp(b, "ins:", 4) || !strncmp(b, "chg:", 4) ? 4 : !strncmp(b, "add:", 4) ? 3 : 2;
	for (char *p = b; n < want && (p = strchr(p, ':')); n++) {
		*p++ = 0;
		f[n] = p;
	}
	for (int i = 1; i < n; i++)
		unescape(f[i]);
	if (!strcmp(f[0], "add") && n == 3) smfi_addheader(ctx, f[1], f[2]);
	else if (!strcmp(f[0], "ins") && n == 4) smfi_insheader(ctx, atoi(f[1]), f[2], f[3]);
	else if (!strcmp(f[0], "chg") && n == 4)
		smfi_chgheader(ctx, f[1], atoi(f[2]), f[3][0] ? f[3] : NULL);
	else if (!strcmp(f[0], "quar") && n == 2) smfi_quarantine(ctx, f[1]);
	else if (!strcmp(f[0], "addrcpt") && n == 2) smfi_addrcpt(ctx, f[1]);
	else if (!strcmp(f[0], "delrcpt") && n == 2) smfi_delrcpt(ctx, f[1]);
	else if (!strcmp(f[0], "progress")) smfi_progress(ctx);
}

static sfsistat cb_eom(SMFICTX *ctx)
{
	logf_(ctx, "eom");
	for (int i = 0; i < opt.nmods; i++)
		apply_mod(ctx, opt.mods[i]);
	return act(ctx, "eom", NULL, 0);
}

static sfsistat cb_abort(SMFICTX *ctx)
{
	(void)ctx;
	logf_(NULL, "abort");
	return SMFIS_CONTINUE;
}

static sfsistat cb_close(SMFICTX *ctx)
{
	(void)ctx;
	logf_(NULL, "close");
	return SMFIS_CONTINUE;
}

/* Parse -F. */
static unsigned long parse_flags(const char *s)
{
	static const struct { const char *n; unsigned long f; } t[] = {
		{"leadspc", SMFIP_HDR_LEADSPC}, {"skip", SMFIP_SKIP}, {"noconnect", SMFIP_NOCONNECT},
		{"nohelo", SMFIP_NOHELO}, {"nomail", SMFIP_NOMAIL}, {"norcpt", SMFIP_NORCPT},
		{"nodata", SMFIP_NODATA}, {"nohdrs", SMFIP_NOHDRS}, {"noeoh", SMFIP_NOEOH},
		{"nobody", SMFIP_NOBODY}, {"nr_conn", SMFIP_NR_CONN}, {"nr_helo", SMFIP_NR_HELO},
		{"nr_mail", SMFIP_NR_MAIL}, {"nr_rcpt", SMFIP_NR_RCPT}, {"nr_data", SMFIP_NR_DATA},
		{"nr_hdr", SMFIP_NR_HDR}, {"nr_eoh", SMFIP_NR_EOH}, {"nr_body", SMFIP_NR_BODY}};
	unsigned long f = 0;
	char buf[512], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		size_t i;
		for (i = 0; i < sizeof(t) / sizeof(t[0]) && strcmp(t[i].n, w); i++)
			;
		if (i == sizeof(t) / sizeof(t[0])) {
			fprintf(stderr, "milter-testfilter: unknown flag %s\n", w);
			exit(1);
		}
		f |= t[i].f;
	}
	return f;
}

/* Parse -a STAGE[:MATCH]=ACTION. */
static int parse_rule(const char *s, struct rule *r)
{
	const char *eq = strchr(s, '='), *colon = strchr(s, ':');
	if (!eq)
		return -1;
	if (colon && colon < eq) {
		snprintf(r->stage, sizeof(r->stage), "%.*s", (int)(colon - s), s);
		snprintf(r->match, sizeof(r->match), "%.*s", (int)(eq - colon - 1), colon + 1);
	} else {
		snprintf(r->stage, sizeof(r->stage), "%.*s", (int)(eq - s), s);
		r->match[0] = 0;
	}
	snprintf(r->action, sizeof(r->action), "%s", eq + 1);
	return 0;
}

int main(int argc, char **argv)
{
	struct smfiDesc desc = {
		"milter-testfilter", SMFI_VERSION,
		SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_ADDRCPT | SMFIF_DELRCPT,
		cb_connect, cb_helo, cb_mail, cb_rcpt, cb_header, cb_eoh, cb_body, cb_eom, cb_abort,
		cb_close, NULL, cb_data, cb_negotiate};
	const char *sock = NULL, *logpath = NULL;
	int ch;
	while ((ch = getopt(argc, argv, "p:l:b:F:M:a:e:")) != -1) {
		switch (ch) {
		case 'p': sock = optarg; break;
		case 'l': logpath = optarg; break;
		case 'b': opt.body = fopen(optarg, "w"); break;
		case 'F': opt.flags = parse_flags(optarg); break;
		case 'M':
			if (optarg[0] < '0' || optarg[0] > '6' || optarg[1] != ':')
				return 1;
			opt.symlist[optarg[0] - '0'] = optarg + 2;
			break;
		case 'a':
			if (opt.nrules >= MAX_RULES || parse_rule(optarg, &opt.rules[opt.nrules++]) < 0)
				return 1;
			break;
		case 'e':
			if (opt.nmods < MAX_RULES)
				opt.mods[opt.nmods++] = optarg;
			break;
		default: return 1;
		}
	}
	if (!sock || !logpath || !(opt.log = fopen(logpath, "a"))) {
		fprintf(stderr, "usage: milter-testfilter -p SOCKET -l LOG [options]\n");
		return 1;
	}
	if (!strncmp(sock, "unix:", 5))
		unlink(sock + 5);
	if (smfi_register(desc) == MI_FAILURE || smfi_setconn((char *)sock) == MI_FAILURE ||
	    smfi_opensocket(1) == MI_FAILURE) {
		fprintf(stderr, "milter-testfilter: cannot set up %s\n", sock);
		return 1;
	}
	fprintf(stderr, "milter-testfilter: listening on %s\n", sock);
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
