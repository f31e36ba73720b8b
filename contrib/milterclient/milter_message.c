/*
 * milter_message.c - whole messages for the milter client library: splits a
 * raw RFC 5322 message (CRLF or LF) into header fields and a CRLF body the
 * way Postfix hands them to a milter, and runs the SMTP stages in order with
 * Postfix's rules for early decisions (connection-level verdicts at connect
 * and HELO, per-recipient rejects, SMFIC_ABORT after a message ends early).
 * It does not apply the filter's modifications to the message.
 */
#include "milter_client_int.h"

#include <stdlib.h>
#include <string.h>

/* Header fields of a parsed message: name and raw value (after the colon,
 * continuation lines joined with LF). */
struct parsed {
	char **name, **raw;
	size_t n;
	char *body; /* CRLF-normalised */
	size_t blen;
};

static void parsed_free(struct parsed *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->name[i]);
		free(p->raw[i]);
	}
	free(p->name);
	free(p->raw);
	free(p->body);
	memset(p, 0, sizeof(*p));
}

/* Length of a header field name at s (before optional WSP and ':'), or 0. */
static size_t field_name_len(const char *s, size_t l)
{
	size_t i = 0, k;
	while (i < l && s[i] > 32 && s[i] < 127 && s[i] != ':')
		i++;
	k = i;
	while (k < l && (s[k] == ' ' || s[k] == '\t'))
		k++;
	return (i > 0 && k < l && s[k] == ':') ? i : 0;
}

/* Append a header field (name, raw value) to p. */
static int add_field(struct parsed *p, const char *line, size_t l, size_t nl)
{
	if (p->n >= MC_MAX_HEADERS)
		return -1;
	char **nn = realloc(p->name, (p->n + 1) * sizeof(char *));
	if (nn)
		p->name = nn;
	char **nr = realloc(p->raw, (p->n + 1) * sizeof(char *));
	if (nr)
		p->raw = nr;
	if (!nn || !nr)
		return -1;
	const char *colon = memchr(line, ':', l);
	p->name[p->n] = strndup(line, nl);
	p->raw[p->n] = strndup(colon + 1, l - (size_t)(colon + 1 - line));
	if (!p->name[p->n] || !p->raw[p->n]) {
		free(p->name[p->n]);
		free(p->raw[p->n]);
		return -1;
	}
	p->n++;
	return 0;
}

/* Append a continuation line ("\n" + line) to the last field. */
static int add_continuation(struct parsed *p, const char *line, size_t l)
{
	char *old = p->raw[p->n - 1];
	size_t ol = strlen(old);
	char *nv = realloc(old, ol + l + 2);
	if (!nv)
		return -1;
	nv[ol] = '\n';
	memcpy(nv + ol + 1, line, l);
	nv[ol + 1 + l] = 0;
	p->raw[p->n - 1] = nv;
	return 0;
}

/* Copy the body from msg[off..len) with every line ending in CRLF. */
static int take_body(struct parsed *p, const char *msg, size_t off, size_t len)
{
	p->body = malloc((len - off) * 2 + 3);
	if (!p->body)
		return -1;
	while (off < len) {
		const char *nlp = memchr(msg + off, '\n', len - off);
		size_t l = nlp ? (size_t)(nlp - (msg + off)) : len - off;
		size_t cl = (l > 0 && msg[off + l - 1] == '\r') ? l - 1 : l;
		memcpy(p->body + p->blen, msg + off, cl);
		p->blen += cl;
		memcpy(p->body + p->blen, "\r\n", 2);
		p->blen += 2;
		off += l + (nlp ? 1 : 0);
	}
	return 0;
}

/* Split msg into header fields and body. */
static int parse_message(const char *msg, size_t len, struct parsed *p, char *err, size_t errlen)
{
	size_t off = 0;
	memset(p, 0, sizeof(*p));
	while (off < len) {
		const char *line = msg + off, *nlp = memchr(line, '\n', len - off);
		size_t l = nlp ? (size_t)(nlp - line) : len - off, adv = l + (nlp ? 1 : 0);
		if (l > 0 && line[l - 1] == '\r')
			l--;
		if (l == 0) { /* the empty line: body follows */
			off += adv;
			break;
		}
		size_t nl;
		int rc;
		if ((line[0] == ' ' || line[0] == '\t') && p->n > 0)
			rc = add_continuation(p, line, l);
		else if ((nl = field_name_len(line, l)) > 0)
			rc = add_field(p, line, l, nl);
		else
			break; /* not a header line: the body starts here */
		if (rc < 0) {
			mc_errf(err, errlen, "too many or too large header fields");
			parsed_free(p);
			return -1;
		}
		off += adv;
	}
	if (take_body(p, msg, off, len) < 0) {
		mc_errf(err, errlen, "out of memory");
		parsed_free(p);
		return -1;
	}
	return 0;
}

void mc_result_init(struct mc_result *res)
{
	memset(res, 0, sizeof(*res));
	res->final.resp = MC_NOTSENT;
}

void mc_result_free(struct mc_result *res)
{
	mc_mods_free(&res->mods);
}

/* Record the deciding reply; REPLYCODE becomes reject or tempfail. */
static void set_final(struct mc_result *res, enum mc_stage st, const struct mc_reply *r)
{
	res->final = *r;
	res->final_stage = st;
	if (r->resp == MC_REPLYCODE)
		res->final.resp = r->text[0] == '5' ? MC_REJECT : MC_TEMPFAIL;
	else if (r->resp == MC_CONTINUE || r->resp == MC_NOREPLY || r->resp == MC_NOTSENT)
		res->final.resp = MC_ACCEPT;
}

/* The message ended before EOM: tell the filter (Postfix sends SMFIC_ABORT on
 * the RSET/MAIL/QUIT that follows); a shutdown ends the connection. */
static int end_early(struct mc_conn *c, struct mc_result *res, enum mc_stage st,
		     const struct mc_reply *r, char *err, size_t errlen)
{
	set_final(res, st, r);
	if (r->resp == MC_SHUTDOWN || r->resp == MC_CONNFAIL) {
		c->cstate = MC_CS_ENDED;
		c->cfinal = res->final;
		c->cfinal_stage = st;
		mc_shut(c);
		return 0;
	}
	return mc_ev_abort(c, err, errlen);
}

int mc_content(struct mc_conn *c, const char *msg, size_t len, struct mc_result *res, char *err,
	       size_t errlen)
{
	struct parsed p;
	struct mc_reply r;
	int rc = -1;
	if (parse_message(msg, len, &p, err, errlen) < 0)
		return -1;
	if (mc_ev_data(c, &r, err, errlen) < 0)
		goto out;
	if (mc_resp_final(r.resp)) {
		rc = end_early(c, res, MC_DATA, &r, err, errlen);
		goto out;
	}
	for (size_t i = 0; i < p.n; i++) {
		if (mc_ev_header(c, p.name[i], p.raw[i], &r, err, errlen) < 0)
			goto out;
		if (mc_resp_final(r.resp)) {
			rc = end_early(c, res, MC_HEADER, &r, err, errlen);
			goto out;
		}
	}
	if (mc_ev_eoh(c, &r, err, errlen) < 0)
		goto out;
	if (mc_resp_final(r.resp)) {
		rc = end_early(c, res, MC_EOH, &r, err, errlen);
		goto out;
	}
	if (p.blen && mc_ev_body(c, p.body, p.blen, &r, err, errlen) < 0)
		goto out;
	if (p.blen && mc_resp_final(r.resp)) {
		rc = end_early(c, res, MC_BODY, &r, err, errlen);
		goto out;
	}
	if (mc_ev_eom(c, &r, &res->mods, err, errlen) < 0)
		goto out;
	set_final(res, MC_EOM, &r);
	if (r.resp == MC_SHUTDOWN || r.resp == MC_CONNFAIL)
		end_early(c, res, MC_EOM, &r, NULL, 0);
	rc = 0;
out:
	parsed_free(&p);
	return rc;
}

/* Connect and HELO: a final reply there decides the whole connection
 * (Postfix closes the filter socket without SMFIC_QUIT). */
static int open_session(struct mc_conn *c, const struct mc_envelope *env, char *err, size_t errlen)
{
	struct mc_reply r;
	enum mc_stage st = MC_CONNECT;
	if (mc_ev_connect(c, env->client_name, env->client_addr, env->client_port, &r, err, errlen) <
	    0)
		return -1;
	if (!mc_resp_final(r.resp) || r.resp == MC_DISCARD) {
		st = MC_HELO;
		if (env->helo && mc_ev_helo(c, env->helo, &r, err, errlen) < 0)
			return -1;
		if (!env->helo || !mc_resp_final(r.resp) || r.resp == MC_DISCARD)
			return 0; /* DISCARD at connect/HELO is ignored, as Postfix does */
	}
	struct mc_result tmp;
	mc_result_init(&tmp);
	set_final(&tmp, st, &r);
	c->cstate = MC_CS_ENDED;
	c->cfinal = tmp.final;
	c->cfinal_stage = st;
	mc_shut(c);
	return 0;
}

/* MAIL and RCPTs; returns 1 when the message goes on to DATA. */
static int envelope(struct mc_conn *c, const struct mc_envelope *env, struct mc_result *res,
		    char *err, size_t errlen)
{
	struct mc_reply r, last = {.resp = MC_REJECT};
	size_t ok = 0;
	if (mc_ev_mail(c, env->mail, &r, err, errlen) < 0)
		return -1;
	if (mc_resp_final(r.resp))
		return end_early(c, res, MC_MAIL, &r, err, errlen);
	if (env->nrcpts == 0 || env->nrcpts > MC_MAX_RCPTS) {
		mc_errf(err, errlen, "need 1..%d recipients", MC_MAX_RCPTS);
		return -1;
	}
	for (size_t i = 0; i < env->nrcpts; i++) {
		if (mc_ev_rcpt(c, env->rcpts[i], &res->rcpt[i], err, errlen) < 0)
			return -1;
		res->nrcpts = i + 1;
		enum mc_resp x = res->rcpt[i].resp;
		if (x == MC_ACCEPT || x == MC_DISCARD || x == MC_SHUTDOWN || x == MC_CONNFAIL)
			return end_early(c, res, MC_RCPT, &res->rcpt[i], err, errlen);
		if (mc_resp_final(x))
			last = res->rcpt[i]; /* this recipient is refused, others go on */
		else
			ok++;
	}
	if (ok == 0) /* every recipient refused: no DATA */
		return end_early(c, res, MC_RCPT, &last, err, errlen);
	return 1;
}

int mc_message(struct mc_conn *c, const struct mc_envelope *env, const char *msg, size_t len,
	       struct mc_result *res, char *err, size_t errlen)
{
	mc_result_init(res);
	if (c->cstate == MC_CS_FRESH && open_session(c, env, err, errlen) < 0)
		return -1;
	if (c->cstate == MC_CS_ENDED) {
		res->final = c->cfinal;
		res->final_stage = c->cfinal_stage;
		return 0;
	}
	int rc = envelope(c, env, res, err, errlen);
	if (rc <= 0)
		return rc;
	return mc_content(c, msg, len, res, err, errlen);
}
