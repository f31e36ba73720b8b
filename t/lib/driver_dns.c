/*
 * driver_dns.c - the resolver a verify driver asks for (see driver_dns.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "driver_dns.h"

/* Read a whole (small) text file; NULL when it cannot be read. */
static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0;

	if (fp == NULL)
		return NULL;
	if (getdelim(&buf, &cap, '\0', fp) < 0) {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	return buf;
}

/* The resolver the driver's options ask for; NULL with err. */
struct am_dns *driver_dns_new(const char *ns, const char *table, int timeout_ms, char *err,
			      size_t errlen)
{
	char *text;
	struct am_dns *dns;

	if (table == NULL)
		return am_dns_unbound_new(ns, NULL, timeout_ms, err, errlen);
	if ((text = slurp(table)) == NULL) {
		snprintf(err, errlen, "cannot read %s", table);
		return NULL;
	}
	dns = am_dns_table_new(text, err, errlen);
	free(text);
	return dns;
}
