/*
 * am_dns_table.c - a resolver answering from a text table, for unit tests
 * and fuzzers: the same am_dns interface as the daemon's libunbound
 * resolver, no sockets. Read-only after creation, so thread-safe.
 *
 * Table lines: "name TYPE value". TYPE is A, AAAA, MX ("pref host"), PTR,
 * CNAME or TXT (one bare string, or several "quoted" strings); "name
 * TIMEOUT" and "name SERVFAIL" make every query for name fail that way.
 * Blank lines and lines starting with '#' are ignored.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "am_dns.h"

enum { TYPE_TIMEOUT = -1, TYPE_SERVFAIL = -2 };

struct entry {
	char name[256];
	int type;
	struct am_dns_rdata rd;
};

struct table {
	size_t count;
	struct entry *e;
};

/* Encode a dotted name in wire format; returns its length or -1. */
static int encode_name(const char *name, unsigned char *out, size_t outlen)
{
	size_t o = 0;
	const char *p = name;

	while (*p && strcmp(p, ".") != 0) {
		size_t n = strcspn(p, ".");
		if (n == 0 || n > 63 || o + n + 2 > outlen)
			return -1;
		out[o++] = (unsigned char)n;
		memcpy(out + o, p, n);
		o += n;
		p += n;
		if (*p == '.')
			p++;
	}
	if (o + 1 > outlen)
		return -1;
	out[o++] = 0;
	return (int)o;
}

/* Encode TXT value: one bare string, or a run of "quoted" strings. */
static int encode_txt(const char *v, unsigned char *out, size_t outlen)
{
	size_t o = 0;

	if (*v != '"') {
		size_t len = strlen(v);
		do {
			size_t n = len > 255 ? 255 : len;
			if (o + n + 1 > outlen)
				return -1;
			out[o++] = (unsigned char)n;
			memcpy(out + o, v, n);
			o += n, v += n, len -= n;
		} while (len > 0);
		return (int)o;
	}
	while (*v == '"') {
		const char *end = strchr(v + 1, '"');
		size_t n;
		if (end == NULL)
			return -1;
		n = (size_t)(end - v - 1);
		if (n > 255 || o + n + 1 > outlen)
			return -1;
		out[o++] = (unsigned char)n;
		memcpy(out + o, v + 1, n);
		o += n;
		v = end + 1;
		while (*v == ' ' || *v == '\t')
			v++;
	}
	return *v == '\0' ? (int)o : -1;
}

/* Encode the RDATA of one table line. */
static int encode_rdata(int type, const char *v, unsigned char *out, size_t outlen)
{
	switch (type) {
	case AM_RR_A: return inet_pton(AF_INET, v, out) == 1 ? 4 : -1;
	case AM_RR_AAAA: return inet_pton(AF_INET6, v, out) == 1 ? 16 : -1;
	case AM_RR_PTR:
	case AM_RR_CNAME:
	case AM_RR_NS: return encode_name(v, out, outlen);
	case AM_RR_TXT: return encode_txt(v, out, outlen);
	case AM_RR_MX: {
		char *end;
		unsigned long pref = strtoul(v, &end, 10);
		int n;
		if (end == v || pref > 65535)
			return -1;
		while (*end == ' ')
			end++;
		n = encode_name(end, out + 2, outlen - 2);
		out[0] = (unsigned char)(pref >> 8);
		out[1] = (unsigned char)pref;
		return n < 0 ? -1 : n + 2;
	}
	}
	return -1;
}

/* Type keyword to number. */
static int parse_type(const char *t)
{
	static const struct { const char *name; int type; } types[] = {
		{"A", AM_RR_A},       {"AAAA", AM_RR_AAAA},         {"MX", AM_RR_MX},
		{"PTR", AM_RR_PTR},   {"CNAME", AM_RR_CNAME},       {"TXT", AM_RR_TXT},
		{"NS", AM_RR_NS},     {"TIMEOUT", TYPE_TIMEOUT},    {"SERVFAIL", TYPE_SERVFAIL},
	};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(t, types[i].name) == 0)
			return types[i].type;
	return 0;
}

/* Parse one non-empty line into e. */
static int parse_line(char *line, struct entry *e, char *err, size_t errlen)
{
	char *save = NULL;
	char *name = strtok_r(line, " \t", &save), *type = strtok_r(NULL, " \t", &save);
	char *value = strtok_r(NULL, "", &save);
	unsigned char buf[4096];
	int n;

	memset(e, 0, sizeof(*e));
	if (name == NULL || type == NULL || (e->type = parse_type(type)) == 0) {
		snprintf(err, errlen, "bad table line '%s'", line);
		return -1;
	}
	snprintf(e->name, sizeof(e->name), "%s", name);
	if (e->name[0] && e->name[strlen(e->name) - 1] == '.' && strlen(e->name) > 1)
		e->name[strlen(e->name) - 1] = '\0';
	if (e->type < 0)
		return 0;
	while (value && (*value == ' ' || *value == '\t'))
		value++;
	if (value == NULL || (n = encode_rdata(e->type, value, buf, sizeof(buf))) < 0) {
		snprintf(err, errlen, "bad %s value for %s", type, name);
		return -1;
	}
	e->rd.data = malloc((size_t)n ? (size_t)n : 1);
	if (e->rd.data == NULL)
		return -1;
	memcpy(e->rd.data, buf, (size_t)n);
	e->rd.len = (size_t)n;
	return 0;
}

/* Collect the records of name/type into ans, following one CNAME chain. */
static void table_query(struct am_dns *dns, const char *name, enum am_rrtype type, int timeout_ms,
			struct am_dns_answer *ans)
{
	const struct table *t = dns->impl;
	char want[256];
	bool exists = false;

	(void)timeout_ms;
	snprintf(want, sizeof(want), "%s", name);
	if (want[0] && want[strlen(want) - 1] == '.')
		want[strlen(want) - 1] = '\0';
	for (int hops = 0; hops < 8; hops++) {
		const struct entry *cname = NULL;
		for (size_t i = 0; i < t->count; i++) {
			const struct entry *e = &t->e[i];
			if (strcasecmp(e->name, want) != 0)
				continue;
			exists = true;
			if (e->type == TYPE_TIMEOUT || e->type == TYPE_SERVFAIL) {
				ans->status = e->type == TYPE_TIMEOUT ? AM_DNS_TIMEOUT : AM_DNS_SERVFAIL;
				am_dns_answer_free(ans);
				return;
			}
			if (e->type == AM_RR_CNAME && type != AM_RR_CNAME)
				cname = e;
			if (e->type != (int)type)
				continue;
			struct am_dns_rdata *grown = realloc(ans->rr, (ans->count + 1) * sizeof(*grown));
			if (grown == NULL)
				break;
			ans->rr = grown;
			ans->rr[ans->count].data = malloc(e->rd.len ? e->rd.len : 1);
			if (ans->rr[ans->count].data == NULL)
				break;
			memcpy(ans->rr[ans->count].data, e->rd.data, e->rd.len);
			ans->rr[ans->count++].len = e->rd.len;
		}
		if (ans->count > 0 || cname == NULL)
			break;
		if (am_dns_name(&cname->rd, want, sizeof(want)) != 0)
			break;
	}
	ans->status = ans->count ? AM_DNS_OK : exists ? AM_DNS_NODATA : AM_DNS_NXDOMAIN;
	ans->rcode = ans->status == AM_DNS_NXDOMAIN ? 3 : 0;
}

static void table_destroy(struct am_dns *dns)
{
	struct table *t = dns->impl;
	for (size_t i = 0; i < t->count; i++)
		free(t->e[i].rd.data);
	free(t->e);
	free(t);
	free(dns);
}

static const struct am_dns_ops table_ops = {.query = table_query, .destroy = table_destroy};

/* Build a table resolver from text; see am_dns.h. */
struct am_dns *am_dns_table_new(const char *text, char *err, size_t errlen)
{
	struct am_dns *dns = calloc(1, sizeof(*dns));
	struct table *t = calloc(1, sizeof(*t));
	char *copy = strdup(text ? text : ""), *save = NULL;

	if (dns == NULL || t == NULL || copy == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	dns->ops = &table_ops;
	dns->impl = t;
	dns->query_timeout_ms = 1000;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		while (isspace((unsigned char)*line))
			line++;
		if (*line == '\0' || *line == '#')
			continue;
		struct entry *grown = realloc(t->e, (t->count + 1) * sizeof(*grown));
		if (grown == NULL)
			goto fail;
		t->e = grown;
		if (parse_line(line, &t->e[t->count], err, errlen) != 0)
			goto fail;
		t->count++;
	}
	free(copy);
	return dns;
fail:
	free(copy);
	if (t != NULL && dns != NULL && dns->ops != NULL) {
		table_destroy(dns);
		return NULL;
	}
	free(t);
	free(dns);
	return NULL;
}
