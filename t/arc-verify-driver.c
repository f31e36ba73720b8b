/*
 * arc-verify-driver.c - verify message files through lib/am_arc*.c as the
 * milter does (header by header, body in chunks), with keys from a real
 * DNS server (libunbound) or an am_dns_table file. For the conformance
 * test and the CPU measurement of one ARC set; not installed.
 *
 * Usage: arc-verify-driver [options] FILE...
 *   --nameservers LIST   resolve through these servers (IP@PORT, ...)
 *   --dns-table FILE     or answer from an am_dns_table file
 *   --timeout-ms N       per-query DNS timeout (default 2000)
 *   --max-ams N          [arc] max_ams_checks (default 3)
 *   --repeat N           verify each file N times; print CPU microseconds
 *                        per verification ("FILE  cpu_us=...")
 * Prints one line per file, tab separated:
 *   FILE  RESULT  i=N  oldest=N  sealer=D  queries=N  reason
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "am_arc.h"
#include "driver_dns.h"
#include "msgfeed.h"

static int on_header(void *ctx, const char *name, const char *value)
{
	return am_arc_header(ctx, name, value);
}

static bool on_eoh(void *ctx)
{
	return am_arc_eoh(ctx);
}

static int on_body(void *ctx, const unsigned char *buf, size_t len)
{
	am_arc_body(ctx, buf, len);
	return 0;
}

static const struct msgfeed_ops ops = {on_header, on_eoh, on_body};

/* Verify one file into res; 0, or -1 when it could not be read or fed. */
static int verify(struct am_dns *dns, const struct am_arc_options *opt, const char *file,
		  struct am_arc_result *res, unsigned *queries)
{
	char err[256] = "";
	struct am_dns_budget budget;
	struct am_arc_msg *m;
	FILE *fp = fopen(file, "rb");
	int rc = -1;

	am_dns_budget_start(&budget, 20000);
	if (fp == NULL) {
		fprintf(stderr, "%s: cannot open\n", file);
		return -1;
	}
	if ((m = am_arc_msg_new(dns, &budget, opt, err, sizeof(err))) != NULL &&
	    msgfeed(fp, 65536, &ops, m, err, sizeof(err)) == 0) {
		am_arc_eom(m, "192.0.2.1", res);
		rc = 0;
	} else {
		fprintf(stderr, "%s: %s\n", file, err);
	}
	*queries = budget.queries;
	am_arc_msg_free(m);
	fclose(fp);
	return rc;
}

/* Process CPU time in microseconds. */
static double cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	const char *ns = NULL, *table = NULL;
	struct am_arc_options opt = {.max_ams_checks = AM_ARC_DEFAULT_MAX_AMS};
	int timeout = 2000, repeat = 0, i, failed = 0;
	char err[256] = "";
	struct am_dns *dns;

	for (i = 1; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--nameservers") == 0)
			ns = argv[i + 1];
		else if (strcmp(argv[i], "--dns-table") == 0)
			table = argv[i + 1];
		else if (strcmp(argv[i], "--timeout-ms") == 0)
			timeout = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--max-ams") == 0)
			opt.max_ams_checks = (unsigned)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--repeat") == 0)
			repeat = atoi(argv[i + 1]);
		else {
			fprintf(stderr, "arc-verify-driver: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if ((dns = driver_dns_new(ns, table, timeout, err, sizeof(err))) == NULL) {
		fprintf(stderr, "arc-verify-driver: %s\n", err);
		return 1;
	}
	for (; i < argc; i++) {
		struct am_arc_result res;
		unsigned q = 0;
		if (verify(dns, &opt, argv[i], &res, &q) != 0) {
			failed = 1;
			continue;
		}
		printf("%s\t%s\ti=%u\toldest=%u\tsealer=%s\tqueries=%u\t%s\n", argv[i],
		       am_result_name(res.result), res.instances, res.oldest_pass, res.sealer, q, res.reason);
		double t0 = cpu_us();
		for (int r = 0; r < repeat; r++)
			failed |= verify(dns, &opt, argv[i], &res, &q) != 0;
		if (repeat > 0)
			printf("%s\tcpu_us=%.1f\n", argv[i], (cpu_us() - t0) / repeat);
	}
	am_dns_destroy(dns);
	return failed;
}
