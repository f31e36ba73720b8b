/*
 * milter_message.c - whole messages for the milter client library: has a
 * raw RFC 5322 message (CRLF or LF) split into header fields and a CRLF body
 * the way Postfix hands them to a milter (lib/am_message.c, shared with the
 * daemon's offline mode), and runs the SMTP stages in order with
 * Postfix's rules for early decisions (connection-level verdicts at connect
 * and HELO, per-recipient rejects, SMFIC_ABORT after a message ends early).
 * It does not apply the filter's modifications to the message.
 */
#include "milter_client_int.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "am_message.h"

/* State of one message's content while lib/am_message.c splits it: the
 * events go out as the fields arrive; body bytes are regrouped into packets
 * of MC_BODY_CHUNK, as Postfix sends them. */
struct content {
	struct mc_conn *c;
	char *err;
	size_t errlen;
	int io_error;         /* an event failed: the conversation is broken */
	int ended;            /* a final reply came at stage st */
	enum mc_stage st;
	struct mc_reply r;
	char *pend;           /* body bytes not yet sent */
	size_t plen;
	int skipped;          /* the filter answered SMFIR_SKIP to the body */
};

/* Note the reply to an event; non-zero when the message ends here. */
static int note(struct content *k, int rc, enum mc_stage st)
{
	if (rc < 0) {
		k->io_error = 1;
		return -1;
	}
	if (mc_resp_final(k->r.resp)) {
		k->ended = 1;
		k->st = st;
		return 1;
	}
	return 0;
}

static int on_header(void *ctx, const char *name, const char *value)
{
	struct content *k = ctx;
	return note(k, mc_ev_header(k->c, name, value, &k->r, k->err, k->errlen), MC_HEADER);
}

static bool on_eoh(void *ctx)
{
	struct content *k = ctx;
	return note(k, mc_ev_eoh(k->c, &k->r, k->err, k->errlen), MC_EOH) == 0;
}

/* Send the pending body bytes as one SMFIC_BODY packet. */
static int flush_body(struct content *k)
{
	int rc = 0;
	if (k->plen > 0 && !k->skipped) {
		rc = note(k, mc_ev_body(k->c, k->pend, k->plen, &k->r, k->err, k->errlen), MC_BODY);
		k->skipped = k->r.resp == MC_SKIP;
	}
	k->plen = 0;
	return rc;
}

static int on_body(void *ctx, const unsigned char *buf, size_t len)
{
	struct content *k = ctx;
	while (len > 0) {
		size_t n = MC_BODY_CHUNK - k->plen < len ? MC_BODY_CHUNK - k->plen : len;
		memcpy(k->pend + k->plen, buf, n);
		k->plen += n;
		buf += n;
		len -= n;
		if (k->plen == MC_BODY_CHUNK && flush_body(k) != 0)
			return 1;
	}
	return 0;
}

static const struct am_message_ops content_ops = {on_header, on_eoh, on_body};

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
	const struct am_message_opts opts = {.max_fields = MC_MAX_HEADERS};
	struct content k = {.c = c, .err = err, .errlen = errlen};
	struct mc_reply r;
	enum am_message_status st;
	int rc = -1;

	if ((k.pend = malloc(MC_BODY_CHUNK)) == NULL) {
		mc_errf(err, errlen, "out of memory");
		return -1;
	}
	if (mc_ev_data(c, &r, err, errlen) < 0)
		goto out;
	if (mc_resp_final(r.resp)) {
		rc = end_early(c, res, MC_DATA, &r, err, errlen);
		goto out;
	}
	st = am_message_feed_buf(msg, len, &opts, &content_ops, &k, err, errlen);
	if (st == AM_MESSAGE_DONE && !k.ended)
		flush_body(&k);
	if (st == AM_MESSAGE_ERROR || k.io_error)
		goto out;
	if (k.ended) {
		rc = end_early(c, res, k.st, &k.r, err, errlen);
		goto out;
	}
	if (mc_ev_eom(c, &r, &res->mods, err, errlen) < 0)
		goto out;
	set_final(res, MC_EOM, &r);
	if (r.resp == MC_SHUTDOWN || r.resp == MC_CONNFAIL)
		end_early(c, res, MC_EOM, &r, NULL, 0);
	rc = 0;
out:
	free(k.pend);
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
