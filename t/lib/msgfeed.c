/*
 * msgfeed.c - feed a message file to a checker as a milter receives it
 * (see msgfeed.h). LF or CRLF input; what the checker sees is CRLF.
 */
#include <stdlib.h>
#include <string.h>

#include "msgfeed.h"

/* Hand one accumulated header field to the checker. */
static int emit_field(char *field, const struct msgfeed_ops *ops, void *ctx)
{
	char *colon = strchr(field, ':');

	if (colon == NULL)
		return 0; /* not a field: an MTA would not pass it on either */
	*colon = '\0';
	return ops->header(ctx, field, colon + 1);
}

/* Append line to the field being collected (a continuation gets CRLF). */
static int append(char **field, size_t *flen, const char *line, size_t len, bool cont)
{
	char *grown = realloc(*field, *flen + len + 3);

	if (grown == NULL)
		return -1;
	*field = grown;
	if (cont) {
		memcpy(*field + *flen, "\r\n", 2);
		*flen += 2;
	}
	memcpy(*field + *flen, line, len);
	*flen += len;
	(*field)[*flen] = '\0';
	return 0;
}

/* Read the header block; returns 1 when a body follows, 0 at EOF, -1. */
static int feed_headers(FILE *fp, const struct msgfeed_ops *ops, void *ctx)
{
	char *line = NULL, *field = NULL;
	size_t cap = 0, flen = 0;
	ssize_t n;
	int rc = 0;

	while ((n = getline(&line, &cap, fp)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		bool cont = n > 0 && (line[0] == ' ' || line[0] == '\t');
		if (!cont && field != NULL) {
			if (emit_field(field, ops, ctx) != 0) {
				rc = -1;
				break;
			}
			free(field);
			field = NULL;
			flen = 0;
		}
		if (n == 0) {
			rc = 1;
			break;
		}
		if (append(&field, &flen, line, (size_t)n, cont && field != NULL) != 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && field != NULL && emit_field(field, ops, ctx) != 0)
		rc = -1;
	free(field);
	free(line);
	return rc;
}

/* Feed fp: headers, end of headers, body chunks with CRLF line ends. */
int msgfeed(FILE *fp, size_t chunk, const struct msgfeed_ops *ops, void *ctx, char *err,
	    size_t errlen)
{
	unsigned char *in = malloc(chunk), *out = malloc(2 * chunk);
	unsigned char prev = 0;
	int rc = -1, hb = feed_headers(fp, ops, ctx);
	size_t n;

	if (in == NULL || out == NULL || hb < 0) {
		snprintf(err, errlen, hb < 0 ? "a header callback failed" : "out of memory");
		goto done;
	}
	if (!ops->eoh(ctx) || hb == 0) {
		rc = 0;
		goto done;
	}
	while ((n = fread(in, 1, chunk, fp)) > 0) {
		size_t o = 0;
		for (size_t i = 0; i < n; i++) {
			if (in[i] == '\n' && prev != '\r')
				out[o++] = '\r';
			out[o++] = in[i];
			prev = in[i];
		}
		if (ops->body(ctx, out, o) != 0) {
			snprintf(err, errlen, "the body callback failed");
			goto done;
		}
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "read error");
		goto done;
	}
	rc = 0;
done:
	free(in);
	free(out);
	return rc;
}
