/*
 * am_message.h - split a stored RFC 5322 message (a file or a buffer, LF or
 * CRLF line ends) into what an MTA hands a milter: the header fields one by
 * one (the name, and the exact bytes after the colon: leading space kept,
 * continuation lines joined with LF as libmilter gives them, no final line
 * end), the end of the headers, then the body in chunks with every line
 * ending in CRLF (as after SMTP DATA, so a last line without one gets it).
 * A line that is neither a header field nor a continuation ends the header
 * block and starts the body, as in Postfix.
 *
 * Streams: it never holds more than one header field and one chunk, so the
 * offline mode, the test drivers and the milter client can feed messages of
 * any size. It does not speak the milter protocol or check anything.
 */
#ifndef AM_MESSAGE_H
#define AM_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* What the feeder calls. header and body stop the feed by returning
 * non-zero; eoh returns false when nobody needs the body. */
struct am_message_ops {
	int (*header)(void *ctx, const char *name, const char *value);
	bool (*eoh)(void *ctx);
	int (*body)(void *ctx, const unsigned char *buf, size_t len);
};

struct am_message_opts {
	size_t chunk;        /* input bytes per body callback (0: 65535); a
			      * callback gets at most 2 * chunk + 2 bytes */
	size_t max_field;    /* longest header field in bytes (0: 1 MiB) */
	size_t max_fields;   /* most header fields (0: no limit) */
	bool fold_crlf;      /* join continuation lines with CRLF, not LF */
	bool skip_mbox_from; /* drop a leading mbox "From " line */
};

/* Outcome of am_message_feed(). */
enum am_message_status {
	AM_MESSAGE_ERROR = -1,   /* unreadable input, a limit, out of memory: err says */
	AM_MESSAGE_DONE = 0,     /* the whole message was fed */
	AM_MESSAGE_STOPPED = 1,  /* a callback returned non-zero */
};

/* Feed the message read from fp to ops (opts may be NULL: defaults). */
enum am_message_status am_message_feed(FILE *fp, const struct am_message_opts *opts,
				       const struct am_message_ops *ops, void *ctx, char *err,
				       size_t errlen);

/* Same for a message in memory. */
enum am_message_status am_message_feed_buf(const char *msg, size_t len,
					   const struct am_message_opts *opts,
					   const struct am_message_ops *ops, void *ctx, char *err,
					   size_t errlen);

#endif
