/*
 * milter_events.c - macros and single events of the milter client library:
 * what Postfix sends before and with each SMTP stage, honouring the filter's
 * negotiated flags (skipped stages, no-reply stages, SMFIR_SKIP, leading
 * space of header values) and macro lists. No message parsing here.
 */
#include "milter_client_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Postfix's default macro lists per SMFIM stage (postconf -d milter_*_macros). */
static const char *const default_macros[MC_NSYMLISTS] = {
	"j {daemon_name} {daemon_addr} v _",
	"{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}",
	"i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}",
	"i {rcpt_addr} {rcpt_host} {rcpt_mailer}",
	"i",
	"i",
	"i",
};

/* Compare macro names ignoring one pair of braces ("{i}" == "i"). */
static int name_eq(const char *a, size_t al, const char *b)
{
	size_t bl = strlen(b);
	if (al >= 2 && a[0] == '{' && a[al - 1] == '}') {
		a++;
		al -= 2;
	}
	if (bl >= 2 && b[0] == '{' && b[bl - 1] == '}') {
		b++;
		bl -= 2;
	}
	return al == bl && memcmp(a, b, al) == 0;
}

/* Index of the macro named name[0..nl), or -1. */
static int find_macro(const struct mc_conn *c, const char *name, size_t nl)
{
	for (size_t i = 0; i < c->nmacros; i++)
		if (name_eq(name, nl, c->macros[i].name))
			return (int)i;
	return -1;
}

/* Find or create the slot for a macro; NULL when the table is full. */
static struct mc_macro_ent *macro_slot(struct mc_conn *c, const char *name)
{
	int i = find_macro(c, name, strlen(name));
	if (i >= 0)
		return &c->macros[i];
	if (c->nmacros >= MC_MAX_MACROS)
		return NULL;
	struct mc_macro_ent *m = &c->macros[c->nmacros++];
	memset(m, 0, sizeof(*m));
	mc_strlcpy(m->name, name, sizeof(m->name));
	return m;
}

int mc_macro(struct mc_conn *c, const char *name, const char *value, char *err, size_t errlen)
{
	if (!name[0] || strlen(name) >= MC_MACRO_NAME_MAX || strlen(value) >= MC_MACRO_VALUE_MAX) {
		mc_errf(err, errlen, "macro name or value empty or too long: %.40s", name);
		return -1;
	}
	struct mc_macro_ent *m = macro_slot(c, name);
	if (!m) {
		mc_errf(err, errlen, "too many macros (max %d)", MC_MAX_MACROS);
		return -1;
	}
	mc_strlcpy(m->value, value, sizeof(m->value));
	m->user = 1;
	m->pending = 1;
	m->msgscope = 0;
	return 0;
}

void mc_macro_auto(struct mc_conn *c, const char *name, const char *value, int msgscope)
{
	struct mc_macro_ent *m = macro_slot(c, name);
	if (!m || m->user)
		return;
	mc_strlcpy(m->value, value, sizeof(m->value));
	m->msgscope = msgscope;
}

/* Forget the library's per-message values (a new MAIL begins). */
void mc_macro_clear_msg(struct mc_conn *c)
{
	size_t o = 0;
	for (size_t i = 0; i < c->nmacros; i++)
		if (!(c->macros[i].msgscope && !c->macros[i].user))
			c->macros[o++] = c->macros[i];
	c->nmacros = o;
}

/* Send SMFIC_MACRO for an event: the filter's list (or Postfix's default
 * list plus the caller's pending macros). */
static int send_macros(struct mc_conn *c, char cmd, int smfim, char *err, size_t errlen)
{
	struct mc_pkt b;
	char sent[MC_MAX_MACROS] = {0};
	int n = 0;
	const char *list = c->symlist[smfim] ? c->symlist[smfim] : default_macros[smfim];
	mc_pkt_init(&b);
	mc_pkt_bytes(&b, &cmd, 1);
	for (const char *p = list; *p;) {
		size_t l = strcspn(p, " \t,");
		int i = l ? find_macro(c, p, l) : -1;
		if (i >= 0 && !sent[i]) {
			char nm[MC_MACRO_NAME_MAX];
			snprintf(nm, sizeof(nm), "%.*s", (int)l, p);
			mc_pkt_str(&b, nm);
			mc_pkt_str(&b, c->macros[i].value);
			sent[i] = 1;
			n++;
		}
		p += l;
		p += strspn(p, " \t,");
	}
	for (size_t i = 0; i < c->nmacros; i++) {
		if (c->macros[i].pending && !sent[i] && !c->symlist[smfim]) {
			mc_pkt_str(&b, c->macros[i].name);
			mc_pkt_str(&b, c->macros[i].value);
			n++;
		}
		c->macros[i].pending = 0;
	}
	int rc = n ? mc_send(c, SMFIC_MACRO, &b, err, errlen) : 0;
	mc_pkt_free(&b);
	return rc;
}

/* Report an event to the trace callback. */
static void trace(struct mc_conn *c, enum mc_stage st, const char *detail, const struct mc_reply *r)
{
	if (c->trace)
		c->trace(c->trace_arg, st, detail, r);
}

/* One event: macros, the command unless skipped, the reply unless the
 * filter said it sends none. */
static int event(struct mc_conn *c, char cmd, int smfim, uint32_t noflag, uint32_t nrflag,
		 enum mc_stage st, const char *detail, const struct mc_pkt *b, struct mc_reply *r,
		 struct mc_mods *mods, char *err, size_t errlen)
{
	r->resp = MC_NOTSENT;
	r->text[0] = 0;
	if (c->fd < 0) {
		mc_errf(err, errlen, "connection to the filter is closed (before %s)", mc_stage_name(st));
		return -1;
	}
	if (c->skip_cmd == cmd) { /* SMFIR_SKIP: skip further events of this type */
		trace(c, st, detail, r);
		return 0;
	}
	c->skip_cmd = 0;
	if (smfim >= 0 && send_macros(c, cmd, smfim, err, errlen) < 0)
		return -1;
	if (!(c->protocol & noflag)) {
		if (mc_send(c, cmd, b, err, errlen) < 0)
			return -1;
		if (c->protocol & nrflag)
			r->resp = MC_NOREPLY;
		else if (mc_read_reply(c, cmd, r, mods, err, errlen) < 0) {
			size_t l = strlen(err ? err : "");
			if (err && l + 1 < errlen)
				snprintf(err + l, errlen - l, " (during %s)", mc_stage_name(st));
			return -1;
		}
	}
	if (r->resp == MC_SKIP)
		c->skip_cmd = cmd;
	trace(c, st, detail, r);
	return 0;
}

int mc_ev_connect(struct mc_conn *c, const char *name, const char *addr, unsigned port,
		  struct mc_reply *r, char *err, size_t errlen)
{
	unsigned char a6[16];
	char fam = 'U', nm[300], us[600], ps[16];
	if (addr && !strncasecmp(addr, "IPv6:", 5))
		addr += 5;
	if (!addr || !addr[0] || !strcmp(addr, "unknown"))
		addr = NULL;
	else if (inet_pton(AF_INET, addr, a6) == 1)
		fam = '4';
	else if (inet_pton(AF_INET6, addr, a6) == 1)
		fam = '6';
	else if (addr[0] == '/')
		fam = 'L';
	else {
		mc_errf(err, errlen, "bad client address: %.80s", addr);
		return -1;
	}
	if (name && name[0] && strcmp(name, "unknown"))
		snprintf(nm, sizeof(nm), "%s", name);
	else
		snprintf(nm, sizeof(nm), addr ? "[%.256s]" : "unknown", addr);
	snprintf(us, sizeof(us), "%s [%s]", nm, addr ? addr : "unknown");
	snprintf(ps, sizeof(ps), "%u", port & 0xffff);
	mc_macro_auto(c, "j", c->mta_name, 0);
	mc_macro_auto(c, "{daemon_name}", c->mta_name, 0);
	mc_macro_auto(c, "{daemon_addr}", "127.0.0.1", 0);
	mc_macro_auto(c, "v", "Postfix 3.7 (authmilter milterclient)", 0);
	mc_macro_auto(c, "_", us, 0);
	mc_macro_auto(c, "{client_addr}", addr ? addr : "unknown", 0);
	mc_macro_auto(c, "{client_name}", nm, 0);
	mc_macro_auto(c, "{client_ptr}", nm, 0);
	mc_macro_auto(c, "{client_port}", ps, 0);
	struct mc_pkt b;
	mc_pkt_init(&b);
	mc_pkt_str(&b, nm);
	mc_pkt_bytes(&b, &fam, 1);
	if (fam != 'U') {
		uint16_t np = htons((uint16_t)(fam == 'L' ? 0 : port));
		mc_pkt_bytes(&b, &np, 2);
		mc_pkt_str(&b, addr);
	}
	int rc = event(c, SMFIC_CONNECT, 0, SMFIP_NOCONNECT, SMFIP_NR_CONN, MC_CONNECT, NULL, &b, r,
		       NULL, err, errlen);
	mc_pkt_free(&b);
	c->cstate = MC_CS_OPEN;
	return rc;
}

int mc_ev_helo(struct mc_conn *c, const char *helo, struct mc_reply *r, char *err, size_t errlen)
{
	struct mc_pkt b;
	mc_pkt_init(&b);
	mc_pkt_str(&b, helo);
	int rc = event(c, SMFIC_HELO, 1, SMFIP_NOHELO, SMFIP_NR_HELO, MC_HELO, NULL, &b, r, NULL, err,
		       errlen);
	mc_pkt_free(&b);
	return rc;
}

/* Build the argv of MAIL/RCPT: "<addr>" then ESMTP parameters. Puts the
 * bare address (without <>) into addr. */
static int envelope_args(const char *line, struct mc_pkt *b, char *first, size_t flen,
			 char *addr, size_t alen, char *err, size_t errlen)
{
	char tok[1024];
	int k = 0;
	for (const char *p = line + strspn(line, " \t"); *p; p += strspn(p, " \t"), k++) {
		size_t l = strcspn(p, " \t");
		if (l >= sizeof(tok) - 2 || k >= 32) {
			mc_errf(err, errlen, "envelope argument too long or too many: %.60s", line);
			return -1;
		}
		if (k == 0 && p[0] != '<')
			snprintf(tok, sizeof(tok), "<%.*s>", (int)l, p);
		else
			snprintf(tok, sizeof(tok), "%.*s", (int)l, p);
		if (k == 0) {
			mc_strlcpy(first, tok, flen);
			size_t tl = strlen(tok);
			snprintf(addr, alen, "%.*s", (int)(tl >= 2 ? tl - 2 : 0), tok + 1);
		}
		mc_pkt_str(b, tok);
		p += l;
	}
	if (k == 0) {
		mc_errf(err, errlen, "empty envelope address");
		return -1;
	}
	return 0;
}

/* MAIL or RCPT event. */
static int envelope_event(struct mc_conn *c, int rcpt, const char *line, struct mc_reply *r,
			  char *err, size_t errlen)
{
	struct mc_pkt b;
	char first[1024], addr[1024];
	mc_pkt_init(&b);
	if (envelope_args(line, &b, first, sizeof(first), addr, sizeof(addr), err, errlen) < 0) {
		mc_pkt_free(&b);
		return -1;
	}
	if (!rcpt) {
		mc_macro_clear_msg(c);
		c->nmsg++;
	}
	mc_macro_auto(c, rcpt ? "{rcpt_addr}" : "{mail_addr}", addr, 1);
	mc_macro_auto(c, rcpt ? "{rcpt_mailer}" : "{mail_mailer}", "smtp", 1);
	int rc = rcpt ? event(c, SMFIC_RCPT, 3, SMFIP_NORCPT, SMFIP_NR_RCPT, MC_RCPT, first, &b, r,
			      NULL, err, errlen)
		      : event(c, SMFIC_MAIL, 2, SMFIP_NOMAIL, SMFIP_NR_MAIL, MC_MAIL, first, &b, r,
			      NULL, err, errlen);
	mc_pkt_free(&b);
	return rc;
}

int mc_ev_mail(struct mc_conn *c, const char *line, struct mc_reply *r, char *err, size_t errlen)
{
	return envelope_event(c, 0, line, r, err, errlen);
}

int mc_ev_rcpt(struct mc_conn *c, const char *line, struct mc_reply *r, char *err, size_t errlen)
{
	return envelope_event(c, 1, line, r, err, errlen);
}

int mc_ev_data(struct mc_conn *c, struct mc_reply *r, char *err, size_t errlen)
{
	char qid[32];
	/* Postfix has a queue id from DATA on (not before the first valid RCPT). */
	snprintf(qid, sizeof(qid), "%05X%05X", (unsigned)getpid() & 0xfffff, c->nmsg & 0xfffff);
	mc_macro_auto(c, "i", qid, 1);
	return event(c, SMFIC_DATA, 4, SMFIP_NODATA, SMFIP_NR_DATA, MC_DATA, NULL, NULL, r, NULL, err,
		     errlen);
}

int mc_ev_header(struct mc_conn *c, const char *name, const char *raw, struct mc_reply *r,
		 char *err, size_t errlen)
{
	struct mc_pkt b;
	/* Like Sendmail, Postfix eats one space (not a tab) unless SMFIP_HDR_LEADSPC. */
	if (!(c->protocol & SMFIP_HDR_LEADSPC) && raw[0] == ' ')
		raw++;
	mc_pkt_init(&b);
	mc_pkt_str(&b, name);
	mc_pkt_str(&b, raw);
	int rc = event(c, SMFIC_HEADER, -1, SMFIP_NOHDRS, SMFIP_NR_HDR, MC_HEADER, name, &b, r, NULL,
		       err, errlen);
	mc_pkt_free(&b);
	return rc;
}

int mc_ev_eoh(struct mc_conn *c, struct mc_reply *r, char *err, size_t errlen)
{
	return event(c, SMFIC_EOH, 6, SMFIP_NOEOH, SMFIP_NR_EOH, MC_EOH, NULL, NULL, r, NULL, err,
		     errlen);
}

int mc_ev_body(struct mc_conn *c, const char *buf, size_t len, struct mc_reply *r, char *err,
	       size_t errlen)
{
	r->resp = MC_NOTSENT;
	r->text[0] = 0;
	for (size_t off = 0; off < len;) {
		struct mc_pkt b;
		size_t n = len - off > MC_BODY_CHUNK ? MC_BODY_CHUNK : len - off;
		mc_pkt_init(&b);
		mc_pkt_bytes(&b, buf + off, n);
		int rc = event(c, SMFIC_BODY, -1, SMFIP_NOBODY, SMFIP_NR_BODY, MC_BODY, NULL, &b, r,
			       NULL, err, errlen);
		mc_pkt_free(&b);
		if (rc < 0)
			return -1;
		off += n;
		if (r->resp != MC_CONTINUE && r->resp != MC_NOREPLY)
			break;
	}
	return 0;
}

int mc_ev_eom(struct mc_conn *c, struct mc_reply *r, struct mc_mods *mods, char *err,
	      size_t errlen)
{
	return event(c, SMFIC_BODYEOB, 5, 0, 0, MC_EOM, NULL, NULL, r, mods, err, errlen);
}

int mc_ev_abort(struct mc_conn *c, char *err, size_t errlen)
{
	c->skip_cmd = 0;
	return mc_send(c, SMFIC_ABORT, NULL, err, errlen);
}

int mc_ev_quit(struct mc_conn *c, char *err, size_t errlen)
{
	int rc = mc_send(c, SMFIC_QUIT, NULL, err, errlen);
	mc_shut(c);
	return rc;
}

int mc_resp_final(enum mc_resp r)
{
	return r == MC_ACCEPT || r == MC_REJECT || r == MC_TEMPFAIL || r == MC_DISCARD ||
	       r == MC_REPLYCODE || r == MC_SHUTDOWN || r == MC_CONNFAIL;
}

const char *mc_resp_name(const struct mc_reply *r)
{
	static const char *const names[] = {"notsent", "noreply",  "continue", "accept",
					    "reject",  "tempfail", "discard",  "replycode",
					    "skip",    "shutdown", "connfail"};
	if (r->resp == MC_REPLYCODE)
		return r->text[0] == '5' ? "reject" : "tempfail";
	return (unsigned)r->resp < sizeof(names) / sizeof(names[0]) ? names[r->resp] : "?";
}

const char *mc_stage_name(enum mc_stage st)
{
	static const char *const names[] = {"connect", "helo", "mail", "rcpt", "data",  "header",
					    "eoh",     "body", "eom",  "abort", "quit"};
	return (unsigned)st < MC_NSTAGES ? names[st] : "?";
}
