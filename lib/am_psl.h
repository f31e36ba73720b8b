/*
 * am_psl.h - organisational domains from the Public Suffix List (RFC 7489
 * section 3.2), one libpsl context per loaded configuration.
 *
 * libopendmarc keeps its suffix list in a process-wide table, which a
 * reload would race with; this wraps libpsl instead. A loaded list is
 * read-only and may be shared by all threads. Domains go in and come out
 * as lower-case A-labels (U-labels are converted first). No DNS.
 */
#ifndef AM_PSL_H
#define AM_PSL_H

#include <stdbool.h>
#include <stddef.h>

/* Debian's publicsuffix package installs the list here. */
#define AM_PSL_DEFAULT_FILE "/usr/share/publicsuffix/public_suffix_list.dat"

struct am_psl;

/* Load a list in the publicsuffix.org text format. NULL + err on failure. */
struct am_psl *am_psl_load(const char *path, char *err, size_t errlen);
void am_psl_free(struct am_psl *psl);

/* The registrable domain (public suffix plus one label) of domain.
 * Returns 0, or -1 when domain is itself a public suffix or is invalid. */
int am_psl_registrable(const struct am_psl *psl, const char *domain, char *out, size_t outlen);

/* The RFC 7489 organisational domain: the registrable domain, or the
 * (normalised) domain itself when it is a public suffix. -1 if invalid. */
int am_psl_org_domain(const struct am_psl *psl, const char *domain, char *out, size_t outlen);

#endif
