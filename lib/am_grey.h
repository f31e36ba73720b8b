/*
 * am_grey.h - greylisting (RFC 6647): the triplet, its store key, and the
 * lifecycle new -> early -> pass, with whitelists, an auto-whitelist of
 * client networks, and the choice of who is greylisted.
 *
 * One struct am_grey belongs to one config generation: it holds the parsed
 * [greylist] lists and a reference to a store from the daemon's registry
 * (stores outlive generations). It is read-only after am_grey_new() but
 * for its cache of whitelisted networks (am_grey_cache.c, locked per
 * slot), and safe to use from many threads at once.
 *
 * Where: with `stage = rcpt` each recipient is decided at RCPT, except for
 * the null sender <>, which is always decided at end of data (greylisting
 * <> at RCPT breaks other sites' sender-verification callouts). With
 * `stage = eom` everything is decided at end of data, after DKIM and DMARC,
 * so `skip_if` can spare authenticated mail. At end of data there is one
 * answer for the message: every recipient's triplet is looked up and
 * recorded, and the message is tempfailed when any non-exempt recipient's
 * triplet is new or early (so a retry finds all of them known).
 *
 * Not here: I/O other than the store; what the MTA is told (am_policy reads
 * the result); the milter.
 */
#ifndef AM_GREY_H
#define AM_GREY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "am_config.h"
#include "am_results.h"
#include "am_store.h"

/* What the milter knows about the client. */
struct am_grey_client {
	const char *ip;          /* client address as text ("192.0.2.1", "2001:db8::1") */
	const char *ptr;         /* reverse DNS name ({client_ptr} or hostname); NULL, "",
				  * "unknown" or "[192.0.2.1]" when there is none */
	bool ptr_verified;       /* the name resolves back to ip (Postfix: {client_name}
				  * is not "unknown") */
};

struct am_grey;

/* Build greylisting for cfg (which must outlive the result: both belong to
 * one config generation). When [greylist] enable = yes, the store is
 * acquired from reg (reg may be NULL only when greylisting is off); open it
 * in the process and as the user that will use it (after daemonizing and
 * dropping privileges: LMDB is not fork-safe and creates its file).
 * Returns NULL and writes err ("[greylist] key: why"). */
struct am_grey *am_grey_new(const struct am_config *cfg, struct am_store_registry *reg,
			    char *err, size_t errlen);
/* Same with a store the caller keeps ownership of (tests, tools). */
struct am_grey *am_grey_new_with_store(const struct am_config *cfg, struct am_store *store,
				       char *err, size_t errlen);
/* Release the store reference and free. NULL allowed. */
void am_grey_free(struct am_grey *g);

/* Check what the option table cannot (delay below retry_window; the
 * choices again) without opening a store; for `authmilter -n`. */
int am_grey_config_check(const struct am_config *cfg, char *err, size_t errlen);

/* For `authmilter -n`: open nothing for writing, but check the store the
 * start would open (am_store_check_conf). 0 when the start would open it
 * (warn may hold a note for the admin), else -1 and err. */
int am_grey_check_store(const struct am_config *cfg, char *warn, size_t warnlen, char *err,
			size_t errlen);

/* The store in use (NULL when greylisting is off): for tools and tests. */
struct am_store *am_grey_store(const struct am_grey *g);

/* Replace the clock (Unix seconds) for tests; NULL restores time(). */
void am_grey_set_clock(struct am_grey *g, int64_t (*clock)(void *arg), void *arg);

/* At RCPT, for one recipient. res->checked is false when nothing was
 * decided here (greylisting off, stage = eom, or the null sender, which is
 * decided at end of data). When res->tempfail, answer this recipient with
 * res->code res->xcode res->text. r: the results so far (trusted, SPF). */
void am_grey_rcpt(const struct am_grey *g, const struct am_grey_client *c, const char *sender,
		  const char *rcpt, const struct am_results *r, struct am_grey_result *res);

/* At end of data, for the whole message: res->checked is false when the
 * message was already decided at RCPT. r: all results (DMARC for skip_if). */
void am_grey_eom(const struct am_grey *g, const struct am_grey_client *c, const char *sender,
		 const char *const *rcpts, size_t nrcpts, const struct am_results *r,
		 struct am_grey_result *res);

/* Fold one recipient's RCPT result into the message's (keeps the outcome
 * that matters most for the log: new > early > error > pass > whitelisted
 * > skipped). */
void am_grey_result_merge(struct am_grey_result *msg, const struct am_grey_result *one);

/* --- the triplet, exposed for tests and tools --- */

/* Normalise an envelope sender per cfg: strip <>, lower-case, undo BATV
 * prvs=, SRS0/SRS1, +extension, VERP digit runs. "" for the null sender. */
void am_grey_norm_sender(const struct am_config *cfg, const char *sender, char *out,
			 size_t outlen);
/* The network part: "192.0.2.0/24", "2001:db8:1:2::/64", or "spf:example.com"
 * when spf_domain is given and [greylist] use_spf_domain is on.
 * Returns -1 for an unparseable ip. */
int am_grey_network(const struct am_config *cfg, const char *ip, const char *spf_domain,
		    char *out, size_t outlen);
/* Store keys: "g:" + hex SHA-256 of the triplet, "n:" + of the network. */
void am_grey_triplet_key(const char *network, const char *norm_sender, const char *rcpt,
			 char out[AM_STORE_KEY_MAX + 1]);
void am_grey_network_key(const char *network, char out[AM_STORE_KEY_MAX + 1]);

/* Why a client looks like a spam source ("no reverse DNS", ...), or NULL. */
const char *am_grey_suspicious(const struct am_grey *g, const struct am_grey_client *c);

#endif
