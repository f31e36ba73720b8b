/*
 * am_msg.h - per-connection and per-message state. A connection carries
 * several messages (and may say HELO again after STARTTLS, or RSET), so
 * each level has its own reset; nothing of one message leaks into the next
 * (the DKIM signature slots are not cleared, only read below their count,
 * which is).
 */
#ifndef AM_MSG_H
#define AM_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include "am_addr.h"
#include "am_dns.h"
#include "am_from.h"
#include "am_results.h"
#include "am_session.h"

struct am_runtime;
struct am_dkim_msg;
struct am_arc_msg;
struct am_metrics;

#define AM_MAX_FROM 8           /* From headers kept for DMARC; more: AM_FROM_OVER_LIMIT, refused */
#define AM_TRACKED_HEADERS 4    /* header names we may delete (am_session.c) */

struct am_msg {
	bool active;                 /* between MAIL and end/abort */
	struct am_runtime *rt;       /* the generation this message started with */
	char queue_id[32];
	/* without angle brackets; "" for <>. One byte more than SPF takes, so
	 * a longer address cut to fit stays too long ("none"), never checked
	 * as the shorter, different address its first bytes spell. */
	char mail_from[AM_ADDR_MAX + 1];
	char last_rcpt[AM_ADDR_MAX];
	unsigned rcpt_count;
	bool mail_from_bad;          /* not one mailbox (am_path.c): SPF none */
	const char *authserv_id;     /* ours for this message (am_session_authserv_id) */
	char **rcpts;                /* accepted recipients, for end-of-data greylisting */
	unsigned nrcpts;
	struct am_grey_result grey_rcpts; /* RCPT-stage greylisting, merged over recipients */
	int64_t start_ms;
	struct am_dns_budget budget;
	struct am_results results;
	unsigned seen[AM_TRACKED_HEADERS]; /* per tracked name: how many so far */
	/* forged headers to delete, as many as come (the MTA bounds the
	 * header): a cap would either pass one on or tempfail for ever */
	struct am_header_delete *deletes;
	unsigned ndeletes, deletes_room;
	struct am_dkim_msg *dkim;    /* DKIM verification in progress, or NULL */
	bool body_wanted;            /* some check reads the body */
	char *from[AM_MAX_FROM];     /* raw From header values, for DMARC */
	unsigned nfrom;
	bool authors_parsed;         /* authors below holds from[] parsed */
	struct am_from authors;      /* once the headers are in (am_session.c) */
	char bimi_selector[256];     /* BIMI: the first BIMI-Selector value ("" if too long) */
	unsigned nbimi_selectors;    /* BIMI: how many BIMI-Selector headers */
	struct am_arc_msg *arc;      /* ARC verification in progress, or NULL */
	bool arc_body;               /* ARC hashes the body */
	/* DMARC's mailing-list guess: the first List-Id / List-Post values
	 * ("" when absent or too long). */
	char list_id[256];
	char list_post[256];
};

struct am_conn {
	char id[24];                 /* our connection id, for the log before {i} */
	struct am_runtime *rt;       /* generation at connect: trusted networks */
	char client_ip[64];          /* "" when the MTA gave no IP (e.g. a unix socket) */
	struct am_ip ip;
	char client_host[256];       /* the MTA's name for the client: verified, or "unknown"/"[ip]" */
	char client_ptr[256];        /* reverse DNS name, verified or not ({client_ptr}) */
	bool ptr_verified;
	char helo[256];
	bool helo_spf_done;          /* spf_helo below is for the current helo */
	struct am_spf_result spf_helo;
	char auth_user[128];
	char mta_name[256];          /* the MTA's own name ({j}), "" when it sent none */
	bool iprev_done;             /* iprev below is this connection's (once per connection) */
	struct am_iprev_result iprev;
	bool trusted;
	char trusted_why[48];
	struct am_msg msg;
	struct am_metrics *metrics;  /* the process's registry, or NULL (metrics off) */
	/* tools: the offline mode (milter/offline.c) also gets each decision
	 * line here; NULL in the daemon */
	void (*on_decision)(void *arg, const char *line);
	void *on_decision_arg;
};

/* Clear a newly allocated connection (and its message). */
void am_conn_clear(struct am_conn *c);
/* Release what the message holds and clear it (a message that never
 * started has nothing to clear and is left alone). */
void am_msg_reset(struct am_msg *m);
/* New HELO (or STARTTLS): forget the HELO identity's result. */
void am_conn_reset_helo(struct am_conn *c);

#endif
