/*
 * test_am_message.c - the message splitter (lib/am_message.c), from a
 * table: each input message, read from a buffer and from a stream with
 * body chunks of 1, 3 and 65535 bytes, must give the same transcript of
 * header fields, end of headers and CRLF body. Then the limits, a
 * callback stopping the feed, skipping the body, and CRLF folding.
 */
#include <stdlib.h>

#include "am_message.h"
#include "tap.h"

/* The transcript of one feed: H[name][value] per field, E at the end of
 * headers, then B[body]; CR, LF and TAB written as \r \n \t. */
struct rec {
	char out[8192];
	size_t len;
	bool want_body;
	int stop_at_header;   /* stop when this header (1-based) arrives; 0 never */
	int headers;
};

static void put(struct rec *r, const char *s, size_t n)
{
	for (size_t i = 0; i < n && r->len + 3 < sizeof(r->out); i++) {
		const char *esc = s[i] == '\r' ? "\\r" : s[i] == '\n' ? "\\n" : s[i] == '\t' ? "\\t" : NULL;
		if (esc) {
			memcpy(r->out + r->len, esc, 2);
			r->len += 2;
		} else {
			r->out[r->len++] = s[i];
		}
	}
	r->out[r->len] = '\0';
}

static int on_header(void *ctx, const char *name, const char *value)
{
	struct rec *r = ctx;
	put(r, "H[", 2);
	put(r, name, strlen(name));
	put(r, "][", 2);
	put(r, value, strlen(value));
	put(r, "]", 1);
	return ++r->headers == r->stop_at_header;
}

static bool on_eoh(void *ctx)
{
	struct rec *r = ctx;
	put(r, "E", 1);
	if (r->want_body)
		put(r, "B[", 2);
	return r->want_body;
}

static int on_body(void *ctx, const unsigned char *buf, size_t len)
{
	put(ctx, (const char *)buf, len);
	return 0;
}

static const struct am_message_ops ops = {on_header, on_eoh, on_body};

/* Feed msg from a buffer (stream = false) or a stream; the transcript. */
static enum am_message_status run(const char *msg, bool stream, const struct am_message_opts *o,
				  struct rec *r)
{
	char err[256];
	enum am_message_status st;

	if (!stream)
		st = am_message_feed_buf(msg, strlen(msg), o, &ops, r, err, sizeof(err));
	else {
		FILE *f = fmemopen((void *)msg, strlen(msg), "r");
		st = f ? am_message_feed(f, o, &ops, r, err, sizeof(err)) : AM_MESSAGE_ERROR;
		if (f)
			fclose(f);
	}
	if (r->want_body && st == AM_MESSAGE_DONE)
		put(r, "]", 1);
	return st;
}

static const struct {
	const char *name, *msg, *want;
} cases[] = {
	{"LF message", "From: a@example.com\nSubject: hi\n\nline 1\nline 2\n",
	 "H[From][ a@example.com]H[Subject][ hi]EB[line 1\\r\\nline 2\\r\\n]"},
	{"CRLF message", "From: a@example.com\r\nSubject: hi\r\n\r\nline 1\r\nline 2\r\n",
	 "H[From][ a@example.com]H[Subject][ hi]EB[line 1\\r\\nline 2\\r\\n]"},
	{"folded field joined with LF, leading WSP kept",
	 "Subject: one\n two\n\tthree\nX:  two spaces\n\nb\n",
	 "H[Subject][ one\\n two\\n\\tthree]H[X][  two spaces]EB[b\\r\\n]"},
	{"no space after the colon, WSP before it", "A:x\nB : y\n\n",
	 "H[A][x]H[B][ y]EB[]"},
	{"empty value", "Empty:\n\nbody\n", "H[Empty][]EB[body\\r\\n]"},
	{"last body line without a line end gets CRLF", "A: 1\n\nno newline", "H[A][ 1]EB[no newline\\r\\n]"},
	{"a last lone CR becomes CRLF", "A: 1\n\nx\r", "H[A][ 1]EB[x\\r\\n]"},
	{"a CR inside a line stays", "A: 1\n\na\rb\n", "H[A][ 1]EB[a\\rb\\r\\n]"},
	{"a non-header line starts the body", "A: 1\nnot a header\nB: 2\n",
	 "H[A][ 1]EB[not a header\\r\\nB: 2\\r\\n]"},
	{"headers only, no empty line", "A: 1\nB: 2", "H[A][ 1]H[B][ 2]EB[]"},
	{"empty body after the empty line", "A: 1\n\n", "H[A][ 1]EB[]"},
	{"empty lines kept in the body", "A: 1\n\n\n\nx\n\n", "H[A][ 1]EB[\\r\\n\\r\\nx\\r\\n\\r\\n]"},
	{"empty message", "", "EB[]"},
	{"a leading continuation line is body", " x\nA: 1\n", "EB[ x\\r\\nA: 1\\r\\n]"},
	{"an mbox From line is body unless skipped", "From a@b Sat Nov 22 2025\nA: 1\n\nx\n",
	 "EB[From a@b Sat Nov 22 2025\\r\\nA: 1\\r\\n\\r\\nx\\r\\n]"},
};

/* Every case from a buffer and a stream, with several chunk sizes. */
static void table(void)
{
	static const size_t chunks[] = {1, 3, 65535};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int same = 1;
		for (size_t c = 0; c < 3; c++) {
			for (int stream = 0; stream < 2; stream++) {
				struct rec r = {.want_body = true};
				struct am_message_opts o = {.chunk = chunks[c]};
				enum am_message_status st = run(cases[i].msg, stream, &o, &r);
				if (st != AM_MESSAGE_DONE || strcmp(r.out, cases[i].want) != 0) {
					if (same)
						diag("chunk %zu, %s: status %d, got '%s'", chunks[c],
						     stream ? "stream" : "buffer", (int)st, r.out);
					same = 0;
				}
			}
		}
		ok(same, "%s: %s", cases[i].name, cases[i].want);
	}
}

/* Options, limits and early stops. */
static void options(void)
{
	struct rec r = {.want_body = true};
	struct am_message_opts o = {.skip_mbox_from = true};
	char big[300];

	run("From a@b Sat Nov 22 2025\nA: 1\n\nx\n", false, &o, &r);
	is_str(r.out, "H[A][ 1]EB[x\\r\\n]", "skip_mbox_from drops the leading From line");

	memset(&r, 0, sizeof(r));
	r.want_body = true;
	o = (struct am_message_opts){.fold_crlf = true};
	run("S: a\n b\n\n", true, &o, &r);
	is_str(r.out, "H[S][ a\\r\\n b]EB[]", "fold_crlf joins continuation lines with CRLF");

	memset(&r, 0, sizeof(r));
	run("A: 1\n\nbody\n", false, NULL, &r);
	is_str(r.out, "H[A][ 1]E", "eoh false: no body");

	memset(&r, 0, sizeof(r));
	r.stop_at_header = 2;
	is_int(run("A: 1\nB: 2\nC: 3\n\nx\n", false, NULL, &r), AM_MESSAGE_STOPPED, "a header callback stops the feed");
	is_str(r.out, "H[A][ 1]H[B][ 2]", "nothing after the stop");

	memset(&r, 0, sizeof(r));
	o = (struct am_message_opts){.max_fields = 2};
	is_int(run("A: 1\nB: 2\nC: 3\n\n", false, &o, &r), AM_MESSAGE_ERROR, "max_fields: a third field is an error");

	memset(&r, 0, sizeof(r));
	o = (struct am_message_opts){.max_field = 100};
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	char *msg = NULL;
	if (asprintf(&msg, "A: 1\nLong: %s\n\n", big) > 0)
		is_int(run(msg, true, &o, &r), AM_MESSAGE_ERROR, "max_field: a long line is an error");
	free(msg);
	msg = NULL;
	memset(&r, 0, sizeof(r));
	if (asprintf(&msg, "A: 1\nF:%.60s\n %.60s\n\n", big, big) > 0)
		is_int(run(msg, false, &o, &r), AM_MESSAGE_ERROR, "max_field: a long folded field is an error");
	free(msg);
}

int main(void)
{
	table();
	options();
	return done_testing();
}
