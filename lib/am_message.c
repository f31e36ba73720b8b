/*
 * am_message.c - split a stored message into header fields and a CRLF body
 * the way an MTA hands them to a milter (see am_message.h). One reader for
 * files and buffers; header lines are bounded, the body is streamed in
 * chunks. Nothing here interprets a header's contents.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "am_message.h"

#define DEFAULT_CHUNK 65535
#define DEFAULT_MAX_FIELD (1024 * 1024)

/* A byte source: a stream, or a buffer when fp is NULL. */
struct reader {
	FILE *fp;
	const unsigned char *buf;
	size_t len, off;
};

struct feeder {
	struct reader rd;
	struct am_message_opts o;
	const struct am_message_ops *ops;
	void *ctx;
	char *line;          /* the current line, without its line end */
	size_t llen, lcap;
	char *field;         /* the header field being collected, "Name:value" */
	size_t flen, fcap, colon, nlen, nfields;
	char *err;
	size_t errlen;
};

/* Next byte, or EOF. */
static int rd_getc(struct reader *r)
{
	if (r->fp != NULL)
		return getc(r->fp);
	return r->off < r->len ? r->buf[r->off++] : EOF;
}

/* Up to n bytes into out; 0 at the end (or on a read error). */
static size_t rd_read(struct reader *r, unsigned char *out, size_t n)
{
	size_t k;

	if (r->fp != NULL)
		return fread(out, 1, n, r->fp);
	k = r->len - r->off < n ? r->len - r->off : n;
	memcpy(out, r->buf + r->off, k);
	r->off += k;
	return k;
}

/* A read error on the stream (a buffer has none). */
static bool rd_failed(struct reader *r)
{
	return r->fp != NULL && ferror(r->fp);
}

/* Make room for need bytes (plus a NUL) in *buf, bounded by max. */
static int reserve(char **buf, size_t *cap, size_t need, size_t max)
{
	size_t ncap = *cap ? *cap : 256;
	char *grown;

	if (need > max)
		return -1;
	if (need + 1 <= *cap)
		return 0;
	while (ncap < need + 1)
		ncap *= 2;
	if ((grown = realloc(*buf, ncap)) == NULL)
		return -1;
	*buf = grown;
	*cap = ncap;
	return 0;
}

/* Read one line into f->line without LF and a CR before it.
 * 1: a line; 0: end of input; -1: too long, out of memory or read error. */
static int read_line(struct feeder *f)
{
	int ch = EOF;

	f->llen = 0;
	while ((ch = rd_getc(&f->rd)) != EOF && ch != '\n') {
		if (reserve(&f->line, &f->lcap, f->llen + 1, f->o.max_field) != 0) {
			snprintf(f->err, f->errlen, "a header line is longer than %zu bytes or memory ran out",
				 f->o.max_field);
			return -1;
		}
		f->line[f->llen++] = (char)ch;
	}
	if (rd_failed(&f->rd)) {
		snprintf(f->err, f->errlen, "read error: %s", strerror(errno));
		return -1;
	}
	if (ch == EOF && f->llen == 0)
		return 0;
	if (f->llen > 0 && f->line[f->llen - 1] == '\r')
		f->llen--;
	if (reserve(&f->line, &f->lcap, f->llen, f->o.max_field) != 0) {
		snprintf(f->err, f->errlen, "out of memory");
		return -1;
	}
	f->line[f->llen] = '\0';
	return 1;
}

/* Length of a field name at s (before optional WSP and the colon), or 0. */
static size_t field_name_len(const char *s, size_t len, size_t *colon)
{
	size_t i = 0, k;

	while (i < len && s[i] > 32 && s[i] < 127 && s[i] != ':')
		i++;
	for (k = i; k < len && (s[k] == ' ' || s[k] == '\t'); k++)
		;
	if (i == 0 || k >= len || s[k] != ':')
		return 0;
	*colon = k;
	return i;
}

/* Hand the collected field (if any) to the header callback.
 * 0, or the status to return. */
static int emit_field(struct feeder *f)
{
	int rc;

	if (f->flen == 0)
		return 0;
	if (f->o.max_fields && ++f->nfields > f->o.max_fields) {
		snprintf(f->err, f->errlen, "more than %zu header fields", f->o.max_fields);
		return AM_MESSAGE_ERROR;
	}
	f->field[f->nlen] = '\0';
	rc = f->ops->header(f->ctx, f->field, f->field + f->colon + 1);
	f->flen = 0;
	return rc != 0 ? AM_MESSAGE_STOPPED : 0;
}

/* Start a new field with the current line, or continue the last one. */
static int collect(struct feeder *f, bool continuation)
{
	const char *sep = f->o.fold_crlf ? "\r\n" : "\n";
	size_t slen = continuation ? strlen(sep) : 0;

	if (reserve(&f->field, &f->fcap, f->flen + slen + f->llen, f->o.max_field) != 0) {
		snprintf(f->err, f->errlen, "a header field is longer than %zu bytes or memory ran out",
			 f->o.max_field);
		return AM_MESSAGE_ERROR;
	}
	memcpy(f->field + f->flen, sep, slen);
	memcpy(f->field + f->flen + slen, f->line, f->llen);
	f->flen += slen + f->llen;
	f->field[f->flen] = '\0';
	return 0;
}

/* The header block. *body_line: the line that ended it is the body's first. */
static int feed_headers(struct feeder *f, bool *body_line)
{
	bool first = true;
	int rc;

	*body_line = false;
	while ((rc = read_line(f)) == 1) {
		bool cont = f->llen > 0 && (f->line[0] == ' ' || f->line[0] == '\t') && f->flen > 0;
		size_t colon = 0, nlen = 0;

		if (first && f->o.skip_mbox_from && strncmp(f->line, "From ", 5) == 0) {
			first = false;
			continue;
		}
		first = false;
		if (!cont && f->llen > 0)
			nlen = field_name_len(f->line, f->llen, &colon);
		if (!cont && (rc = emit_field(f)) != 0)
			return rc;
		if (f->llen == 0)
			return AM_MESSAGE_DONE;
		if (!cont && nlen == 0) {
			*body_line = true;
			return AM_MESSAGE_DONE;
		}
		if (!cont) {
			f->nlen = nlen;
			f->colon = colon;
		}
		if ((rc = collect(f, cont)) != 0)
			return rc;
	}
	if (rc < 0)
		return AM_MESSAGE_ERROR;
	return emit_field(f);
}

/* Call the body callback; 0 or AM_MESSAGE_STOPPED. */
static int give(struct feeder *f, const unsigned char *buf, size_t len)
{
	return len > 0 && f->ops->body(f->ctx, buf, len) != 0 ? AM_MESSAGE_STOPPED : 0;
}

/* The body, every line end made CRLF; body_line: f->line comes first. */
static int feed_body(struct feeder *f, bool body_line)
{
	size_t chunk = f->o.chunk, n;
	unsigned char *in = malloc(chunk), *out = malloc(2 * chunk + 2);
	unsigned char prev = '\n';
	bool any = false;
	int rc = AM_MESSAGE_ERROR;

	if (in == NULL || out == NULL) {
		snprintf(f->err, f->errlen, "out of memory");
		goto done;
	}
	if (body_line) {
		if (reserve(&f->line, &f->lcap, f->llen + 2, f->o.max_field + 2) != 0) {
			snprintf(f->err, f->errlen, "out of memory");
			goto done;
		}
		memcpy(f->line + f->llen, "\r\n", 2);
		if ((rc = give(f, (unsigned char *)f->line, f->llen + 2)) != 0)
			goto done;
	}
	while ((n = rd_read(&f->rd, in, chunk)) > 0) {
		size_t o = 0;
		for (size_t i = 0; i < n; i++) {
			if (in[i] == '\n' && prev != '\r')
				out[o++] = '\r';
			out[o++] = in[i];
			prev = in[i];
		}
		any = true;
		if ((rc = give(f, out, o)) != 0)
			goto done;
	}
	rc = AM_MESSAGE_ERROR;
	if (rd_failed(&f->rd)) {
		snprintf(f->err, f->errlen, "read error: %s", strerror(errno));
		goto done;
	}
	/* SMTP ends every line, the last one too. */
	if (any && prev == '\r')
		rc = give(f, (const unsigned char *)"\n", 1);
	else if (any && prev != '\n')
		rc = give(f, (const unsigned char *)"\r\n", 2);
	else
		rc = AM_MESSAGE_DONE;
done:
	free(in);
	free(out);
	return rc;
}

/* Headers, end of headers, body. */
static enum am_message_status feed(struct feeder *f, const struct am_message_opts *opts)
{
	bool body_line;
	int rc;

	if (opts != NULL)
		f->o = *opts;
	if (f->o.chunk == 0)
		f->o.chunk = DEFAULT_CHUNK;
	if (f->o.max_field == 0)
		f->o.max_field = DEFAULT_MAX_FIELD;
	if (f->errlen > 0)
		f->err[0] = '\0';
	rc = feed_headers(f, &body_line);
	if (rc == AM_MESSAGE_DONE)
		rc = f->ops->eoh(f->ctx) ? feed_body(f, body_line) : AM_MESSAGE_DONE;
	free(f->line);
	free(f->field);
	return (enum am_message_status)rc;
}

enum am_message_status am_message_feed(FILE *fp, const struct am_message_opts *opts,
				       const struct am_message_ops *ops, void *ctx, char *err,
				       size_t errlen)
{
	struct feeder f = {.rd = {.fp = fp}, .ops = ops, .ctx = ctx, .err = err, .errlen = errlen};

	return feed(&f, opts);
}

enum am_message_status am_message_feed_buf(const char *msg, size_t len,
					   const struct am_message_opts *opts,
					   const struct am_message_ops *ops, void *ctx, char *err,
					   size_t errlen)
{
	struct feeder f = {.rd = {.buf = (const unsigned char *)msg, .len = len},
			   .ops = ops, .ctx = ctx, .err = err, .errlen = errlen};

	return feed(&f, opts);
}
