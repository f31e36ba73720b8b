/*
 * spf-suite-driver.c - runs the cases of one scenario of the openspf RFC 7208
 * suite (a case file written by t/spf-suite-convert.py) through lib/am_spf.c
 * against a real DNS server, and prints one line per case:
 *   "ok SCENARIO/NAME result (reason)" or
 *   "diverge SCENARIO/NAME got=RESULT want=LIST [exp got='...' want='...'] (reason)".
 * Judging divergences against t/spf-divergences.txt is the shell script's job.
 *
 * Usage: spf-suite-driver NAMESERVER CASEFILE [QUERY_TIMEOUT_MS]
 * Exit: 0 when every case ran, 2 on a setup error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am_addr.h"
#include "am_dns.h"
#include "am_spf.h"

enum { F_SCENARIO, F_NAME, F_HELO, F_HOST, F_MAILFROM, F_RESULTS, F_EXP, F_COUNT };

/* Undo the converter's \xHH escapes in place. */
static void unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		unsigned v;
		if (r[0] == '\\' && r[1] == 'x' && sscanf(r + 2, "%2x", &v) == 1) {
			*w++ = (char)v;
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* Split a case line into its tab-separated fields (empty ones kept). */
static int split(char *line, char *f[F_COUNT])
{
	int n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	for (char *rest = line; rest != NULL && n < F_COUNT;)
		f[n++] = strsep(&rest, "\t");
	for (int i = 0; i < n; i++)
		unescape(f[i]);
	return n == F_COUNT ? 0 : -1;
}

/* Is got one of the comma-separated results in want? */
static int result_in(const char *got, const char *want)
{
	char list[128], *save = NULL;

	snprintf(list, sizeof(list), "%s", want);
	for (char *r = strtok_r(list, ",", &save); r; r = strtok_r(NULL, ",", &save))
		if (strcmp(r, got) == 0)
			return 1;
	return 0;
}

/* Run one case; returns 1 when it matches the suite. */
static int run_case(struct am_spf *spf, char *f[F_COUNT])
{
	struct am_dns_budget budget;
	struct am_spf_result res;
	struct am_ip ip;
	const char *got, *want_exp;
	int match;

	if (am_ip_parse(f[F_HOST], &ip) != 0) {
		printf("diverge %s/%s bad host '%s'\n", f[F_SCENARIO], f[F_NAME], f[F_HOST]);
		return 0;
	}
	am_dns_budget_start(&budget, 20000);
	am_spf_check_mailfrom(spf, &budget, &ip, f[F_HELO], f[F_MAILFROM], &res);
	got = am_result_name(res.result);
	match = result_in(got, f[F_RESULTS]);
	/* "DEFAULT" is the implementation's own text: ours is none at all */
	want_exp = strcmp(f[F_EXP], "DEFAULT") == 0 ? "" : f[F_EXP];
	if (match && strcmp(f[F_EXP], "-") != 0 && res.result == AM_RES_FAIL &&
	    strcmp(res.explanation, want_exp) != 0) {
		printf("diverge %s/%s got=%s want=%s exp got='%s' want='%s' (%s)\n", f[F_SCENARIO],
		       f[F_NAME], got, f[F_RESULTS], res.explanation, want_exp, res.reason);
		return 0;
	}
	if (match)
		printf("ok %s/%s %s (%s)\n", f[F_SCENARIO], f[F_NAME], got, res.reason);
	else
		printf("diverge %s/%s got=%s want=%s (%s)\n", f[F_SCENARIO], f[F_NAME], got,
		       f[F_RESULTS], res.reason);
	return match;
}

int main(int argc, char **argv)
{
	char err[256], line[4096];
	struct am_dns *dns;
	struct am_spf *spf;
	FILE *cases;

	if (argc < 3) {
		fprintf(stderr, "usage: %s NAMESERVER CASEFILE [QUERY_TIMEOUT_MS]\n", argv[0]);
		return 2;
	}
	if ((cases = fopen(argv[2], "r")) == NULL) {
		perror(argv[2]);
		return 2;
	}
	dns = am_dns_unbound_new(argv[1], NULL, argc > 3 ? atoi(argv[3]) : 500, err, sizeof(err));
	if (dns == NULL || (spf = am_spf_new(dns, "receiver.example.org", err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s: %s\n", argv[0], err);
		am_dns_destroy(dns);
		fclose(cases);
		return 2;
	}
	while (fgets(line, sizeof(line), cases) != NULL) {
		char *f[F_COUNT];
		if (line[0] == '\n' || split(line, f) != 0)
			continue;
		run_case(spf, f);
		fflush(stdout);
	}
	fclose(cases);
	am_spf_free(spf);
	am_dns_destroy(dns);
	return 0;
}
