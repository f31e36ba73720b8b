/*
 * am_domlist.h - one name against a domain list as the ini file writes
 * them: blank or comma separated entries, "name" for that name only,
 * ".name" for it and every name below it; case and a final dot do not
 * matter. am_domlist_has reads lists straight from the configuration text
 * (trusted ARC sealers, the organisation's other authserv-ids); the
 * greylist's parsed word lists (am_grey_list.c) and DMARC's normalised
 * forwarder lists match their parsed entries with am_domlist_entry_matches.
 * The one test under them all, "this name or below it", is here too.
 */
#ifndef AM_DOMLIST_H
#define AM_DOMLIST_H

#include <stdbool.h>
#include <stddef.h>

/* Is name (len bytes) in list (NULL: empty)? */
bool am_domlist_has(const char *list, const char *name, size_t len);

/* Is name (nlen bytes) parent (plen bytes) itself, or a name below it at a
 * label boundary? Case does not matter; an empty parent matches nothing. */
bool am_domain_within_n(const char *name, size_t nlen, const char *parent, size_t plen);

/* am_domain_within_n for two strings. */
bool am_domain_within(const char *name, const char *parent);

/* Does one parsed entry ("name", or ".name" for it and every name below
 * it; no final dot) match name (no final dot)? */
bool am_domlist_entry_matches(const char *entry, const char *name);

#endif
