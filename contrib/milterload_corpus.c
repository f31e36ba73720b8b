/*
 * milterload_corpus.c - the corpus of the load generator: message files
 * read into memory once (so disk reads never show in the latencies), each
 * with its envelope from a manifest line or the defaults; and, for a chain
 * of filters, the message with the headers one filter added, as the next
 * one sees it. It does not talk to any filter.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "milterload.h"

/* Read a whole file (at most ML_MAX_MSG_SIZE bytes). 0 or -1 (err). */
static int read_file(const char *path, char **data, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0, got;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	do {
		if (n == cap) {
			char *grown = cap < (size_t)ML_MAX_MSG_SIZE ? realloc(buf, cap ? cap * 2 : 65536) : NULL;
			if (grown == NULL) {
				snprintf(err, errlen, "%s: larger than %ld bytes or out of memory", path,
					 ML_MAX_MSG_SIZE);
				free(buf);
				fclose(f);
				return -1;
			}
			buf = grown;
			cap = cap ? cap * 2 : 65536;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	*data = buf;
	*len = n;
	return 0;
}

/* A new, zeroed slot at the end of the corpus, or NULL. */
static struct ml_msg *grow(struct ml_corpus *c, char *err, size_t errlen)
{
	if (c->n >= ML_MAX_FILES) {
		snprintf(err, errlen, "more than %d messages", ML_MAX_FILES);
		return NULL;
	}
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		struct ml_msg *v = realloc(c->v, ncap * sizeof(*v));
		if (v == NULL) {
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		c->v = v;
		c->cap = ncap;
	}
	memset(&c->v[c->n], 0, sizeof(c->v[0]));
	return &c->v[c->n];
}

/* Split a comma-separated recipient list into m->rcpts (in place). */
static int split_rcpts(struct ml_msg *m, char *list, char *err, size_t errlen)
{
	char *save = NULL;

	for (char *r = strtok_r(list, ",", &save); r != NULL; r = strtok_r(NULL, ",", &save)) {
		if (m->nrcpts == ML_MAX_RCPTS) {
			snprintf(err, errlen, "%s: more than %d recipients", m->path, ML_MAX_RCPTS);
			return -1;
		}
		m->rcpts[m->nrcpts++] = r;
	}
	return 0;
}

/* The default recipients (a copy: splitting writes into it). 0 or -1. */
static int default_rcpts(struct ml_msg *m, const struct ml_defaults *d, char *err, size_t errlen)
{
	if (d->rcpt == NULL)
		return 0;
	if ((m->rcptbuf = strdup(d->rcpt)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return split_rcpts(m, m->rcptbuf, err, errlen);
}

/* Read the message of slot m and count it in. 0 or -1. */
static int take(struct ml_corpus *c, struct ml_msg *m, char *err, size_t errlen)
{
	if (m->nrcpts == 0) {
		snprintf(err, errlen, "%s: no recipient (give -r or a manifest field)", m->path);
		return -1;
	}
	if (read_file(m->path, &m->data, &m->len, err, errlen) != 0)
		return -1;
	c->n++;
	return 0;
}

/* Free what a slot that was not taken holds. */
static void drop(struct ml_msg *m)
{
	free(m->path);
	free(m->fields);
	free(m->rcptbuf);
	memset(m, 0, sizeof(*m));
}

int ml_corpus_add_file(struct ml_corpus *c, const char *path, const struct ml_defaults *d,
		       char *err, size_t errlen)
{
	struct ml_msg *m = grow(c, err, errlen);

	if (m == NULL)
		return -1;
	m->ip = d->ip;
	m->helo = d->helo;
	m->from = d->from;
	if ((m->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		drop(m);
		return -1;
	}
	if (default_rcpts(m, d, err, errlen) != 0 || take(c, m, err, errlen) != 0) {
		drop(m);
		return -1;
	}
	return 0;
}

/* Field i of a manifest line, or the default where it is "-" or missing. */
static const char *field(char **f, int nf, int i, const char *def)
{
	return i < nf && strcmp(f[i], "-") != 0 ? f[i] : def;
}

/* One manifest line (not blank, not a comment). 0 or -1. */
static int manifest_line(struct ml_corpus *c, const char *dir, const char *line,
			 const struct ml_defaults *d, char *err, size_t errlen)
{
	struct ml_msg *m = grow(c, err, errlen);
	char *f[6], *save = NULL;
	int nf = 0;

	if (m == NULL)
		return -1;
	if ((m->fields = strdup(line)) == NULL)
		goto oom;
	for (char *t = strtok_r(m->fields, " \t", &save); t != NULL && nf < 6;
	     t = strtok_r(NULL, " \t", &save))
		f[nf++] = t;
	if (nf > 5) {
		snprintf(err, errlen, "manifest: more than 5 fields in '%s'", line);
		drop(m);
		return -1;
	}
	if (f[0][0] == '/' || dir[0] == '\0' ? asprintf(&m->path, "%s", f[0]) < 0
					      : asprintf(&m->path, "%s/%s", dir, f[0]) < 0) {
		m->path = NULL;
		goto oom;
	}
	m->ip = field(f, nf, 1, d->ip);
	m->helo = field(f, nf, 2, d->helo);
	m->from = field(f, nf, 3, d->from);
	if (nf > 4 && strcmp(f[4], "-") != 0 ? split_rcpts(m, f[4], err, errlen) != 0
					      : default_rcpts(m, d, err, errlen) != 0) {
		drop(m);
		return -1;
	}
	if (take(c, m, err, errlen) != 0) {
		drop(m);
		return -1;
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	drop(m);
	return -1;
}

int ml_corpus_load_manifest(struct ml_corpus *c, const char *manifest, const struct ml_defaults *d,
			    char *err, size_t errlen)
{
	FILE *f = fopen(manifest, "r");
	char line[4096], dir[4096];
	const char *slash = strrchr(manifest, '/');
	int rc = 0, lineno = 0;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", manifest, strerror(errno));
		return -1;
	}
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - manifest) : 0, manifest);
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		char *p = line + strspn(line, " \t");
		lineno++;
		p[strcspn(p, "\r\n")] = '\0';
		if (*p == '\0' || *p == '#')
			continue;
		if ((rc = manifest_line(c, dir, p, d, err, errlen)) != 0) {
			size_t l = strlen(err);
			snprintf(err + l, errlen - l, " (%s:%d)", manifest, lineno);
		}
	}
	fclose(f);
	return rc;
}

void ml_corpus_free(struct ml_corpus *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].data);
		drop(&c->v[i]);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* Offsets of the header fields of msg; returns the end of the header block. */
static size_t header_starts(const char *msg, size_t len, size_t *starts, size_t max, size_t *n)
{
	size_t off = 0;

	*n = 0;
	while (off < len) {
		const char *nl = memchr(msg + off, '\n', len - off);
		size_t l = nl ? (size_t)(nl - (msg + off)) : len - off;
		if (l == 0 || (l == 1 && msg[off] == '\r'))
			return off;   /* the empty line */
		if (msg[off] != ' ' && msg[off] != '\t' && *n < max)
			starts[(*n)++] = off;
		off += l + (nl ? 1 : 0);
	}
	return off;
}

/* msg with "Name: value\n" inserted at byte offset at; NULL when out of memory. */
static char *insert_field(const char *msg, size_t len, size_t at, const struct mc_mod *m,
			  size_t *outlen)
{
	const char *v = m->value ? m->value : "";
	const char *sep = v[0] == ' ' || v[0] == '\t' ? ":" : ": ";
	size_t add = strlen(m->name) + strlen(sep) + strlen(v) + 1;
	char *out = malloc(len + add + 1);

	if (out == NULL)
		return NULL;
	memcpy(out, msg, at);
	snprintf(out + at, add + 1, "%s%s%s\n", m->name, sep, v);
	memcpy(out + at + add, msg + at, len - at);
	out[len + add] = '\0';
	*outlen = len + add;
	return out;
}

char *ml_apply_headers(const char *msg, size_t len, const struct mc_mods *mods, size_t *outlen)
{
	char *cur = malloc(len + 1);

	if (cur == NULL)
		return NULL;
	memcpy(cur, msg, len);
	cur[len] = '\0';
	*outlen = len;
	for (size_t i = 0; i < mods->n; i++) {
		const struct mc_mod *m = &mods->v[i];
		size_t starts[256], n, end, at;
		char *next;
		if ((m->type != MC_MOD_INSHEADER && m->type != MC_MOD_ADDHEADER) || m->name == NULL)
			continue;
		end = header_starts(cur, *outlen, starts, 256, &n);
		at = m->type == MC_MOD_INSHEADER && m->index < n ? starts[m->index] : end;
		if ((next = insert_field(cur, *outlen, at, m, outlen)) == NULL) {
			free(cur);
			return NULL;
		}
		free(cur);
		cur = next;
	}
	return cur;
}
