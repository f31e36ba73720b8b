/*
 * am_report_data.c - one JSON line of RFC 9990 aggregate report data per
 * DMARC-evaluated message, its append to the data file, and the one call
 * the session makes at end of message. What the
 * report's record needs is decided here (disposition really applied,
 * override reasons, the SPF identity of the null sender); how records are
 * grouped, written as XML and sent is contrib/authmilter-dmarc-report's.
 *
 * Keys: v (format 1), id, t (seconds), host, ip, hfrom, efrom, eto, pdom,
 * disc, p, sp, np, adkim, aspf, testing, fo, rua, disp, dkim, spf (aligned
 * pass/fail), reasons [[type, comment]], sigs [[d, s, result]], spfres
 * [domain, result] or null, loop (the message was our own report mail).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "am_config.h"
#include "am_dmarc_record.h"
#include "am_log.h"
#include "am_report_data.h"
#include "am_runtime.h"

/* An output buffer that remembers it overflowed. */
struct jbuf {
	char *p;
	size_t len, cap;
	bool over;
};

/* Append raw bytes. */
static void put_raw(struct jbuf *b, const char *s, size_t n)
{
	if (b->over || b->len + n >= b->cap) {
		b->over = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Append a JSON string: quotes, backslash and control bytes escaped;
 * other bytes (UTF-8 in comments) pass unchanged. */
static void put_str(struct jbuf *b, const char *s)
{
	put_raw(b, "\"", 1);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		char esc[8];
		if (*c == '"' || *c == '\\') {
			esc[0] = '\\', esc[1] = (char)*c;
			put_raw(b, esc, 2);
		} else if (*c < 0x20 || *c == 0x7f) {
			snprintf(esc, sizeof esc, "\\u%04x", *c);
			put_raw(b, esc, 6);
		} else {
			put_raw(b, (const char *)c, 1);
		}
	}
	put_raw(b, "\"", 1);
}

/* Append ,"key":"value" (the first key comes without a comma). */
static void put_kv(struct jbuf *b, const char *key, const char *value)
{
	put_raw(b, ",", b->len > 1);
	put_str(b, key);
	put_raw(b, ":", 1);
	put_str(b, value);
}

/* The domain of an address (after the last '@'), or "" when it has none. */
static const char *domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');
	return at ? at + 1 : "";
}

/* Is this message's DMARC outcome one a report carries? */
bool am_report_data_wanted(const struct am_results *r)
{
	const struct am_dmarc_result *d = &r->dmarc;

	return d->checked && d->policy_domain[0] != '\0' &&
	       (d->result == AM_RES_PASS || d->result == AM_RES_FAIL);
}

/* Append one [type, comment] override reason. */
static void put_reason(struct jbuf *b, int *n, const char *type, const char *comment)
{
	put_raw(b, ",", *n > 0);
	put_raw(b, "[", 1);
	put_str(b, type);
	put_raw(b, ",", 1);
	put_str(b, comment);
	put_raw(b, "]", 1);
	(*n)++;
}

/* RFC 9990 disposition really applied (am_policy_dmarc() set it, with
 * every override reason) ("pass": DMARC passed under an enforcing policy). */
static void put_disposition(struct jbuf *b, const struct am_dmarc_result *d)
{
	int n = 0;

	if (d->result == AM_RES_PASS)
		put_kv(b, "disp", d->policy == AM_DMARC_P_QUARANTINE || d->policy == AM_DMARC_P_REJECT ? "pass" : "none");
	else
		put_kv(b, "disp", am_dmarc_policy_name(d->disposition == AM_DMARC_P_UNSPEC ? AM_DMARC_P_NONE
											 : d->disposition));
	put_raw(b, ",\"reasons\":[", 12);
	for (unsigned i = 0; i < d->noverrides && i < AM_DMARC_OVERRIDES_MAX; i++)
		put_reason(b, &n, am_dmarc_override_name(d->overrides[i].type), d->overrides[i].comment);
	put_raw(b, "]", 1);
}

/* Every DKIM signature [d, s, result] and the SPF MAIL FROM identity. For
 * the null sender that identity is postmaster@HELO (RFC 7208 2.4), whose
 * result is the HELO check's. */
static void put_auth(struct jbuf *b, const struct am_report_env *env, const struct am_results *r)
{
	const struct am_spf_result *spf = env->mail_from[0] ? &r->spf_mailfrom : &r->spf_helo;

	put_raw(b, ",\"sigs\":[", 9);
	for (size_t i = 0; i < r->dkim.count && i < AM_DKIM_MAX_SIGS; i++) {
		const struct am_dkim_sig *s = &r->dkim.sigs[i];
		put_raw(b, ",", i > 0);
		put_raw(b, "[", 1);
		put_str(b, s->domain);
		put_raw(b, ",", 1);
		put_str(b, s->selector);
		put_raw(b, ",", 1);
		put_str(b, am_result_name(s->result));
		put_raw(b, "]", 1);
	}
	put_raw(b, "],\"spfres\":", 11);
	if (!spf->checked) {
		put_raw(b, "null", 4);
		return;
	}
	put_raw(b, "[", 1);
	put_str(b, spf->domain[0] ? spf->domain : env->mail_from[0] ? domain_of(env->mail_from) : env->helo);
	put_raw(b, ",", 1);
	put_str(b, am_result_name(spf->result));
	put_raw(b, "]", 1);
}

/* Format the record of one message (see header). */
int am_report_data_format(const struct am_report_env *env, const struct am_results *r, char *out,
			  size_t outlen, char *err, size_t errlen)
{
	const struct am_dmarc_result *d = &r->dmarc;
	struct jbuf b = {.p = out, .cap = outlen};
	char id[400], num[32], flag[2] = {0};

	snprintf(id, sizeof id, "%s/%s/%s/%lld", env->host, env->conn_id, env->queue_id,
		 (long long)env->time_us);
	put_raw(&b, "{\"v\":1", 6);
	put_kv(&b, "id", id);
	snprintf(num, sizeof num, ",\"t\":%lld", (long long)(env->time_us / 1000000));
	put_raw(&b, num, strlen(num));
	put_kv(&b, "host", env->host);
	put_kv(&b, "ip", env->client_ip);
	put_kv(&b, "hfrom", d->header_from);
	put_kv(&b, "efrom", domain_of(env->mail_from));
	/* one domain per record: the first accepted recipient's (see the man page) */
	put_kv(&b, "eto", env->nrcpts > 0 ? domain_of(env->rcpts[0]) : "");
	put_kv(&b, "pdom", d->policy_domain);
	put_kv(&b, "disc", d->discovery == AM_DMARC_TREEWALK ? "treewalk" : "psl");
	put_kv(&b, "p", am_dmarc_policy_name(d->p)); /* "" when the tag was absent */
	put_kv(&b, "sp", am_dmarc_policy_name(d->sp));
	put_kv(&b, "np", am_dmarc_policy_name(d->np));
	put_kv(&b, "adkim", (flag[0] = d->adkim ? d->adkim : 'r', flag));
	put_kv(&b, "aspf", (flag[0] = d->aspf ? d->aspf : 'r', flag));
	put_kv(&b, "testing", d->discovery == AM_DMARC_TREEWALK && d->testing ? "y" : "n");
	put_kv(&b, "fo", d->fo);
	put_kv(&b, "rua", d->rua);
	put_disposition(&b, d);
	put_kv(&b, "dkim", d->dkim_aligned ? "pass" : "fail");
	put_kv(&b, "spf", d->spf_aligned ? "pass" : "fail");
	put_auth(&b, env, r);
	put_raw(&b, ",\"loop\":", 8);
	if (env->report_from[0] != '\0' && strcasecmp(env->report_from, env->mail_from) == 0)
		put_raw(&b, "true}\n", 6);
	else
		put_raw(&b, "false}\n", 7);
	if (b.over) {
		snprintf(err, errlen, "report data: record longer than %zu bytes", outlen);
		return -1;
	}
	return (int)b.len;
}

/* Append one whole line (see header). Opened per line so that a rotated file
 * needs no signal: format and append took ~2-3 us per record here (the unit
 * test's loop), against ~0.5 ms of CPU per message; callgrind counts 13.4k of
 * the session's ~19M instructions for one DKIM-signed message (0.07%). */
int am_report_data_append(const char *path, const char *line, size_t len, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	ssize_t n;

	if (fd < 0) {
		snprintf(err, errlen, "report data: open %s: %s", path, strerror(errno));
		return -1;
	}
	n = write(fd, line, len);
	if (n != (ssize_t)len) {
		snprintf(err, errlen, "report data: write %s: %s", path,
			 n < 0 ? strerror(errno) : "short write");
		close(fd);
		return -1;
	}
	if (close(fd) != 0) {
		snprintf(err, errlen, "report data: close %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* The session's end-of-message record (see header). */
void am_report_data_record(const struct am_conn *c)
{
	const struct am_msg *m = &c->msg;
	const struct am_config *cfg = m->rt->cfg;
	char host[256], line[AM_REPORT_LINE_MAX], err[300];
	struct timespec now;
	int len;

	if (!cfg->report_enable || m->rt->dmarc == NULL || !am_report_data_wanted(&m->results))
		return;
	if (cfg->report_host[0] != '\0')
		snprintf(host, sizeof host, "%s", cfg->report_host);
	else if (gethostname(host, sizeof host) != 0)
		snprintf(host, sizeof host, "localhost");
	clock_gettime(CLOCK_REALTIME, &now);
	struct am_report_env env = {
		.host = host, .conn_id = c->id, .queue_id = m->queue_id,
		.time_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000,
		.client_ip = c->client_ip, .helo = c->helo, .mail_from = m->mail_from,
		.rcpts = (const char *const *)m->rcpts, .nrcpts = m->nrcpts,
		.report_from = cfg->report_from,
	};
	len = am_report_data_format(&env, &m->results, line, sizeof line, err, sizeof err);
	if (len < 0 || am_report_data_append(cfg->report_data_file, line, (size_t)len, err, sizeof err) != 0)
		am_log(LOG_WARNING, "%s: %s", m->queue_id[0] ? m->queue_id : c->id, err);
}
