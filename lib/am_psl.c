/*
 * am_psl.c - Public Suffix List look-ups on a per-config libpsl context
 * (see am_psl.h). It does not fetch or refresh the list: the admin's
 * package manager does, and a reload picks it up.
 */
#include "am_psl.h"

#include <errno.h>
#include <libpsl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am_from.h"

struct am_psl {
	psl_ctx_t *ctx;
};

/* Load the list file into a fresh context. */
struct am_psl *am_psl_load(const char *path, char *err, size_t errlen)
{
	if (path == NULL || *path == '\0')
		path = AM_PSL_DEFAULT_FILE;
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "public suffix list %s: %s", path, strerror(errno));
		return NULL;
	}
	fclose(f);
	struct am_psl *psl = calloc(1, sizeof *psl);
	if (psl == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	psl->ctx = psl_load_file(path);
	if (psl->ctx == NULL || psl_suffix_count(psl->ctx) <= 0) {
		snprintf(err, errlen, "public suffix list %s: no rules could be loaded", path);
		am_psl_free(psl);
		return NULL;
	}
	return psl;
}

/* Release a context. NULL is allowed. */
void am_psl_free(struct am_psl *psl)
{
	if (psl == NULL)
		return;
	psl_free(psl->ctx);
	free(psl);
}

/* Registrable domain of a domain, or -1 for a public suffix. */
int am_psl_registrable(const struct am_psl *psl, const char *domain, char *out, size_t outlen)
{
	char norm[256], err[96];
	if (domain == NULL || am_domain_normalize(domain, norm, sizeof norm, err, sizeof err) < 0)
		return -1;
	const char *reg = psl_registrable_domain(psl->ctx, norm);
	if (reg == NULL)
		return -1;
	if ((size_t)snprintf(out, outlen, "%s", reg) >= outlen)
		return -1;
	return 0;
}

/* Organisational domain: registrable domain, else the domain itself. */
int am_psl_org_domain(const struct am_psl *psl, const char *domain, char *out, size_t outlen)
{
	char norm[256], err[96];
	if (domain == NULL || am_domain_normalize(domain, norm, sizeof norm, err, sizeof err) < 0)
		return -1;
	const char *reg = psl_registrable_domain(psl->ctx, norm);
	if ((size_t)snprintf(out, outlen, "%s", reg ? reg : norm) >= outlen)
		return -1;
	return 0;
}
