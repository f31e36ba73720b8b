/*
 * am_path.h - the SMTP reverse-path (MAIL FROM) as the checks use it: the
 * MTA's normalised address ({mail_addr}) preferred over the raw argument,
 * and a judgement whether it is one mailbox (RFC 5321 4.1.2). A path that
 * is not one mailbox gets SPF none (RFC 7208 4.3), every time the same.
 */
#ifndef AM_PATH_H
#define AM_PATH_H

#include <stddef.h>

enum am_path_kind {
	AM_PATH_NULL = 0,   /* <>: the null sender */
	AM_PATH_MAILBOX,    /* one local-part@domain */
	AM_PATH_BAD,        /* anything else: several addresses, blanks, no @ */
};

/* Judge the path: mta_addr (the {mail_addr} macro; NULL or "" when not
 * sent) if given, else the MAIL FROM argument arg (angle brackets,
 * ESMTP leftovers and an RFC 5321 source route dropped). out receives
 * the mailbox, or for AM_PATH_BAD the text as judged (for the log). */
enum am_path_kind am_path_parse(const char *arg, const char *mta_addr, char *out, size_t outlen);

#endif
