/*
 * milterload.h - shared parts of the milter load generator
 * (contrib/milterload.c: options, threads, report; milterload_corpus.c:
 * the corpus of messages with their envelopes, and the header additions
 * one filter of a chain hands to the next).
 */
#ifndef MILTERLOAD_H
#define MILTERLOAD_H

#include <stddef.h>

#include "milter_client.h"

#define ML_MAX_RCPTS 16
#define ML_MAX_FILES 100000
#define ML_MAX_MSG_SIZE (64L * 1024 * 1024)

/* The envelope used where the manifest says "-", or for plain files. */
struct ml_defaults {
	const char *ip;
	const char *helo;
	const char *from;
	const char *rcpt;
};

/* One message of the corpus, read into memory once. */
struct ml_msg {
	char *path;
	char *data;
	size_t len;
	char *fields;                      /* the manifest line's fields, owned */
	char *rcptbuf;                     /* a copy of the default recipients, owned */
	const char *ip, *helo, *from;
	const char *rcpts[ML_MAX_RCPTS];
	size_t nrcpts;
};

struct ml_corpus {
	struct ml_msg *v;
	size_t n, cap;
};

/* Add a message file with the default envelope. 0 or -1 (err). */
int ml_corpus_add_file(struct ml_corpus *c, const char *path, const struct ml_defaults *d,
		       char *err, size_t errlen);
/* Add the messages a manifest lists (format: milterload.c's header). */
int ml_corpus_load_manifest(struct ml_corpus *c, const char *manifest, const struct ml_defaults *d,
			    char *err, size_t errlen);
void ml_corpus_free(struct ml_corpus *c);

/* The message with the headers a filter added (insheader, addheader)
 * put in, as the MTA shows them to the next filter of a chain; NULL when
 * out of memory. Other modifications are not applied. */
char *ml_apply_headers(const char *msg, size_t len, const struct mc_mods *mods, size_t *outlen);

#endif
