/*
 * msgfeed.c - feed a message file to a checker as a milter receives it
 * (see msgfeed.h): a thin wrapper of lib/am_message.c, the splitter the
 * offline mode and the milter client use, with CRLF folding so the DKIM
 * tests can hand values both ways.
 */
#include "am_message.h"
#include "msgfeed.h"

/* Feed fp: headers, end of headers, body chunks with CRLF line ends. */
int msgfeed(FILE *fp, size_t chunk, const struct msgfeed_ops *ops, void *ctx, char *err,
	    size_t errlen)
{
	const struct am_message_ops mops = {ops->header, ops->eoh, ops->body};
	const struct am_message_opts opts = {.chunk = chunk, .fold_crlf = true};
	enum am_message_status st = am_message_feed(fp, &opts, &mops, ctx, err, errlen);

	if (st == AM_MESSAGE_STOPPED)
		snprintf(err, errlen, "a callback failed");
	return st == AM_MESSAGE_DONE ? 0 : -1;
}
