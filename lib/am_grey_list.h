/*
 * am_grey_list.h - the word lists of the [greylist] section (whitelisted
 * host names, sender domains, recipients, dynamic-host keywords) and how a
 * name is matched against them. Internal to am_grey*.c.
 */
#ifndef AM_GREY_LIST_H
#define AM_GREY_LIST_H

#include <stdbool.h>
#include <stddef.h>

/* A parsed list: lower-cased words split on blanks and commas. */
struct am_grey_words {
	size_t count;
	char **items;
	char *buf;             /* one allocation holding every word */
};

/* Split text into w (which the caller frees). Returns -1 out of memory. */
int am_grey_words_parse(const char *text, struct am_grey_words *w);
void am_grey_words_free(struct am_grey_words *w);

/* Domain lists: "name" is that name only, ".name" it and every name below
 * it. Host patterns may also be globs (* ? [...]). Case and a trailing dot
 * do not matter. Return the matching entry or NULL. */
const char *am_grey_match_host(const struct am_grey_words *w, const char *host);
const char *am_grey_match_domain(const struct am_grey_words *w, const char *domain);
/* Recipients (lower-cased address): "user@dom" exact, "dom" or "@dom" for
 * the domain, "user@" for the local part anywhere. */
const char *am_grey_match_rcpt(const struct am_grey_words *w, const char *rcpt);

/* True when ptr means "no reverse DNS": NULL, "", "unknown", "[addr]". */
bool am_grey_no_ptr(const char *ptr);
/* True when host looks like an end-user (dynamic) address: it spells the
 * IPv4 address ip, or a label left of the last two is a keyword,
 * optionally followed by digits. */
bool am_grey_host_dynamic(const struct am_grey_words *keywords, const char *host,
			  const char *ip);

#endif
