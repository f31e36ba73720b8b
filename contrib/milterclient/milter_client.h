/*
 * milter_client.h - the MTA side of the milter protocol, version 6, the way
 * Postfix speaks it (no libmilter needed). Used by the test driver
 * t/milter-drive and by the load generator contrib/milterload.
 *
 * What it does: connects to unix:PATH, local:PATH, inet:PORT@HOST or
 * inet:HOST:PORT (IPv4, IPv6, [v6]); negotiates like Postfix (offers every
 * action and protocol step, honours the filter's SMFIP_NO* / SMFIP_NR_* /
 * SMFIP_SKIP / SMFIP_HDR_LEADSPC flags and its macro lists); sends macros
 * and events; collects replies and end-of-message modifications.
 * What it does not: apply modifications to a message, speak SMTP, retry.
 *
 * Macros: the connection keeps a table of known macros. The library fills
 * the ones Postfix would know (j, {daemon_name}, v, _, {client_*}, {mail_addr},
 * {rcpt_addr}, i from DATA on); mc_macro() adds the caller's (sticky for the
 * connection, and flagged "pending" for the next event). Before each event
 * the macros the filter asked for with smfi_setsymlist() are sent, or, when
 * it asked for none for that stage, Postfix's default list for the stage
 * plus every pending caller macro.
 *
 * Thread safety: one struct mc_conn per thread; no globals.
 */
#ifndef MILTER_CLIENT_H
#define MILTER_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#define MC_BODY_CHUNK 65535        /* largest SMFIC_BODY payload (as Postfix) */
#define MC_MAX_PACKET (1024 * 1024) /* largest packet accepted from a filter */
#define MC_REPLY_MAX 2048          /* longest kept reply text */
#define MC_MAX_MACROS 48           /* known macros per connection */
#define MC_MACRO_NAME_MAX 64
#define MC_MACRO_VALUE_MAX 1024
#define MC_MAX_MODS 1000           /* modifications kept per message */
#define MC_MAX_RCPTS 100           /* recipients per message in mc_message() */
#define MC_MAX_HEADERS 2000        /* headers per message in mc_message() */

/* Events, in protocol order. */
enum mc_stage {
	MC_CONNECT,
	MC_HELO,
	MC_MAIL,
	MC_RCPT,
	MC_DATA,
	MC_HEADER,
	MC_EOH,
	MC_BODY,
	MC_EOM,
	MC_ABORT,
	MC_QUIT,
	MC_NSTAGES
};

/* What the filter answered to one event. */
enum mc_resp {
	MC_NOTSENT = 0, /* not sent: the filter asked to skip it (SMFIP_NO*, SKIP) */
	MC_NOREPLY,     /* sent; the filter said it sends no reply (SMFIP_NR_*) */
	MC_CONTINUE,
	MC_ACCEPT,
	MC_REJECT,
	MC_TEMPFAIL,
	MC_DISCARD,
	MC_REPLYCODE, /* text holds "4xx/5xx x.y.z text" */
	MC_SKIP,
	MC_SHUTDOWN,
	MC_CONNFAIL
};

struct mc_reply {
	enum mc_resp resp;
	char text[MC_REPLY_MAX]; /* SMFIR_REPLYCODE text as Postfix shows it ("%%" -> "%") */
};

enum mc_mod_type {
	MC_MOD_ADDHEADER,
	MC_MOD_INSHEADER,
	MC_MOD_CHGHEADER, /* value NULL: delete */
	MC_MOD_QUARANTINE,
	MC_MOD_ADDRCPT,
	MC_MOD_ADDRCPT_PAR,
	MC_MOD_DELRCPT,
	MC_MOD_CHGFROM,
	MC_MOD_REPLBODY
};

/* One modification request, as received (index as on the wire). */
struct mc_mod {
	enum mc_mod_type type;
	uint32_t index;  /* insheader / chgheader */
	char *name;      /* header name, address, reason */
	char *value;     /* header value, ESMTP args, body chunk; may be NULL */
	size_t value_len;
};

/* The modifications of one message, in arrival order. */
struct mc_mods {
	struct mc_mod *v;
	size_t n, cap;
};

/* Connection options; mc_opts_default() fills sensible values. */
struct mc_opts {
	int connect_timeout_ms; /* default 10000 */
	int reply_timeout_ms;   /* per reply, reset by SMFIR_PROGRESS; default 60000 */
	uint32_t actions;       /* offered SMFIF_*: default all (0x1ff) */
	uint32_t protocol;      /* offered SMFIP_*: default all of v6 (0x1fffff) */
	const char *mta_name;   /* j and {daemon_name}; default "mx.authmilter.example" */
};

/* Called after each event with its reply (for printing). detail: address,
 * header name or NULL. */
typedef void (*mc_trace_fn)(void *arg, enum mc_stage st, const char *detail,
			    const struct mc_reply *r);

struct mc_conn;

/* A whole SMTP transaction for mc_message(). */
struct mc_envelope {
	const char *client_name; /* NULL: "[addr]" (Postfix's form for unknown) */
	const char *client_addr; /* NULL or "unknown": family unknown */
	unsigned client_port;
	const char *helo;        /* NULL: no HELO event */
	const char *mail;        /* "<a@b> [ESMTP params]"; a bare address gets <> */
	const char *const *rcpts;
	size_t nrcpts;
};

/* Outcome of one message. */
struct mc_result {
	enum mc_stage final_stage; /* event that decided */
	struct mc_reply final;     /* ACCEPT, REJECT, TEMPFAIL, DISCARD, SHUTDOWN, CONNFAIL */
	struct mc_reply rcpt[MC_MAX_RCPTS];
	size_t nrcpts;
	struct mc_mods mods;
};

void mc_opts_default(struct mc_opts *o);
/* Connect and negotiate; NULL on error (reason in err). */
struct mc_conn *mc_open(const char *spec, const struct mc_opts *o, char *err, size_t errlen);
/* Send SMFIC_QUIT when still open, close, free. NULL is fine. */
void mc_close(struct mc_conn *c);
void mc_set_trace(struct mc_conn *c, mc_trace_fn fn, void *arg);

uint32_t mc_filter_version(const struct mc_conn *c);
uint32_t mc_filter_actions(const struct mc_conn *c);
uint32_t mc_filter_protocol(const struct mc_conn *c);
/* Macro list the filter asked for at SMFIM stage 0..6, or NULL. */
const char *mc_filter_symlist(const struct mc_conn *c, int smfim);
/* 1 while the socket is usable. */
int mc_is_open(const struct mc_conn *c);

/* Set a caller macro: known from now on, and pending for the next event. */
int mc_macro(struct mc_conn *c, const char *name, const char *value, char *err, size_t errlen);

/* Single events. Each returns 0 when the exchange worked (whatever the
 * reply) and -1 on I/O or protocol errors. */
int mc_ev_connect(struct mc_conn *c, const char *name, const char *addr, unsigned port,
		  struct mc_reply *r, char *err, size_t errlen);
int mc_ev_helo(struct mc_conn *c, const char *helo, struct mc_reply *r, char *err, size_t errlen);
int mc_ev_mail(struct mc_conn *c, const char *line, struct mc_reply *r, char *err, size_t errlen);
int mc_ev_rcpt(struct mc_conn *c, const char *line, struct mc_reply *r, char *err, size_t errlen);
int mc_ev_data(struct mc_conn *c, struct mc_reply *r, char *err, size_t errlen);
/* raw: the bytes after the colon as in the message, leading space included,
 * continuation lines joined with LF. */
int mc_ev_header(struct mc_conn *c, const char *name, const char *raw, struct mc_reply *r,
		 char *err, size_t errlen);
int mc_ev_eoh(struct mc_conn *c, struct mc_reply *r, char *err, size_t errlen);
/* Body bytes (CRLF lines), sent in chunks of at most MC_BODY_CHUNK; stops at
 * the first reply other than continue / noreply. */
int mc_ev_body(struct mc_conn *c, const char *buf, size_t len, struct mc_reply *r, char *err,
	       size_t errlen);
/* End of message: modifications are appended to mods (may be NULL). */
int mc_ev_eom(struct mc_conn *c, struct mc_reply *r, struct mc_mods *mods, char *err,
	      size_t errlen);
int mc_ev_abort(struct mc_conn *c, char *err, size_t errlen);
int mc_ev_quit(struct mc_conn *c, char *err, size_t errlen);

/* 1 when a reply ends the message (or connection) early. */
int mc_resp_final(enum mc_resp r);
/* "continue", "tempfail", ... ; REPLYCODE maps to reject/tempfail. */
const char *mc_resp_name(const struct mc_reply *r);
const char *mc_stage_name(enum mc_stage st);

void mc_mods_free(struct mc_mods *m);
void mc_result_init(struct mc_result *res);
void mc_result_free(struct mc_result *res);

/* DATA, headers, EOH, body and EOM of a raw RFC 5322 message (CRLF or LF),
 * stopping early (with SMFIC_ABORT) on a final reply. */
int mc_content(struct mc_conn *c, const char *msg, size_t len, struct mc_result *res, char *err,
	       size_t errlen);
/* A whole message: connect and helo on first use of the connection, then
 * mail, rcpts and mc_content(). 0 when the conversation completed. */
int mc_message(struct mc_conn *c, const struct mc_envelope *env, const char *msg, size_t len,
	       struct mc_result *res, char *err, size_t errlen);

#endif
