/*
 * fuzz/fuzz_message.c - fuzz target: a whole message through the session
 * (lib/am_session.c: header hygiene, forged AR and BIMI removal, DKIM on
 * libopendkim, DMARC, BIMI, the policy and the AR writer), as the milter
 * callbacks drive it, against a table resolver with SPF, DMARC, BIMI and
 * the DKIM fixture keys (t/data/dkim/keys.zone, found through the
 * top_srcdir environment variable; without it no key verifies).
 *
 * Input: one byte choosing the envelope (client, MAIL FROM), then the
 * message as stored (LF or CRLF), split by lib/am_message.c as an MTA
 * would. Checks: the verdict is a valid action with a printable reply, the
 * AR header is one well-formed field body, deletions are sorted highest
 * index first.
 */
#include <syslog.h>

#include "am_log.h"
#include "am_message.h"
#include "am_runtime.h"
#include "am_session.h"
#include "fuzz.h"

static struct am_runtime *rt;

static const char zone[] =
	"example.com TXT v=spf1 ip4:192.0.2.0/24 -all\n"
	"_dmarc.example.com TXT v=DMARC1; p=reject; rua=mailto:d@example.com\n"
	"default._bimi.example.com TXT v=BIMI1; l=https://example.com/logo.svg\n"
	"example.org TXT v=spf1 -all\n"
	"_dmarc.example.org TXT v=DMARC1; p=quarantine; sp=none; pct=50; adkim=s\n"
	"mail.example.com A 192.0.2.1\n"
	"1.2.0.192.in-addr.arpa PTR mail.example.com\n"
	"slow.example TIMEOUT\n";

/* One generation for the whole run, as the daemon has between reloads. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512], *table = fuzz_dns_table(zone);
	struct am_config *cfg = am_config_defaults(err, sizeof(err));
	struct am_dns *dns = am_dns_table_new(table, err, sizeof(err));

	(void)argc, (void)argv;
	free(table);
	am_log_open_stderr(LOG_EMERG); /* one decision line per input is noise */
	if (cfg == NULL || dns == NULL ||
	    am_config_set(cfg, "server", "authserv_id", "mx.fuzz.example", "fuzz", 1, err, sizeof(err)) != 0 ||
	    am_config_set(cfg, "server", "trusted_networks", "", "fuzz", 1, err, sizeof(err)) != 0 ||
	    am_config_set(cfg, "greylist", "enable", "no", "fuzz", 1, err, sizeof(err)) != 0 ||
	    (rt = am_runtime_new_with_dns(cfg, dns, NULL, 1, err, sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz_message: %s\n", err);
		abort();
	}
	return 0;
}

static int on_header(void *c, const char *name, const char *value)
{
	am_session_header(c, name, value);
	return 0;
}

static bool on_eoh(void *c)
{
	return am_session_eoh(c);
}

static int on_body(void *c, const unsigned char *buf, size_t len)
{
	am_session_body(c, buf, len);
	return 0;
}

/* Our AR value: printable, folded with LF + TAB, lines within 998. */
static void check_authres(const char *v)
{
	size_t line = 0;

	for (const char *p = v; *p; p++) {
		if (*p == '\n') {
			FUZZ_CHECK(p[1] == '\t');
			line = 0;
			continue;
		}
		FUZZ_CHECK(((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f) || *p == '\t');
		FUZZ_CHECK(++line <= 998 - 24);
	}
	FUZZ_CHECK(strncmp(v, "mx.fuzz.example;", 16) == 0);
}

/* What the milter would act on must be well-formed. */
static void check_outcome(const struct am_verdict *v, const struct am_edits *e)
{
	FUZZ_CHECK(v->action >= AM_ACT_NONE && v->action <= AM_ACT_REJECT);
	FUZZ_CHECK(strlen(v->text) < sizeof(v->text) && strlen(v->code) < sizeof(v->code));
	FUZZ_CHECK(e->ndeletes == 0 || e->deletes != NULL);
	for (unsigned i = 1; i < e->ndeletes; i++)
		FUZZ_CHECK(strcasecmp(e->deletes[i].name, e->deletes[i - 1].name) != 0 ||
			   e->deletes[i].index < e->deletes[i - 1].index);
	if (e->add_authres)
		check_authres(e->authres);
	if (e->add_bimi_location)
		FUZZ_CHECK(fuzz_printable(e->bimi_location) || strchr(e->bimi_location, '\n'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ips[] = {"192.0.2.1", "198.51.100.7", "2001:db8::25", "::ffff:192.0.2.9"};
	static const char *const froms[] = {"<bounce@example.com>", "<x@example.org>", "<>",
					    "<u@slow.example>"};
	static const struct am_message_ops ops = {on_header, on_eoh, on_body};
	struct fuzz_in in = {data, size};
	unsigned sel = fuzz_byte(&in);
	char *msg = malloc(in.left ? in.left : 1), err[256];
	struct am_edits *e = calloc(1, sizeof(*e));
	struct am_conn *c;
	struct am_verdict v;

	if (msg == NULL || e == NULL)
		abort();
	memcpy(msg, in.p, in.left);
	c = am_session_open(am_runtime_ref(rt), "F1");
	FUZZ_CHECK(c != NULL);
	am_session_connect(c, (sel & 16) ? "unknown" : "mail.example.com", ips[sel % 4], NULL);
	am_session_helo(c, "mail.example.com");
	am_session_mail(c, am_runtime_ref(rt), froms[(sel >> 2) % 4], NULL, NULL); /* the message keeps it */
	am_session_rcpt(c, "<b@rcpt.example>", &v);
	if (am_message_feed_buf(msg, in.left, NULL, &ops, c, err, sizeof(err)) != AM_MESSAGE_ERROR) {
		am_session_eom(c, &v, e);
		if (getenv("FUZZ_VERBOSE") != NULL) /* to see what a seed exercises */
			fprintf(stderr, "%s %s %s | %s\n", am_action_name(v.action), v.code, v.text,
				e->add_authres ? e->authres : "(no AR)");
		check_outcome(&v, e);
	}
	am_session_abort(c);
	am_session_close(c);
	free(msg);
	free(e);
	return 0;
}
