/*
 * am_domlist.h - one name against a domain list as the ini file writes
 * them: blank or comma separated entries, "name" for that name only,
 * ".name" for it and every name below it; case and a final dot do not
 * matter. For lists read straight from the configuration text (trusted
 * ARC sealers, the organisation's other authserv-ids). The greylist's
 * parsed word lists (am_grey_list.c) and DMARC's normalised forwarder
 * lists follow the same convention on their own parsed forms.
 */
#ifndef AM_DOMLIST_H
#define AM_DOMLIST_H

#include <stdbool.h>
#include <stddef.h>

/* Is name (len bytes) in list (NULL: empty)? */
bool am_domlist_has(const char *list, const char *name, size_t len);

#endif
