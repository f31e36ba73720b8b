/*
 * callbacks.c - the xxfi_* callbacks. Each one fetches the connection's
 * private state, translates libmilter's arguments (sockaddr, argv, macros)
 * into plain data for lib/am_session.c, and returns; apply.c turns
 * verdicts into smfi_* calls. Nothing here knows SPF or DKIM.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "am_log.h"
#include "am_session.h"
#include "apply.h"
#include "callbacks.h"

/* Per-connection private data: the session plus what negotiation agreed. */
struct priv {
	struct am_conn *conn;
	bool leadspc;          /* header values carry their leading space */
	unsigned long noreply; /* SMFIP_NR_* agreed: stages the MTA awaits no reply to */
	LIST_ENTRY(priv) open_link; /* in open_privs */
};

/* Every connection's private data from negotiation to close. At a stop
 * libmilter drops the conversations that sit between two commands without
 * calling xxfi_close; am_callbacks_close_abandoned() closes what is left. */
static pthread_mutex_t open_privs_lock = PTHREAD_MUTEX_INITIALIZER;
static LIST_HEAD(, priv) open_privs = LIST_HEAD_INITIALIZER(open_privs);

/* A connection's end: its session closed, its private data freed. */
static void priv_close(struct priv *p)
{
	pthread_mutex_lock(&open_privs_lock);
	LIST_REMOVE(p, open_link);
	pthread_mutex_unlock(&open_privs_lock);
	am_session_close(p->conn);
	free(p);
}

/* Set once in am_callbacks_filter() before smfi_main(), read-only after. */
static struct am_runtime_slot *runtime_slot;
static atomic_ulong connection_counter;

static struct priv *get_priv(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

/* The MTA's queue id, when it has one yet. */
static void note_queue_id(SMFICTX *ctx, struct am_conn *c)
{
	am_session_queue_id(c, smfi_getsymval(ctx, "{i}"));
}

/* The stages whose answer can only be "continue": connect, HELO and MAIL
 * (SPF and iprev only record results; verdicts come at RCPT and end of
 * message), each header, end of headers and the body. Asking the MTA to
 * await no reply to them lets it go on with the next step while the check
 * runs: a failure there is answered at RCPT or end of message, which
 * tempfail a conversation without a session or a message. libmilter offers
 * every SMFIP_NR_* and answers "continue" itself to an MTA that lacks one.
 * The body is not skipped when no check needs it (SMFIS_SKIP is an answer):
 * its chunks cost less than a round trip each for the signed mail that
 * needs them. */
#define NO_REPLY_STAGES                                                                    \
	(SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_HDR | SMFIP_NR_EOH |     \
	 SMFIP_NR_BODY)

/* RC, or no reply at all when the MTA agreed to await none at this stage. */
static sfsistat answer(const struct priv *p, unsigned long noreply_stage, sfsistat rc)
{
	return (p != NULL && (p->noreply & noreply_stage)) ? SMFIS_NOREPLY : rc;
}

/* Ask for the actions, protocol steps and macros we use; skip the rest. */
static sfsistat cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
			     unsigned long f3, unsigned long *pf0, unsigned long *pf1,
			     unsigned long *pf2, unsigned long *pf3)
{
	const unsigned long want_actions = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE;
	const unsigned long skip = SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_HDR_LEADSPC |
				   NO_REPLY_STAGES;
	struct priv *p = calloc(1, sizeof(*p));

	(void)f2, (void)f3;
	if (p == NULL || (f0 & want_actions) != want_actions) {
		free(p);
		am_log(LOG_ERR, "MTA does not offer header changes and quarantine; refusing");
		return SMFIS_REJECT;
	}
	*pf0 = want_actions;
	*pf1 = f1 & skip;
	*pf2 = *pf3 = 0;
	p->leadspc = (*pf1 & SMFIP_HDR_LEADSPC) != 0;
	p->noreply = *pf1 & NO_REPLY_STAGES;
	smfi_setpriv(ctx, p);
	pthread_mutex_lock(&open_privs_lock);
	LIST_INSERT_HEAD(&open_privs, p, open_link);
	pthread_mutex_unlock(&open_privs_lock);
	smfi_setsymlist(ctx, SMFIM_CONNECT, "{daemon_name} {client_ptr} j");
	smfi_setsymlist(ctx, SMFIM_HELO, "{tls_version} {cipher} {cert_subject}");
	smfi_setsymlist(ctx, SMFIM_ENVFROM, "{i} {auth_authen} {auth_type} {mail_addr}");
	smfi_setsymlist(ctx, SMFIM_ENVRCPT, "{i} {rcpt_addr}");
	smfi_setsymlist(ctx, SMFIM_EOM, "{i}");
	return SMFIS_CONTINUE;
}

/* Client address as text, or NULL when it is not IPv4/IPv6. */
static const char *address_text(const _SOCK_ADDR *sa, char *buf, size_t len)
{
	if (sa == NULL)
		return NULL;
	if (sa->sa_family == AF_INET)
		return inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, len);
	if (sa->sa_family == AF_INET6)
		return inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, len);
	return NULL;
}

static sfsistat cb_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	struct priv *p = get_priv(ctx);
	char id[24], ip[64];
	struct am_runtime *rt;

	if (p == NULL) /* negotiation was skipped by an old MTA: no state, no checks */
		return SMFIS_TEMPFAIL;
	snprintf(id, sizeof(id), "C%lx", atomic_fetch_add(&connection_counter, 1) + 1);
	rt = am_runtime_slot_get(runtime_slot);
	p->conn = rt ? am_session_open(rt, id) : NULL;
	if (p->conn == NULL) {
		am_log(LOG_ERR, "%s: cannot set up the connection; tempfailing its mail", id);
		return answer(p, SMFIP_NR_CONN, SMFIS_TEMPFAIL);
	}
	am_session_set_metrics(p->conn, runtime_slot->metrics);
	am_session_connect(p->conn, hostname, address_text(hostaddr, ip, sizeof(ip)),
			   smfi_getsymval(ctx, "{client_ptr}"));
	am_session_mta_name(p->conn, smfi_getsymval(ctx, "j"));
	return answer(p, SMFIP_NR_CONN, SMFIS_CONTINUE);
}

static sfsistat cb_helo(SMFICTX *ctx, char *helo)
{
	struct priv *p = get_priv(ctx);

	if (p == NULL || p->conn == NULL)
		return answer(p, SMFIP_NR_HELO, SMFIS_TEMPFAIL);
	am_session_helo(p->conn, helo);
	return answer(p, SMFIP_NR_HELO, SMFIS_CONTINUE);
}

static sfsistat cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct priv *p = get_priv(ctx);
	struct am_runtime *rt;

	if (p == NULL || p->conn == NULL || (rt = am_runtime_slot_get(runtime_slot)) == NULL)
		return answer(p, SMFIP_NR_MAIL, SMFIS_TEMPFAIL);
	am_session_mail(p->conn, rt, argv[0], smfi_getsymval(ctx, "{mail_addr}"),
			smfi_getsymval(ctx, "{auth_authen}"));
	note_queue_id(ctx, p->conn);
	return answer(p, SMFIP_NR_MAIL, SMFIS_CONTINUE);
}

static sfsistat cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct priv *p = get_priv(ctx);
	struct am_verdict v;

	if (p == NULL || p->conn == NULL || !am_session_in_message(p->conn))
		return SMFIS_TEMPFAIL;
	note_queue_id(ctx, p->conn);
	am_session_rcpt(p->conn, argv[0], &v);
	return am_apply_rcpt(ctx, &v);
}

static sfsistat cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct priv *p = get_priv(ctx);

	if (p == NULL)
		return SMFIS_TEMPFAIL;
	/* Without a message (an earlier failure) the end of message tempfails. */
	if (p->conn != NULL && am_session_in_message(p->conn)) {
		/* The checks want the exact bytes after the colon; an MTA that
		 * refused SMFIP_HDR_LEADSPC stripped the usual single space. */
		char *spaced = NULL;
		if (!p->leadspc && asprintf(&spaced, " %s", value) < 0)
			spaced = NULL;
		am_session_header(p->conn, name, spaced ? spaced : value);
		free(spaced);
	}
	return answer(p, SMFIP_NR_HDR, SMFIS_CONTINUE);
}

static sfsistat cb_eoh(SMFICTX *ctx)
{
	struct priv *p = get_priv(ctx);

	if (p == NULL || p->conn == NULL || !am_session_in_message(p->conn))
		return answer(p, SMFIP_NR_EOH, SMFIS_TEMPFAIL);
	am_session_eoh(p->conn);
	return answer(p, SMFIP_NR_EOH, SMFIS_CONTINUE);
}

static sfsistat cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct priv *p = get_priv(ctx);

	if (p == NULL || p->conn == NULL || !am_session_in_message(p->conn))
		return answer(p, SMFIP_NR_BODY, SMFIS_TEMPFAIL);
	if (am_session_wants_body(p->conn))
		am_session_body(p->conn, chunk, len);
	return answer(p, SMFIP_NR_BODY, SMFIS_CONTINUE);
}

static sfsistat cb_eom(SMFICTX *ctx)
{
	struct priv *p = get_priv(ctx);
	struct am_verdict v;
	struct am_edits *e;
	sfsistat rc;

	if (p == NULL || p->conn == NULL || !am_session_in_message(p->conn))
		return SMFIS_TEMPFAIL;
	if ((e = malloc(sizeof(*e))) == NULL)
		return SMFIS_TEMPFAIL;
	note_queue_id(ctx, p->conn);
	am_session_eom(p->conn, &v, e);
	rc = am_apply_eom(ctx, &v, e, p->leadspc);
	free(e);
	am_session_abort(p->conn);
	return rc;
}

static sfsistat cb_abort(SMFICTX *ctx)
{
	struct priv *p = get_priv(ctx);

	if (p != NULL && p->conn != NULL)
		am_session_abort(p->conn);
	return SMFIS_CONTINUE;
}

static sfsistat cb_close(SMFICTX *ctx)
{
	struct priv *p = get_priv(ctx);

	if (p != NULL) {
		smfi_setpriv(ctx, NULL);
		priv_close(p);
	}
	return SMFIS_CONTINUE;
}

/* Callbacks running right now, and whether new ones are still let in. At a
 * stop libmilter returns from smfi_main() without waiting for its workers;
 * main() shuts the door (am_callbacks_shut) and then waits until none is
 * busy, so a verdict being made still reaches the MTA and nothing a
 * callback uses is freed under it. A callback entered after the door shut
 * touches nothing and gives the MTA a temporary answer, or at a no-reply
 * stage none (the RCPT or end of message after it tempfails): the count is
 * raised before the door is read, so the wait in main() cannot miss it. */
static atomic_int busy;
static atomic_bool shut;

int am_callbacks_busy(void)
{
	return atomic_load(&busy);
}

void am_callbacks_shut(void)
{
	atomic_store(&shut, true);
}

unsigned am_callbacks_close_abandoned(void)
{
	unsigned n = 0;

	while (!LIST_EMPTY(&open_privs)) {
		priv_close(LIST_FIRST(&open_privs));
		n++;
	}
	return n;
}

/* counted_NAME: NAME with the busy count around it; REFUSED once shut. */
#define COUNTED(name, params, args, refused)                       \
	static sfsistat counted_##name params                       \
	{                                                           \
		atomic_fetch_add(&busy, 1);                         \
		sfsistat rc = atomic_load(&shut) ? (refused) : name args; \
		atomic_fetch_sub(&busy, 1);                         \
		return rc;                                          \
	}
COUNTED(cb_negotiate, (SMFICTX *c, unsigned long a, unsigned long b, unsigned long d, unsigned long e,
		       unsigned long *pa, unsigned long *pb, unsigned long *pd, unsigned long *pe),
	(c, a, b, d, e, pa, pb, pd, pe), SMFIS_TEMPFAIL)
COUNTED(cb_connect, (SMFICTX *c, char *h, _SOCK_ADDR *a), (c, h, a), SMFIS_NOREPLY)
COUNTED(cb_helo, (SMFICTX *c, char *h), (c, h), SMFIS_NOREPLY)
COUNTED(cb_envfrom, (SMFICTX *c, char **v), (c, v), SMFIS_NOREPLY)
COUNTED(cb_envrcpt, (SMFICTX *c, char **v), (c, v), SMFIS_TEMPFAIL)
COUNTED(cb_header, (SMFICTX *c, char *n, char *v), (c, n, v), SMFIS_NOREPLY)
COUNTED(cb_eoh, (SMFICTX *c), (c), SMFIS_NOREPLY)
COUNTED(cb_body, (SMFICTX *c, unsigned char *b, size_t n), (c, b, n), SMFIS_NOREPLY)
COUNTED(cb_eom, (SMFICTX *c), (c), SMFIS_TEMPFAIL)
COUNTED(cb_abort, (SMFICTX *c), (c), SMFIS_CONTINUE)
COUNTED(cb_close, (SMFICTX *c), (c), SMFIS_CONTINUE)

/* The filter description, bound to the runtime slot. */
struct smfiDesc *am_callbacks_filter(struct am_runtime_slot *slot)
{
	static struct smfiDesc desc = {
		.xxfi_name = "authmilter",
		.xxfi_version = SMFI_VERSION,
		.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE,
		.xxfi_connect = counted_cb_connect,
		.xxfi_helo = counted_cb_helo,
		.xxfi_envfrom = counted_cb_envfrom,
		.xxfi_envrcpt = counted_cb_envrcpt,
		.xxfi_header = counted_cb_header,
		.xxfi_eoh = counted_cb_eoh,
		.xxfi_body = counted_cb_body,
		.xxfi_eom = counted_cb_eom,
		.xxfi_abort = counted_cb_abort,
		.xxfi_close = counted_cb_close,
		.xxfi_negotiate = counted_cb_negotiate,
	};
	runtime_slot = slot;
	return &desc;
}
