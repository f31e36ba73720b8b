/*
 * test_am_config.c - the ini loader: defaults, every kind of bad input
 * (each must name FILE:LINE), the line each key was set on, lists over
 * several lines, comments after values, the dump loading again, and the
 * shipped etc/authmilter.ini.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "am_config.h"
#include "tap.h"

static char path[256];

/* Write text to a temporary file and load it. */
static struct am_config *load(const char *text, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return am_config_load(path, err, errlen);
}

/* The file must be refused with an error at line: "PATH:LINE: ...want...". */
static void refused(const char *text, int line, const char *want, const char *name)
{
	char err[512] = "", prefix[300];
	struct am_config *cfg = load(text, err, sizeof(err));

	snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	ok(cfg == NULL && strncmp(err, prefix, strlen(prefix)) == 0 && strstr(err, want) != NULL,
	   "refused: %s", name);
	if (cfg != NULL || strstr(err, want) == NULL)
		diag("error was: %s", err);
	am_config_free(cfg);
}

static void test_bad_inputs(void)
{
	refused("[nosuch]\nkey = 1\n", 1, "unknown section [nosuch]", "unknown section");
	refused("[milter]\n\n[empty_unknown]\n", 3, "unknown section", "empty unknown section");
	refused("[milter]\nsokcet = unix:/x\n", 2, "unknown key 'sokcet'", "unknown key");
	refused("[dns]\ntimeout_ms = fast\n", 2, "not a whole number", "bad number");
	refused("[dns]\ntimeout_ms = 10\n", 2, "out of range", "number out of range");
	refused("[server]\ntrusted_networks = 10.0.0.0/33\n", 2, "prefix length", "bad CIDR length");
	refused("[server]\ntrusted_networks = 10.0.0.300\n", 2, "not an IP address", "bad CIDR address");
	refused("[milter]\nsocket = tcp:25\n", 2, "expected unix:PATH", "bad socket kind");
	refused("[milter]\nsocket = inet:99999@127.0.0.1\n", 2, "port must be", "bad socket port");
	refused("[milter]\nsocket = unix:relative.sock\n", 2, "absolute path", "relative unix socket");
	refused("[spf]\nenable = perhaps\n", 2, "not yes or no", "bad boolean");
	refused("[spf]\nfail_action = explode\n", 2, "not one of", "bad action");
	refused("[milter]\nsocket_mode = 0999\n", 2, "octal", "bad octal mode");
	refused("[milter]\nthis line has no equals sign\n", 2, "syntax error", "syntax error");
	refused("[dns]\ntimeout_ms = 1000\ntimeout_ms = 2000\n", 3, "set twice (first at line 2)", "duplicate key");
	refused("[scores]\nspf_fail = 2000\n", 2, "out of range", "score out of range");
	refused("[greylist]\nwhitelist_hosts =;whitelist_senders =\n", 2, "may not begin with ';'",
		"a value that begins with ';' (fuzz/regressions/config)");
	char longline[400];
	snprintf(longline, sizeof(longline), "[server]\nauthserv_id = %0300d\n", 1);
	refused(longline, 2, "line longer than", "over-long line");
}

static void test_values(void)
{
	char err[512] = "";
	struct am_config *cfg = load("; comment\n[server]\nauthserv_id = mx.example.org ; inline comment\n"
				     "trusted_networks = 192.0.2.0/24,\n  2001:db8::/32\n"
				     "[milter]\nsocket = inet:8895@127.0.0.1\nsocket_mode = 0666\n"
				     "[spf]\nfail_action = reject\n[thresholds]\nreject = 0\n",
				     err, sizeof(err));
	struct am_ip ip;

	if (!ok(cfg != NULL, "valid file loads")) {
		diag("%s", err);
		return;
	}
	is_str(cfg->authserv_id, "mx.example.org", "authserv_id read");
	is_int(cfg->trusted_networks.count, 2, "list continued on an indented line replaces the default");
	am_ip_parse("2001:db8::5", &ip);
	ok(am_cidr_list_match(&cfg->trusted_networks, &ip) != NULL, "IPv6 network matches");
	am_ip_parse("127.0.0.1", &ip);
	ok(am_cidr_list_match(&cfg->trusted_networks, &ip) == NULL, "default loopback entry replaced");
	is_int(cfg->socket_mode, 0666, "octal mode");
	is_int(cfg->spf_fail_action, AM_ACT_REJECT, "action parsed");
	is_int(cfg->threshold_reject, 0, "zero threshold allowed");
	is_int(cfg->dns_timeout_ms, 5000, "default kept for unset key");
	is_int(am_config_line(cfg, "server", "authserv_id"), 3, "line of a key recorded");
	is_int(am_config_line(cfg, "server", "trusted_networks"), 4, "line of a list: its first line");
	is_int(am_config_line(cfg, "milter", "socket_mode"), 8, "line of a key in a later section");
	is_int(am_config_line(cfg, "dns", "timeout_ms"), 0, "no line for a default");
	am_config_free(cfg);
}

/* "; comment" after a value: cut on the key's line and on continuation
 * lines alike (libinih cuts only the former). */
static void test_inline_comments(void)
{
	char err[512] = "";
	struct am_config *cfg = load("[greylist]\nwhitelist_hosts = a.example ; ours\n"
				     "    b.example\t; partner\n    c.example;d\n"
				     "[server]\ntrusted_networks = 10.0.0.0/8\n  192.168.0.0/16 ; lan\n",
				     err, sizeof(err));

	if (!ok(cfg != NULL, "comments after values on continuation lines load")) {
		diag("%s", err);
		return;
	}
	is_str(cfg->grey_whitelist_hosts, "a.example b.example c.example;d",
	       "a comment is cut on continuation lines too (';' inside a word is kept)");
	is_int(cfg->trusted_networks.count, 2, "CIDR list continued past a comment");
	am_config_free(cfg);
}

/* A dump loads again and dumps the same: long lists fold onto indented
 * lines no longer than the loader takes (found by the config fuzz target). */
static void test_dump_round_trip(void)
{
	char err[512] = "", *text = NULL, *again_text = NULL, *file = NULL;
	size_t len = 0, again_len = 0, longest = 0;
	FILE *f = open_memstream(&file, &len);
	struct am_config *cfg, *again = NULL;

	fputs("[greylist]\nwhitelist_hosts = first.example\n", f);
	for (int i = 0; i < 40; i++)
		fprintf(f, "  host-%02d.customers.example.net .partner-%02d.example\n", i, i);
	fputs("[server]\ntrusted_networks = 10.0.0.0/8\n", f);
	for (int i = 0; i < 40; i++)
		fprintf(f, "  2001:db8:%x::/48 192.0.%d.0/24\n", i, i);
	fclose(f);
	cfg = load(file, err, sizeof(err));
	free(file);
	if (!ok(cfg != NULL, "a file with 81-entry lists loads (%s)", err))
		return;
	f = open_memstream(&text, &len);
	am_config_dump(cfg, f);
	fclose(f);
	for (const char *l = text; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != '\0'))
		if (strcspn(l, "\n") > longest)
			longest = strcspn(l, "\n");
	ok(longest <= 78, "every dumped line fits 78 columns (longest %zu)", longest);
	if ((f = fopen(path, "w")) != NULL) {
		fputs(text, f);
		fclose(f);
		again = am_config_load(path, err, sizeof(err));
	}
	ok(again != NULL, "the dump loads again (%s)", again ? "" : err);
	if (again != NULL) {
		f = open_memstream(&again_text, &again_len);
		am_config_dump(again, f);
		fclose(f);
		ok(again_len == len && memcmp(text, again_text, len) == 0, "and dumps the same text");
		is_int(again->trusted_networks.count, 81, "all 81 networks kept");
	}
	free(text);
	free(again_text);
	am_config_free(again);
	am_config_free(cfg);
}

static void test_defaults_and_shipped(void)
{
	char err[512] = "", shipped[512];
	struct am_config *cfg = am_config_defaults(err, sizeof(err));
	const char *srcdir = getenv("top_srcdir");

	ok(cfg != NULL && cfg->authserv_id[0] != '\0', "defaults load, host name as authserv-id");
	ok(cfg && cfg->spf_enable && cfg->threshold_reject == 15, "documented defaults");
	am_config_free(cfg);
	snprintf(shipped, sizeof(shipped), "%s/etc/authmilter.ini", srcdir ? srcdir : ".");
	cfg = am_config_load(shipped, err, sizeof(err));
	ok(cfg != NULL, "shipped etc/authmilter.ini loads");
	if (cfg == NULL)
		diag("%s", err);
	am_config_free(cfg);
	cfg = am_config_load("/nonexistent/authmilter.ini", err, sizeof(err));
	ok(cfg == NULL && strstr(err, "cannot open") != NULL, "missing file is an error");
}

/* Where etc/authmilter.ini sets an option: the value after "key =" on a
 * line of its section (comments, which may quote "key = value" in prose,
 * do not count). NULL when absent. */
static const char *shipped_value(FILE *f, const char *section, const char *key, char *out, size_t outlen)
{
	char line[1024], cur[64] = "";
	size_t klen = strlen(key);

	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		const char *p = line;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '[') {
			snprintf(cur, sizeof(cur), "%.*s", (int)strcspn(line + 1, "]"), line + 1);
			continue;
		}
		if (strcmp(cur, section) != 0 || strncmp(p, key, klen) != 0)
			continue;
		p += klen;
		while (*p == ' ')
			p++;
		if (*p != '=')
			continue;
		for (p++; *p == ' '; p++)
			;
		snprintf(out, outlen, "%s", p);
		return out;
	}
	return NULL;
}

/* Every option of the table is in etc/authmilter.ini, in its section, with
 * the table's default, except the few the file sets on purpose (its
 * header says which). */
static void test_every_option_documented(void)
{
	static const char *const set_on_purpose[] = {"milter.user", "greylist.enable", "greylist.stage"};
	const char *srcdir = getenv("top_srcdir");
	char shipped[512], value[1024], name[128];
	size_t missing = 0, other_default = 0;
	FILE *f;

	snprintf(shipped, sizeof(shipped), "%s/etc/authmilter.ini", srcdir ? srcdir : ".");
	if ((f = fopen(shipped, "r")) == NULL) {
		ok(0, "etc/authmilter.ini readable");
		return;
	}
	for (size_t i = 0; i < am_options_count; i++) {
		const struct am_option *o = &am_options[i];
		bool on_purpose = false;
		snprintf(name, sizeof(name), "%s.%s", o->section, o->key);
		for (size_t k = 0; k < sizeof(set_on_purpose) / sizeof(*set_on_purpose); k++)
			on_purpose |= strcmp(name, set_on_purpose[k]) == 0;
		if (shipped_value(f, o->section, o->key, value, sizeof(value)) == NULL) {
			diag("[%s] %s is not in etc/authmilter.ini", o->section, o->key);
			missing++;
		} else if (!on_purpose && strcmp(value, o->def ? o->def : "") != 0) {
			diag("[%s] %s: etc/authmilter.ini says '%s', the default is '%s'", o->section, o->key,
			     value, o->def ? o->def : "");
			other_default++;
		}
	}
	fclose(f);
	is_int(missing, 0, "every option is in etc/authmilter.ini, in its section");
	is_int(other_default, 0, "etc/authmilter.ini writes each option's default (but the ones it sets)");
}

int main(void)
{
	snprintf(path, sizeof(path), "test_am_config.%ld.ini", (long)getpid());
	test_bad_inputs();
	test_values();
	test_inline_comments();
	test_dump_round_trip();
	test_defaults_and_shipped();
	test_every_option_documented();
	unlink(path);
	return done_testing();
}
