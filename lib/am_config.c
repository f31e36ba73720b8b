/*
 * am_config.c - the ini loader driven by the option table (am_options.c).
 *
 * Parsing, validation (errors say FILE:LINE), defaults and
 * `authmilter -n` all come from that table, so they cannot drift apart.
 * The file is read with libinih through a reader that counts lines and
 * checks section names, so that even an empty unknown section is an error.
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "am_config.h"


/* Where option o lives in cfg. */
static void *field(struct am_config *cfg, const struct am_option *o)
{
	return (char *)cfg + o->offset;
}

static const struct am_option *find_option(const char *section, const char *key)
{
	for (size_t i = 0; i < am_options_count; i++)
		if (strcasecmp(am_options[i].section, section) == 0 && strcasecmp(am_options[i].key, key) == 0)
			return &am_options[i];
	return NULL;
}

static bool known_section(const char *section)
{
	for (size_t i = 0; i < am_options_count; i++)
		if (strcasecmp(am_options[i].section, section) == 0)
			return true;
	return false;
}

/* Parse a whole number within [min, max]. */
static int parse_number(const char *v, int base, long min, long max, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, base);
	if (*v == '\0' || *end != '\0' || errno != 0)
		return -1;
	if (n < min || n > max)
		return -2;
	*out = n;
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"}, *const no[] = {"no", "false", "off", "0"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *out = true, 0;
		if (strcasecmp(v, no[i]) == 0)
			return *out = false, 0;
	}
	return -1;
}

/* Accept unix:PATH, local:PATH, inet:PORT@HOST, inet6:PORT@HOST. */
static int check_socket(const char *v, char *why, size_t whylen)
{
	if (strncmp(v, "unix:", 5) == 0 || strncmp(v, "local:", 6) == 0) {
		const char *path = strchr(v, ':') + 1;
		if (path[0] != '/') {
			snprintf(why, whylen, "a unix socket needs an absolute path");
			return -1;
		}
		return 0;
	}
	if (strncmp(v, "inet:", 5) == 0 || strncmp(v, "inet6:", 6) == 0) {
		const char *port = strchr(v, ':') + 1, *at = strchr(port, '@');
		char num[8];
		long n;
		if (at == NULL || at == port || (size_t)(at - port) >= sizeof(num) || at[1] == '\0') {
			snprintf(why, whylen, "expected inet:PORT@HOST");
			return -1;
		}
		memcpy(num, port, (size_t)(at - port));
		num[at - port] = '\0';
		if (parse_number(num, 10, 1, 65535, &n) != 0) {
			snprintf(why, whylen, "port must be 1-65535");
			return -1;
		}
		return 0;
	}
	snprintf(why, whylen, "expected unix:PATH, inet:PORT@HOST or inet6:PORT@HOST");
	return -1;
}

/* Map an action name allowed by o->choices. */
static int parse_action(const struct am_option *o, const char *v, enum am_action *out)
{
	static const enum am_action all[] = {AM_ACT_NONE, AM_ACT_ACCEPT, AM_ACT_QUARANTINE,
					     AM_ACT_TEMPFAIL, AM_ACT_REJECT};
	char choices[128], *save = NULL;

	snprintf(choices, sizeof(choices), "%s", o->choices);
	for (char *c = strtok_r(choices, " ", &save); c; c = strtok_r(NULL, " ", &save)) {
		if (strcasecmp(c, v) != 0)
			continue;
		for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
			if (strcasecmp(am_action_name(all[i]), c) == 0)
				return *out = all[i], 0;
	}
	return -1;
}

/* Is every word of v (one word unless several are allowed) in o->choices? */
static int check_choices(const struct am_option *o, const char *v, char *why, size_t whylen)
{
	char copy[512], *save = NULL;
	size_t words = 0;

	snprintf(copy, sizeof(copy), "%s", v);
	for (char *w = strtok_r(copy, ", \t", &save); w; w = strtok_r(NULL, ", \t", &save), words++) {
		const char *c = o->choices;
		size_t n = strlen(w);
		bool found = false;
		while (!found && (c = strcasestr(c, w)) != NULL) {
			found = (c == o->choices || c[-1] == ' ') && (c[n] == ' ' || c[n] == '\0');
			c += n;
		}
		if (!found || (o->type == AM_OPT_CHOICE && words > 0)) {
			snprintf(why, whylen, "'%s' is not %s: %s", v,
				 o->type == AM_OPT_CHOICE ? "one of" : "a list of", o->choices);
			return -1;
		}
	}
	if (words == 0 && o->type == AM_OPT_CHOICE) {
		snprintf(why, whylen, "empty; expected one of: %s", o->choices);
		return -1;
	}
	return 0;
}

/* Store value v into o's field; why gets the reason on failure. */
static int set_value(struct am_config *cfg, const struct am_option *o, const char *v, char *why,
		     size_t whylen)
{
	void *f = field(cfg, o);
	long n;
	int rc;

	switch (o->type) {
	case AM_OPT_BOOL:
		if (parse_bool(v, f) != 0)
			return snprintf(why, whylen, "'%s' is not yes or no", v), -1;
		return 0;
	case AM_OPT_INT:
	case AM_OPT_SCORE:
	case AM_OPT_OCTAL:
		rc = parse_number(v, o->type == AM_OPT_OCTAL ? 8 : 10, o->min, o->max, &n);
		if (rc == -1)
			return snprintf(why, whylen, "'%s' is not a %s number", v,
					o->type == AM_OPT_OCTAL ? "octal" : "whole"), -1;
		if (rc == -2)
			return snprintf(why, whylen, "%s is out of range (%ld to %ld)", v, o->min, o->max), -1;
		*(int *)f = (int)n;
		return 0;
	case AM_OPT_SOCKET:
	case AM_OPT_CHOICE:
	case AM_OPT_CHOICES:
		if (o->type == AM_OPT_SOCKET ? check_socket(v, why, whylen) != 0
					     : check_choices(o, v, why, whylen) != 0)
			return -1;
		/* fall through */
	case AM_OPT_STRING:
	case AM_OPT_WORDS: {
		char *copy = strdup(v);
		if (copy == NULL)
			return snprintf(why, whylen, "out of memory"), -1;
		if (o->type == AM_OPT_CHOICE || o->type == AM_OPT_CHOICES)
			for (char *p = copy; *p; p++)
				*p = (char)tolower((unsigned char)*p);
		free(*(char **)f);
		*(char **)f = copy;
		return 0;
	}
	case AM_OPT_CIDRS:
		return am_cidr_list_parse(v, f, why, whylen);
	case AM_OPT_ACTION:
		if (parse_action(o, v, f) != 0)
			return snprintf(why, whylen, "'%s' is not one of: %s", v, o->choices), -1;
		return 0;
	}
	return -1;
}

/* A deprecated key: set its new keys, note a warning. 1 not an alias,
 * 0 done, -1 error (in err). */
static int set_alias(struct am_config *cfg, const char *section, const char *key, const char *value,
		     const char *file, int line, char *err, size_t errlen)
{
	for (size_t i = 0; i < am_option_aliases_count; i++) {
		const struct am_option_alias *a = &am_option_aliases[i];
		char *w = NULL;
		if (strcasecmp(a->section, section) != 0 || strcasecmp(a->key, key) != 0)
			continue;
		for (size_t k = 0; k < 2 && a->new_keys[k]; k++)
			if (am_config_set(cfg, section, a->new_keys[k], value, file, line, err, errlen) != 0)
				return -1;
		if (asprintf(&w, "%s%s:%d: [%s] %s is deprecated: use %s%s%s\n", cfg->warnings ? cfg->warnings : "",
			     file, line, section, key, a->new_keys[0], a->new_keys[1] ? " and " : "",
			     a->new_keys[1] ? a->new_keys[1] : "") < 0)
			return snprintf(err, errlen, "out of memory"), -1;
		free(cfg->warnings);
		cfg->warnings = w;
		return 0;
	}
	return 1;
}

/* Set one option as if read at file:line. */
int am_config_set(struct am_config *cfg, const char *section, const char *key, const char *value,
		  const char *file, int line, char *err, size_t errlen)
{
	const struct am_option *o;
	char why[256];

	if (!known_section(section)) {
		snprintf(err, errlen, "%s:%d: unknown section [%s]", file, line, section);
		return -1;
	}
	if ((o = find_option(section, key)) == NULL) {
		int alias = set_alias(cfg, section, key, value, file, line, err, errlen);
		if (alias <= 0)
			return alias;
		snprintf(err, errlen, "%s:%d: unknown key '%s' in section [%s]", file, line, key, section);
		return -1;
	}
	if (set_value(cfg, o, value, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s:%d: [%s] %s: %s", file, line, section, key, why);
		return -1;
	}
	return 0;
}

/* State of one file load. */
struct loader {
	FILE *fp;
	const char *path;
	int line;
	struct am_config *cfg;
	char err[512];     /* first error, "" if none */
};

/* Record the first error only: it is the one an admin fixes first. */
static void fail_at(struct loader *ld, const char *msg)
{
	if (ld->err[0] == '\0')
		snprintf(ld->err, sizeof(ld->err), "%s", msg);
}

/* libinih reader: one line per call, counting lines and checking sections. */
static char *read_line(char *str, int num, void *stream)
{
	struct loader *ld = stream;
	char msg[512], name[64];
	size_t len;
	const char *p;

	if (fgets(str, num, ld->fp) == NULL)
		return NULL;
	ld->line++;
	len = strlen(str);
	if (len == (size_t)num - 1 && str[len - 1] != '\n' && !feof(ld->fp)) {
		int c;
		while ((c = fgetc(ld->fp)) != EOF && c != '\n')
			;
		snprintf(msg, sizeof(msg), "%s:%d: line longer than %d characters (continue a list "
			 "on indented lines)", ld->path, ld->line, num - 2);
		fail_at(ld, msg);
		str[0] = '\0';
		return str;
	}
	for (p = str; *p == ' ' || *p == '\t'; p++)
		;
	if (*p == '[' && sscanf(p, "[%63[^]]]", name) == 1 && !known_section(name)) {
		snprintf(msg, sizeof(msg), "%s:%d: unknown section [%s]", ld->path, ld->line, name);
		fail_at(ld, msg);
	}
	return str;
}

/* One key = value line of the file. */
static void set_from_file(struct loader *ld, const char *section, const char *key, const char *value)
{
	const struct am_option *o = find_option(section, key);
	char msg[512];

	/* libinih starts a comment at a ';' after a blank ("key = ; note")
	 * but keeps one right after '=' ("key =;x" reads ";x"): refuse that
	 * form, a mistyped comment that no written file could say back. */
	if (o != NULL && value[0] == ';') {
		snprintf(msg, sizeof(msg), "%s:%d: [%s] %s: a value may not begin with ';' (put a blank "
			 "before a comment)", ld->path, ld->line, section, key);
		fail_at(ld, msg);
		return;
	}
	if (o != NULL) {
		size_t idx = (size_t)(o - am_options);
		int *set_at = ld->cfg->set_at;
		bool is_list = o->type == AM_OPT_CIDRS || o->type == AM_OPT_WORDS;
		if (set_at[idx] != 0 && o->type == AM_OPT_WORDS) {
			/* A continuation line: append to the words so far. */
			char *joined = NULL;
			if (asprintf(&joined, "%s %s", *(char **)field(ld->cfg, o), value) < 0) {
				fail_at(ld, "out of memory");
				return;
			}
			if (am_config_set(ld->cfg, section, key, joined, ld->path, ld->line, msg, sizeof(msg)) != 0)
				fail_at(ld, msg);
			free(joined);
			return;
		}
		if (set_at[idx] != 0 && !is_list) {
			snprintf(msg, sizeof(msg), "%s:%d: [%s] %s is set twice (first at line %d)",
				 ld->path, ld->line, section, key, set_at[idx]);
			fail_at(ld, msg);
			return;
		}
		if (set_at[idx] == 0) {
			if (o->type == AM_OPT_CIDRS)
				am_cidr_list_free(field(ld->cfg, o));
			set_at[idx] = ld->line;
		}
	}
	if (am_config_set(ld->cfg, section, key, value, ld->path, ld->line, msg, sizeof(msg)) != 0)
		fail_at(ld, msg);
}

/* libinih handler: one key = value, or an indented continuation line.
 * libinih (Debian's 55) cuts "value ; comment" on the key's own line but
 * not on a continuation line: cut it there the same way. */
static int on_value(void *user, const char *section, const char *key, const char *value)
{
	char *text = strdup(value);

	if (text == NULL) {
		fail_at(user, "out of memory");
		return 1;
	}
	for (char *p = text; *p; p++)
		if (*p == ';' && p > text && (p[-1] == ' ' || p[-1] == '\t')) {
			while (p > text && (p[-1] == ' ' || p[-1] == '\t'))
				p--;
			*p = '\0';
			break;
		}
	set_from_file(user, section, key, text);
	free(text);
	return 1;
}

/* Fill the values that depend on the machine (host name). */
static int finish(struct am_config *cfg, char *err, size_t errlen)
{
	if (cfg->authserv_id == NULL || cfg->authserv_id[0] == '\0') {
		char host[256] = "localhost";
		gethostname(host, sizeof(host) - 1);
		free(cfg->authserv_id);
		if ((cfg->authserv_id = strdup(host)) == NULL)
			return snprintf(err, errlen, "out of memory"), -1;
		cfg->authserv_id_auto = true;
	}
	return 0;
}

/* A config holding only the defaults of the table. */
struct am_config *am_config_defaults(char *err, size_t errlen)
{
	struct am_config *cfg = calloc(1, sizeof(*cfg));

	if (cfg == NULL)
		return snprintf(err, errlen, "out of memory"), NULL;
	for (size_t i = 0; i < am_options_count; i++) {
		const struct am_option *o = &am_options[i];
		char why[256];
		if (set_value(cfg, o, o->def, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "(default): [%s] %s: %s", o->section, o->key, why);
			am_config_free(cfg);
			return NULL;
		}
	}
	if (finish(cfg, err, errlen) != 0) {
		am_config_free(cfg);
		return NULL;
	}
	return cfg;
}

/* Load path over the defaults. */
struct am_config *am_config_load(const char *path, char *err, size_t errlen)
{
	struct loader ld = {.path = path};
	struct am_config *cfg = am_config_defaults(err, errlen);
	int rc;

	if (cfg == NULL)
		return NULL;
	free(cfg->authserv_id); /* recomputed by finish() unless the file sets it */
	cfg->authserv_id = NULL;
	cfg->authserv_id_auto = false;
	if ((cfg->path = strdup(path)) == NULL || (ld.fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		am_config_free(cfg);
		return NULL;
	}
	ld.cfg = cfg;
	cfg->set_at = calloc(am_options_count, sizeof(int));
	rc = cfg->set_at ? ini_parse_stream(read_line, &ld, on_value, &ld) : -2;
	fclose(ld.fp);
	if (rc > 0) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s:%d: syntax error: expected '[section]' or 'key = value'",
			 path, rc);
		fail_at(&ld, msg);
	} else if (rc < 0) {
		fail_at(&ld, "out of memory");
	}
	if (ld.err[0] != '\0' || finish(cfg, ld.err, sizeof(ld.err)) != 0) {
		snprintf(err, errlen, "%s", ld.err);
		am_config_free(cfg);
		return NULL;
	}
	return cfg;
}

int am_config_line(const struct am_config *cfg, const char *section, const char *key)
{
	const struct am_option *o = find_option(section, key);

	return cfg->set_at != NULL && o != NULL ? cfg->set_at[o - am_options] : 0;
}

void am_config_free(struct am_config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < am_options_count; i++) {
		const struct am_option *o = &am_options[i];
		if (o->type == AM_OPT_STRING || o->type == AM_OPT_SOCKET || o->type == AM_OPT_CHOICE ||
		    o->type == AM_OPT_CHOICES || o->type == AM_OPT_WORDS)
			free(*(char **)field(cfg, o));
		else if (o->type == AM_OPT_CIDRS)
			am_cidr_list_free(field(cfg, o));
	}
	free(cfg->path);
	free(cfg->set_at);
	free(cfg->warnings);
	free(cfg);
}

/* Column where a dumped list folds onto an indented continuation line, so
 * that every line of a dump loads again (the loader's lines are short). */
#define DUMP_FOLD_COLUMN 76

/* Print n bytes of one list item after the ones before it, folding first
 * when it would pass DUMP_FOLD_COLUMN; *col is the current column. */
static void dump_item(FILE *out, const char *item, size_t n, size_t *col, bool first)
{
	if (!first && *col + 1 + n > DUMP_FOLD_COLUMN) {
		fputs("\n    ", out);
		*col = 4;
	} else if (!first) {
		fputc(' ', out);
		(*col)++;
	}
	fwrite(item, 1, n, out);
	*col += n;
}

/* Print one option's value as it would be written in the file; lists fold. */
static void dump_value(const struct am_config *cfg, const struct am_option *o, FILE *out)
{
	const void *f = (const char *)cfg + o->offset;
	size_t col = strlen(o->key) + 3;   /* after "key = " */

	switch (o->type) {
	case AM_OPT_BOOL: fputs(*(const bool *)f ? "yes" : "no", out); break;
	case AM_OPT_INT:
	case AM_OPT_SCORE: fprintf(out, "%d", *(const int *)f); break;
	case AM_OPT_OCTAL: fprintf(out, "%04o", (unsigned)*(const int *)f); break;
	case AM_OPT_STRING:
	case AM_OPT_CHOICE:
	case AM_OPT_CHOICES:
	case AM_OPT_SOCKET: fputs(*(char *const *)f ? *(char *const *)f : "", out); break;
	case AM_OPT_ACTION: fputs(am_action_name(*(const enum am_action *)f), out); break;
	case AM_OPT_WORDS: {
		const char *p = *(char *const *)f ? *(char *const *)f : "";
		for (bool first = true;; first = false) {
			p += strspn(p, " \t");
			size_t n = strcspn(p, " \t");
			if (n == 0)
				break;
			dump_item(out, p, n, &col, first);
			p += n;
		}
		break;
	}
	case AM_OPT_CIDRS: {
		const struct am_cidr_list *l = f;
		for (size_t i = 0; i < l->count; i++)
			dump_item(out, l->items[i].text, strlen(l->items[i].text), &col, i == 0);
		break;
	}
	}
}

/* Every option and its value, grouped by section. */
void am_config_dump(const struct am_config *cfg, FILE *out)
{
	const char *section = "";
	for (size_t i = 0; i < am_options_count; i++) {
		const struct am_option *o = &am_options[i];
		if (strcmp(section, o->section) != 0)
			fprintf(out, "%s[%s]\n", i ? "\n" : "", section = o->section);
		fprintf(out, "%s = ", o->key);
		dump_value(cfg, o, out);
		fputc('\n', out);
	}
}
