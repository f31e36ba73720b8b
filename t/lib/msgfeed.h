/*
 * msgfeed.h - feed a message file to a checker the way a milter receives
 * it: header fields one by one (name, and the value's exact bytes after the
 * colon, folding kept as CRLF, no final CRLF), end of headers, then the body
 * in chunks with every line ending made CRLF. Streams: it never holds more
 * than one header field and one chunk. For tests and test drivers only;
 * the work is done by lib/am_message.c (a line that is not a header field
 * starts the body; a last body line without a line end gets CRLF).
 */
#ifndef AM_MSGFEED_H
#define AM_MSGFEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct msgfeed_ops {
	int (*header)(void *ctx, const char *name, const char *value);
	bool (*eoh)(void *ctx);  /* false: skip the body */
	int (*body)(void *ctx, const unsigned char *buf, size_t len);
};

/* Feed fp; chunk is the body chunk size (a milter gets at most 65535).
 * Returns 0, or -1 with err (unreadable input, a callback failed). */
int msgfeed(FILE *fp, size_t chunk, const struct msgfeed_ops *ops, void *ctx, char *err,
	    size_t errlen);

#endif
