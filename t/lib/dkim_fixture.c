/*
 * dkim_fixture.c - read a DKIM test fixture (see dkim_fixture.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "dkim_fixture.h"

/* Read a file under t/data/dkim/ (NUL-terminated), or NULL. */
char *dkim_fixture(const char *name)
{
	const char *top = getenv("top_srcdir");
	char path[1024], *buf = NULL;
	FILE *fp;
	long n;

	snprintf(path, sizeof(path), "%s/t/data/dkim/%s", top ? top : ".", name);
	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	if ((buf = calloc(1, (size_t)n + 1)) != NULL && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	return buf;
}
