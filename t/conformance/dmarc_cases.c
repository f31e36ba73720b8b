/*
 * dmarc_cases.c - load the DMARC conformance tables for the C drivers (see
 * dmarc_cases.h). It runs Debian's /usr/bin/python3 on dmarc_yaml2tab.py
 * and reads its output; it never writes anything into the tree.
 */
#include "dmarc_cases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* Undo the converter's escapes in place. */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			*o++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* Split one converter line into a case (takes ownership of line). */
static int parse_line(char *line, struct tcase *c)
{
	char *save = NULL;
	memset(c, 0, sizeof *c);
	c->block = strtok_r(line, "\t", &save);
	if (c->block == NULL)
		return -1;
	for (char *f = strtok_r(NULL, "\t", &save); f && c->nf < TCASE_FIELDS; f = strtok_r(NULL, "\t", &save)) {
		char *eq = strchr(f, '=');
		if (eq == NULL)
			return -1;
		*eq = '\0';
		unescape(eq + 1);
		c->key[c->nf] = f;
		c->val[c->nf++] = eq + 1;
	}
	return 0;
}

/* Find the shared folder and the converter; fill the command line. */
static int command(struct tcases *t, char *cmd, size_t cmdlen, char *why, size_t whylen)
{
	const char *shared = getenv("AM_SHARED"), *src = getenv("top_srcdir");
	char yml[4096];
	snprintf(yml, sizeof yml, "%s/conformance/dmarc/cases.yml", shared ? shared : "../shared");
	FILE *f = fopen(yml, "r");
	if (f == NULL) {
		snprintf(why, whylen, "%s not found (AM_SHARED unset or conformance data absent)", yml);
		return 77;
	}
	fclose(f);
	if ((f = fopen("/usr/bin/python3", "r")) == NULL) {
		snprintf(why, whylen, "/usr/bin/python3 not installed");
		return 77;
	}
	fclose(f);
	size_t n = strlen(yml) + 32;
	t->psl_file = malloc(n);
	if (t->psl_file == NULL)
		return -1;
	snprintf(t->psl_file, n, "%s/conformance/psl/public_suffix_list.dat", shared ? shared : "../shared");
	snprintf(cmd, cmdlen, "/usr/bin/python3 '%s/t/conformance/dmarc_yaml2tab.py' '%s'", src ? src : ".", yml);
	return 0;
}

/* Load the tables (see header). */
int tcases_load(struct tcases *t, char *why, size_t whylen)
{
	char cmd[8192], line[8192];
	memset(t, 0, sizeof *t);
	int r = command(t, cmd, sizeof cmd, why, whylen);
	if (r != 0)
		return r;
	FILE *p = popen(cmd, "r");
	if (p == NULL) {
		snprintf(why, whylen, "cannot run %s", cmd);
		return -1;
	}
	while (fgets(line, sizeof line, p)) {
		line[strcspn(line, "\n")] = '\0';
		struct tcase *grown = realloc(t->c, (t->n + 1) * sizeof *grown);
		char *copy = strdup(line);
		if (grown == NULL || copy == NULL)
			return -1;
		t->c = grown;
		if (parse_line(copy, &t->c[t->n]) < 0) {
			snprintf(why, whylen, "bad converter line: %.80s", line);
			free(copy);
			pclose(p);
			return -1;
		}
		t->n++;
	}
	int st = pclose(p);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
		snprintf(why, whylen, "python3-yaml not installed");
		return 77;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || t->n == 0) {
		snprintf(why, whylen, "converter failed: %s", cmd);
		return -1;
	}
	return 0;
}

/* Free everything loaded. */
void tcases_free(struct tcases *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->c[i].block);
	free(t->c);
	free(t->psl_file);
	memset(t, 0, sizeof *t);
}

/* A field of a case. */
const char *tcase_get(const struct tcase *c, const char *key)
{
	for (size_t i = 0; i < c->nf; i++)
		if (strcmp(c->key[i], key) == 0)
			return c->val[i];
	return "";
}

/* The zone block as table-resolver text. */
char *tcases_zone(const struct tcases *t)
{
	size_t len = 1, used = 0;
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->c[i].block, "zone") == 0)
			len += strlen(tcase_get(&t->c[i], "name")) + strlen(tcase_get(&t->c[i], "value")) + 16;
	char *z = malloc(len);
	if (z == NULL)
		return NULL;
	z[0] = '\0';
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->c[i].block, "zone") == 0)
			used += (size_t)snprintf(z + used, len - used, "%s %s %s\n", tcase_get(&t->c[i], "name"),
						 tcase_get(&t->c[i], "type"), tcase_get(&t->c[i], "value"));
	return z;
}
