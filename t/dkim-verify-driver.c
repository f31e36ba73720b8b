/*
 * dkim-verify-driver.c - verify message files through lib/am_dkim.c, as the
 * milter does (header by header, body in 64 KiB chunks, never the whole
 * message in memory), with keys from a real DNS server (libunbound, our
 * am_dns_unbound) or from a table file. For the conformance and streaming
 * tests; not installed.
 *
 * Usage: dkim-verify-driver [options] FILE...
 *   --nameservers LIST   resolve through these servers (IP@PORT, ...)
 *   --dns-table FILE     or answer from an am_dns_table file
 *   --timeout-ms N       per-query DNS timeout (default 2000)
 *   --max-signatures N, --min-key-bits N, --partial-body pass|fail|policy (default pass:
 *   the suites judge the signature, not our l= policy)
 *   --rss                print peak RSS before the body and at the end
 * Prints one line per signature, tab separated:
 *   FILE  INDEX  RESULT  d=..  s=..  a=..  bits=N  partial=0|1  reason
 * and "FILE  -  none" for a message without a DKIM-Signature.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "am_dkim.h"
#include "msgfeed.h"

struct run {
	struct am_dkim_msg *m;
	long rss_eoh_kb;
};

/* Peak resident set size of this process so far, in KiB. */
static long peak_rss_kb(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

static int on_header(void *ctx, const char *name, const char *value)
{
	return am_dkim_header(((struct run *)ctx)->m, name, value);
}

static bool on_eoh(void *ctx)
{
	struct run *r = ctx;
	r->rss_eoh_kb = peak_rss_kb();
	return am_dkim_eoh(r->m);
}

static int on_body(void *ctx, const unsigned char *buf, size_t len)
{
	return am_dkim_body(((struct run *)ctx)->m, buf, len);
}

static const struct msgfeed_ops ops = {on_header, on_eoh, on_body};

/* Print the result lines of one message. */
static void report(const char *file, const struct am_dkim_result *res)
{
	if (res->count == 0)
		printf("%s\t-\tnone\n", file);
	for (size_t i = 0; i < res->count; i++) {
		const struct am_dkim_sig *s = &res->sigs[i];
		printf("%s\t%zu\t%s\td=%s\ts=%s\ta=%s\tbits=%u\tpartial=%d\t%s\n", file, i,
		       am_result_name(s->result), s->domain, s->selector, s->algorithm, s->key_bits,
		       s->body_partial ? 1 : 0, s->reason);
	}
	if (res->unverified > 0)
		printf("%s\t-\tunverified=%zu\n", file, res->unverified);
}

/* Verify one file; 0, or -1 when it could not be read or fed. */
static int verify_file(struct am_dkim *d, const char *file, bool rss)
{
	char err[256] = "";
	struct run r = {0};
	struct am_dkim_result res;
	struct am_dns_budget budget;
	FILE *fp = fopen(file, "rb");
	int rc = -1;

	am_dns_budget_start(&budget, 20000);
	if (fp == NULL) {
		fprintf(stderr, "%s: cannot open\n", file);
		return -1;
	}
	if ((r.m = am_dkim_msg_new(d, &budget, file, err, sizeof(err))) != NULL &&
	    msgfeed(fp, 65536, &ops, &r, err, sizeof(err)) == 0) {
		am_dkim_eom(r.m, &res);
		report(file, &res);
		rc = 0;
	} else {
		fprintf(stderr, "%s: %s\n", file, err);
	}
	if (rss)
		printf("%s\trss\tbefore_body_kb=%ld\tpeak_kb=%ld\n", file, r.rss_eoh_kb, peak_rss_kb());
	am_dkim_msg_free(r.m);
	fclose(fp);
	return rc;
}

/* Read a whole (small) text file. */
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

int main(int argc, char **argv)
{
	const char *ns = NULL, *table = NULL, *pb = "pass";
	struct am_dkim_options opt = {AM_DKIM_DEFAULT_MAX_SIGS, AM_DKIM_DEFAULT_MIN_KEY_BITS, false};
	int timeout = 2000, i, failed = 0;
	bool rss = false;
	char err[256] = "";
	struct am_dns *dns;
	struct am_dkim *d;

	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : "";
		if (strcmp(argv[i], "--rss") == 0) {
			rss = true;
			continue;
		}
		if (strcmp(argv[i], "--nameservers") == 0)
			ns = v;
		else if (strcmp(argv[i], "--dns-table") == 0)
			table = v;
		else if (strcmp(argv[i], "--timeout-ms") == 0)
			timeout = atoi(v);
		else if (strcmp(argv[i], "--max-signatures") == 0)
			opt.max_signatures = (unsigned)atoi(v);
		else if (strcmp(argv[i], "--min-key-bits") == 0)
			opt.min_key_bits = (unsigned)atoi(v);
		else if (strcmp(argv[i], "--partial-body") == 0)
			pb = v;
		else {
			fprintf(stderr, "unknown option %s\n", argv[i]);
			return 2;
		}
		i++;
	}
	opt.partial_body = strcmp(pb, "fail") == 0     ? AM_DKIM_PARTIAL_FAIL
			   : strcmp(pb, "policy") == 0 ? AM_DKIM_PARTIAL_POLICY
						       : AM_DKIM_PARTIAL_PASS;
	if (i >= argc || (ns == NULL) == (table == NULL)) {
		fprintf(stderr, "usage: %s (--nameservers LIST | --dns-table FILE) [options] FILE...\n",
			argv[0]);
		return 2;
	}
	if (table != NULL) {
		char *text = slurp(table);
		dns = text ? am_dns_table_new(text, err, sizeof(err)) : NULL;
		free(text);
	} else {
		dns = am_dns_unbound_new(ns, NULL, timeout, err, sizeof(err));
	}
	if (dns == NULL || (d = am_dkim_new(dns, &opt, err, sizeof(err))) == NULL) {
		fprintf(stderr, "setup: %s\n", err[0] ? err : "cannot read the DNS table");
		am_dns_destroy(dns);
		return 2;
	}
	if (table != NULL)
		dns->query_timeout_ms = timeout;
	for (; i < argc; i++)
		failed |= verify_file(d, argv[i], rss) != 0;
	am_dkim_free(d);
	am_dns_destroy(dns);
	return failed ? 1 : 0;
}
