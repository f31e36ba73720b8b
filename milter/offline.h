/*
 * offline.h - `authmilter -t message.eml`: one message through the same
 * lib/ pipeline as the daemon (same config, resolver, greylisting store and
 * policy), without an MTA; prints what the milter would do.
 *
 * Exit status (also in the usage text): 0 accept, 2 quarantine, 3 tempfail,
 * 4 reject, 1 error (configuration, unreadable message, start-up), 64 bad
 * or missing arguments. Under [policy] dry_run the status is the action
 * given (accept), and the output names what would have been done.
 */
#ifndef AM_OFFLINE_H
#define AM_OFFLINE_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "am_config.h"

#define AM_OFFLINE_MAX_RCPTS 64

enum {
	AM_OFFLINE_EXIT_ACCEPT = 0,
	AM_OFFLINE_EXIT_ERROR = 1,
	AM_OFFLINE_EXIT_QUARANTINE = 2,
	AM_OFFLINE_EXIT_TEMPFAIL = 3,
	AM_OFFLINE_EXIT_REJECT = 4,
	AM_OFFLINE_EXIT_USAGE = 64,
};

/* The SMTP transaction to pretend (from the command line). */
struct am_offline_args {
	const char *message;      /* -t FILE, "-" for standard input */
	const char *client_ip;    /* --client-ip */
	const char *client_name;  /* --client-name: verified reverse DNS; NULL: "[ip]" */
	const char *client_ptr;   /* --client-ptr: unverified reverse DNS ({client_ptr}) */
	const char *helo;         /* --helo */
	const char *mail_from;    /* --mail-from ("" or "<>": the null sender) */
	const char *auth_user;    /* --auth-user: SASL login, or NULL */
	const char *queue_id;     /* --queue-id, or NULL (NOQUEUE in the log) */
	const char *rcpts[AM_OFFLINE_MAX_RCPTS]; /* --rcpt, repeatable */
	unsigned nrcpts;
	bool too_many_rcpts;
	bool used;                /* -t or one of the long options was given */
};

/* The long options of the offline mode, for getopt_long (main.c). */
const struct option *am_offline_options(void);
/* Take option code c (a long option, or 't') with its argument; false
 * when c is not an offline option. */
bool am_offline_option(struct am_offline_args *a, int c, const char *arg);

/* The usage lines of the offline mode. */
void am_offline_usage(FILE *out);

/* Are the arguments complete and well-formed? 0, or -1 with the reason. */
int am_offline_check_args(const struct am_offline_args *a, char *err, size_t errlen);

/* Run one message with cfg (taken over, freed here); print the outcome on
 * out and problems on stderr. Returns the exit status. */
int am_offline_run(struct am_config *cfg, const struct am_offline_args *a, FILE *out);

#endif
