/*
 * am_dkim_bodylen.c - canonical body length for DKIM l= checks, streamed
 * (see am_dkim_bodylen.h). Counts only; it never hashes nor keeps the body.
 * Only CRLF ends a line, as in libopendkim's canonicalisation.
 */
#include <string.h>

#include "am_dkim_bodylen.h"

/* Start counting for simple (relaxed=false) or relaxed canonicalisation. */
void am_dkim_bodylen_init(struct am_dkim_bodylen *b, bool relaxed)
{
	memset(b, 0, sizeof(*b));
	b->relaxed = relaxed;
}

/* One byte of line content. */
static void content(struct am_dkim_bodylen *b, unsigned char c)
{
	b->line_started = true;
	if (!b->relaxed) {
		b->line++;
		return;
	}
	if (c == ' ' || c == '\t') {
		b->ws = true; /* a run becomes one SP, only if more text follows */
		return;
	}
	b->line += b->ws ? 2 : 1;
	b->ws = false;
}

/* Bytes the current line adds to the canonical body, CRLF excluded. */
static uint64_t line_len(const struct am_dkim_bodylen *b)
{
	return b->line;
}

/* A line ended: empty lines wait, since trailing ones are dropped. */
static void end_line(struct am_dkim_bodylen *b)
{
	bool empty = b->relaxed ? line_len(b) == 0 : !b->line_started;

	if (empty) {
		b->empty_lines++;
	} else {
		b->committed += b->empty_lines * 2 + line_len(b) + 2;
		b->empty_lines = 0;
	}
	b->line = 0;
	b->ws = false;
	b->line_started = false;
}

/* Count one chunk of the raw body. */
void am_dkim_bodylen_feed(struct am_dkim_bodylen *b, const unsigned char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = buf[i];
		if (b->cr) {
			b->cr = false;
			if (c == '\n') {
				end_line(b);
				continue;
			}
			content(b, '\r');
		}
		if (c == '\r')
			b->cr = true;
		else
			content(b, c);
	}
}

/* Canonical length as if the body ended now (a missing final CRLF is added). */
uint64_t am_dkim_bodylen_total(const struct am_dkim_bodylen *b)
{
	struct am_dkim_bodylen t = *b;
	uint64_t total;

	if (t.cr)
		content(&t, '\r');
	if (t.relaxed ? line_len(&t) > 0 : t.line_started)
		total = t.committed + t.empty_lines * 2 + line_len(&t) + 2;
	else
		total = t.committed;
	if (!t.relaxed && total == 0)
		total = 2; /* simple: an empty body is one CRLF */
	return total;
}
