/*
 * am_session.h - runs the checks of one SMTP session, stage by stage.
 *
 * The milter callbacks, the offline `-t` mode and the replay tests all
 * drive a session through these calls, so they decide identically. Each
 * stage takes plain data (no libmilter types) and, where the MTA needs an
 * answer, fills a verdict; the end of message also fills the header edits.
 */
#ifndef AM_SESSION_H
#define AM_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "am_authres.h"
#include "am_bimi.h"
#include "am_policy.h"

/* A session's state: opaque outside lib/ (lib/am_msg.h). */
struct am_conn;
struct am_runtime;
struct am_metrics;

/* An incoming header to delete: its name and its 1-based index among the
 * headers of that name (what smfi_chgheader wants). */
struct am_header_delete {
	char name[32];
	unsigned index;
};

/* The default name of the header that marks mail a domain wanted
 * quarantined, when [dmarc] quarantine_action = accept ([dmarc]
 * marker_header renames it). Incoming copies are always deleted. */
#define AM_MARKER_HEADER "X-Authmilter-Quarantine"

/* Header changes to make at end of message; a text is set only when its
 * add_ flag is. */
struct am_edits {
	unsigned ndeletes;               /* deletes[] sorted: highest index first */
	const struct am_header_delete *deletes; /* the message's: valid until its reset */
	bool add_authres;
	char authres[AM_AUTHRES_MAX];    /* value of our Authentication-Results */
	bool add_marker;
	char marker_name[32];            /* [dmarc] marker_header */
	char marker[256];                /* its value */
	bool add_bimi_location;          /* BIMI pass: our BIMI-Location header */
	char bimi_location[AM_BIMI_LOCATION_MAX];
};

/* A new connection under generation rt (the session takes the reference). */
struct am_conn *am_session_open(struct am_runtime *rt, const char *conn_id);
void am_session_close(struct am_conn *c);

/* Client address (NULL or "" when the MTA has none), the MTA's host name
 * for it (verified, or "unknown" / "[ip]"), and the unverified reverse DNS
 * name ({client_ptr}; NULL when the MTA does not say). */
void am_session_connect(struct am_conn *c, const char *hostname, const char *ip, const char *client_ptr);
void am_session_helo(struct am_conn *c, const char *helo);
/* The MTA's own host name (its j macro; NULL when not sent): our
 * authserv-id when [server] authserv_id is empty. */
void am_session_mta_name(struct am_conn *c, const char *name);
/* MAIL FROM under generation rt (a new reference the message keeps);
 * mail_addr is the MTA's normalised sender ({mail_addr}; NULL when not
 * sent), preferred over the raw argument from; auth_user is the SASL
 * login or NULL. Runs SPF. */
void am_session_mail(struct am_conn *c, struct am_runtime *rt, const char *from, const char *mail_addr,
		     const char *auth_user);
/* The MTA's queue id, whenever it becomes known. */
void am_session_queue_id(struct am_conn *c, const char *queue_id);
/* One recipient; v->action is AM_ACT_NONE to go on. */
void am_session_rcpt(struct am_conn *c, const char *rcpt, struct am_verdict *v);
/* One header, value exactly as received (leading space included). */
void am_session_header(struct am_conn *c, const char *name, const char *value);
/* End of headers: true when some check needs the body. */
bool am_session_eoh(struct am_conn *c);
/* One body chunk (CRLF line ends). */
void am_session_body(struct am_conn *c, const unsigned char *chunk, size_t len);
/* End of message: the verdict and the header edits. */
void am_session_eom(struct am_conn *c, struct am_verdict *v, struct am_edits *e);
/* The message was aborted (RSET, error, disconnect). */
void am_session_abort(struct am_conn *c);

/* Is a message under way (between MAIL and its end or abort)? */
bool am_session_in_message(const struct am_conn *c);
/* Does some check of the message read its body (known at end of headers)? */
bool am_session_wants_body(const struct am_conn *c);
/* Count the session's checks in this metrics registry (NULL: none). */
void am_session_set_metrics(struct am_conn *c, struct am_metrics *metrics);
/* Tools (the offline mode, replay tests): each decision line is also
 * handed to fn (NULL: none). */
void am_session_on_decision(struct am_conn *c, void (*fn)(void *arg, const char *line), void *arg);

#endif
