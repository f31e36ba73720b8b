/*
 * am_dkim_bodylen.h - length of a message body after DKIM body
 * canonicalisation (RFC 6376 3.4.3 simple, 3.4.4 relaxed), counted while the
 * body streams past, without keeping it. am_dkim.c compares it with a
 * signature's l= to tell whether l= covered the whole body; libopendkim
 * only counts the bytes it hashed, up to l=.
 */
#ifndef AM_DKIM_BODYLEN_H
#define AM_DKIM_BODYLEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct am_dkim_bodylen {
	bool relaxed;
	bool cr;               /* last byte was a CR not yet known to end a line */
	bool ws;               /* relaxed: whitespace pending inside the line */
	uint64_t committed;    /* canonical bytes up to the last non-empty line */
	uint64_t empty_lines;  /* empty lines since then (dropped if nothing follows) */
	uint64_t line;         /* canonical bytes of the current line so far */
	bool line_started;     /* simple: the current line has any byte */
};

/* Start counting for simple (relaxed=false) or relaxed canonicalisation. */
void am_dkim_bodylen_init(struct am_dkim_bodylen *b, bool relaxed);
/* Count one chunk of the raw body (CRLF line ends). */
void am_dkim_bodylen_feed(struct am_dkim_bodylen *b, const unsigned char *buf, size_t len);
/* Canonical length of everything fed so far, as if the body ended here. */
uint64_t am_dkim_bodylen_total(const struct am_dkim_bodylen *b);

#endif
