/*
 * am_dkim_select.h - which DKIM signatures to verify when a message has
 * more than [dkim] max_signatures: those that can align with an author
 * domain first. Skipping the rest is safe because an unverified signature
 * can only have helped the sender; skipping the author's own could turn a
 * DMARC pass into a fail. Pure and without DNS: it ranks by the trailing
 * labels d= shares with an author domain (an aligned d= shares at least
 * the organisational domain's labels, a foreign one fewer), an exact match
 * (what strict alignment needs) above all. Knows nothing of libopendkim.
 */
#ifndef AM_DKIM_SELECT_H
#define AM_DKIM_SELECT_H

#include <stdbool.h>
#include <stddef.h>

/* Author domains a message hands to DKIM for the ranking. */
#define AM_DKIM_AUTHORS_MAX 4

/* Mark in verify[0..n) the at most max signatures to verify, given their
 * d= values (field order; NULL allowed) and the author domains: highest
 * rank first, field order among equals. */
void am_dkim_select(const char *const *d, size_t n, const char *const *authors, size_t nauthors,
		    size_t max, bool *verify);

#endif
