/*
 * fuzz/fuzz_spf_eval.c - fuzz target: whole SPF evaluations (lib/am_spf.c
 * on libspf2 1.2.10, our DNS layer lib/am_spf_dns.c, record checks and
 * rewrites, exp= expansion) against hostile DNS data served by the
 * table-driven resolver (lib/am_dns_table.c). Macro expansion is where
 * libspf2 had its overflows; every record the table holds is evaluated
 * with the client, HELO and sender the input chooses.
 *
 * Input (text): line 1 the client IP, line 2 the HELO name, line 3 MAIL
 * FROM, the rest a resolver table ("name TYPE value" lines, see
 * am_dns.h; lines the table refuses are dropped). Checks: results are valid keywords, texts are bounded and
 * terminated, an explanation only comes with fail.
 */
#include <arpa/inet.h>

#include "am_addr.h"
#include "am_dns.h"
#include "am_spf.h"
#include "fuzz.h"

/* A resolver whose answers come from the current input's table. */
static struct am_dns proxy;
static struct am_dns *current;
static struct am_spf *spf;

static void proxy_query(struct am_dns *dns, const char *name, enum am_rrtype type, int timeout_ms,
			struct am_dns_answer *ans)
{
	(void)dns;
	current->ops->query(current, name, type, timeout_ms, ans);
}

static void proxy_destroy(struct am_dns *dns)
{
	(void)dns;
}

static const struct am_dns_ops proxy_ops = {.query = proxy_query, .destroy = proxy_destroy};

/* One libspf2 server for the whole run, as the daemon keeps one per
 * configuration; only the resolver's table changes between inputs. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc, (void)argv;
	proxy.ops = &proxy_ops;
	proxy.query_timeout_ms = 1000;
	if ((spf = am_spf_new(&proxy, "mx.fuzz.example", err, sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz_spf_eval: %s\n", err);
		abort();
	}
	return 0;
}

/* The table lines the resolver accepts (one bad line would void them all). */
static char *valid_lines(char *table)
{
	char *out = malloc(strlen(table) + 2), *save = NULL, err[256];
	size_t o = 0;

	if (out == NULL)
		abort();
	for (char *line = strtok_r(table, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct am_dns *one = am_dns_table_new(line, err, sizeof(err));
		if (one == NULL)
			continue;
		am_dns_destroy(one);
		o += (size_t)sprintf(out + o, "%s\n", line);
	}
	out[o] = '\0';
	return out;
}

/* What am_spf.h promises about a result. */
static void check_result(const struct am_spf_result *r)
{
	FUZZ_CHECK(r->checked);
	FUZZ_CHECK(r->result <= AM_RES_PERMERROR && r->result != AM_RES_POLICY);
	FUZZ_CHECK(strlen(r->domain) < sizeof(r->domain));
	FUZZ_CHECK(strlen(r->reason) < sizeof(r->reason));
	FUZZ_CHECK(strlen(r->explanation) < sizeof(r->explanation));
	FUZZ_CHECK(r->explanation[0] == '\0' || r->result == AM_RES_FAIL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	char *ip = fuzz_next(&in, '\n'), *helo = fuzz_next(&in, '\n'), *from = fuzz_next(&in, '\n');
	char *raw = fuzz_cstr(in.p, in.left), *table = valid_lines(raw), err[256];
	struct am_dns_budget budget;
	struct am_spf_result res;
	struct am_ip client;

	if (am_ip_parse(ip, &client) != 0 && am_ip_parse("192.0.2.1", &client) != 0)
		abort();
	if ((current = am_dns_table_new(table, err, sizeof(err))) != NULL) {
		am_dns_budget_start(&budget, 0);
		am_spf_check_helo(spf, &budget, &client, helo, &res);
		check_result(&res);
		am_dns_budget_start(&budget, 0);
		am_spf_check_mailfrom(spf, &budget, &client, helo, from, &res);
		check_result(&res);
		am_dns_destroy(current);
		current = NULL;
	}
	free(ip), free(helo), free(from), free(raw), free(table);
	return 0;
}
