/*
 * fuzz/fuzz_arc.c - fuzz target: ARC verification (lib/am_arc*.c) of a
 * whole message, header by header and body in chunks as a milter gets it,
 * against a table resolver with the DKIM fixture keys (t/data/dkim/keys.zone,
 * found through the top_srcdir environment variable; fuzz/seeds/arc holds
 * sets sealed with them), then the trust step
 * with a trusted-sealers list; and the tag-list and AAR parsers on every
 * header value. Input: the message as stored (LF or CRLF).
 * Checks: the result is pass, fail or none; a failure has a reason; the
 * instances and oldest-pass stay within RFC 8617's bounds; trust needs a
 * passing chain.
 */
#include "am_arc_int.h"
#include "am_message.h"
#include "fuzz.h"

static struct am_dns *dns;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256], *table = fuzz_dns_table("slow._domainkey.example TIMEOUT\n");

	(void)argc, (void)argv;
	dns = am_dns_table_new(table, err, sizeof(err));
	free(table);
	if (dns == NULL) {
		fprintf(stderr, "fuzz_arc: %s\n", err);
		abort();
	}
	return 0;
}

/* Each header value also goes through the two parsers alone. */
static int on_header(void *c, const char *name, const char *value)
{
	struct am_arc_tags tags;
	struct am_arc_resinfo res[4];
	unsigned inst;
	size_t n;
	char err[128];

	if (am_arc_tags_parse(value, &tags, err, sizeof(err)) == 0)
		FUZZ_CHECK(tags.n >= 1 && tags.n <= AM_ARC_MAX_TAGS);
	if (am_arc_aar_parse(value, &inst, res, 4, &n) == 0)
		FUZZ_CHECK(inst > 0 && n <= 4);
	return am_arc_header(c, name, value) == 0 ? 0 : 1;
}

static bool on_eoh(void *c)
{
	return am_arc_eoh(c);
}

static int on_body(void *c, const unsigned char *buf, size_t len)
{
	am_arc_body(c, buf, len);
	return 0;
}

static const struct am_message_ops ops = {on_header, on_eoh, on_body};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct am_arc_options opt = {.max_ams_checks = 3, .trusted_sealers = "example.com .example",
				     .require_client = size & 1};
	struct am_arc_trust_input in = {.author_domain = "example.com",
					.spf_pass_domain = "example.com", .client_host = NULL};
	struct am_message_opts mopt = {.chunk = 64};
	struct am_dns_budget budget;
	struct am_arc_result r;
	char err[256];
	struct am_arc_msg *m;

	am_dns_budget_start(&budget, 2000);
	if ((m = am_arc_msg_new(dns, &budget, &opt, err, sizeof(err))) == NULL)
		abort();
	(void)am_message_feed_buf((const char *)data, size, &mopt, &ops, m, err, sizeof(err));
	am_arc_eom(m, "192.0.2.1", &r);
	am_arc_trust(m, &in, &r);
	FUZZ_CHECK(r.result == AM_RES_PASS || r.result == AM_RES_FAIL || r.result == AM_RES_NONE);
	FUZZ_CHECK(r.result != AM_RES_FAIL || r.reason[0] != '\0');
	FUZZ_CHECK(r.instances <= AM_ARC_MAX_INSTANCES && r.oldest_pass <= r.instances);
	FUZZ_CHECK(!r.trusted_author_pass || (r.result == AM_RES_PASS && r.trusted_sealer[0]));
	FUZZ_CHECK(budget.queries <= AM_ARC_MAX_KEYS);
	am_arc_msg_free(m);
	return 0;
}
