/*
 * test_am_log.c - the decision line: stable keys, escaping of wire text,
 * NOQUEUE before the MTA has a queue id, dry-run "would"; the same fields
 * as one JSON object ([log] format = json), escaped, never cut open; and
 * the [log] verbose detail lines.
 */
#include <stdio.h>
#include <string.h>

#include "am_log.h"
#include "tap.h"

/* The JSON form: the same fields, escaped; iprev and auth keys. */
static void test_json(void)
{
	struct am_results r = {0};
	struct am_verdict v = {.action = AM_ACT_ACCEPT, .would = AM_ACT_ACCEPT, .reason = "pass", .score = 2};
	char line[4096], text[4096];
	struct am_log_entry e = {.queue_id = "4XyZ1", .conn_id = "C7", .stage = "eom",
				 .client_ip = "192.0.2.1", .helo = "evil\"\\\n\x01\xff\xc3\xa9",
				 .mail_from = "a@example.com", .results = &r, .verdict = &v, .ms = 12};

	r.spf_mailfrom = (struct am_spf_result){.checked = true, .result = AM_RES_PASS};
	strcpy(r.spf_mailfrom.domain, "example.com");
	r.iprev = (struct am_iprev_result){.checked = true, .result = AM_RES_PASS};
	strcpy(r.iprev.name, "mail.example.com");
	strcpy(r.auth_user, "alice");
	am_log_format(&e, text, sizeof(text));
	ok(strstr(text, " auth=alice ") && strstr(text, " iprev=pass(mail.example.com) "),
	   "key=value: auth and iprev keys");
	e.json = true;
	am_log_format(&e, line, sizeof(line));
	is_str(line, "{\"queue_id\":\"4XyZ1\",\"conn\":\"C7\",\"action\":\"accept\",\"reason\":\"pass\","
		     "\"stage\":\"eom\",\"client\":\"[192.0.2.1]\","
		     "\"helo\":\"evil\\\"\\\\\\u000a\\u0001\\ufffd\xc3\xa9\",\"from\":\"a@example.com\","
		     "\"auth\":\"alice\",\"spf\":\"pass(example.com)\",\"iprev\":\"pass(mail.example.com)\","
		     "\"score\":2,\"ms\":12}",
	       "JSON: the same fields in order; quotes, backslashes, controls escaped; bad UTF-8 as U+FFFD");
	e.helo = "";
	am_log_format(&e, line, sizeof(line));
	ok(strstr(line, "\"helo\":\"\"") != NULL, "JSON: an empty value is an empty string");
	am_log_format(&e, line, 120);
	ok(strlen(line) < 120 && line[strlen(line) - 1] == '}' && strstr(line, "\"ms\"") == NULL,
	   "JSON: a short buffer drops whole fields and still closes the object");
}

/* Collects detail lines for test_details. */
static void collect(void *arg, const char *line)
{
	char *all = arg;
	size_t len = strlen(all);

	snprintf(all + len, 8192 - len, "%s\n", line);
}

/* Which SPF term decided, when the record alone can say. */
static void test_terms(struct am_log_entry *e, struct am_results *r)
{
	static const struct { const char *record; enum am_result result; const char *want; } cases[] = {
		{"v=spf1 ip4:192.0.2.0/24 -all", AM_RES_PASS, " term=ip4:192.0.2.0/24 "},
		{"v=spf1 a mx ~all", AM_RES_PASS, ""},                      /* a or mx: cannot tell */
		{"v=spf1 include:_spf.example ~all", AM_RES_SOFTFAIL, " term=~all "},
		{"v=spf1 -ip4:192.0.2.1 -all", AM_RES_FAIL, ""},
		{"v=spf1 ip4:192.0.2.0/24 redirect=other.example", AM_RES_FAIL, ""},
		{"v=spf1 +ip4:192.0.2.0/24 exp=why.example -all", AM_RES_FAIL, " term=-all "},
	};
	static char all[8192];

	e->json = false;
	memset(&r->dkim, 0, sizeof(r->dkim));
	memset(&r->dmarc, 0, sizeof(r->dmarc));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r->spf_mailfrom.result = cases[i].result;
		strcpy(r->spf_mailfrom.record, cases[i].record);
		all[0] = '\0';
		am_log_details(e, collect, all);
		if (cases[i].want[0])
			ok(strstr(all, cases[i].want) != NULL, "term of %s: %s", cases[i].record, cases[i].want);
		else
			ok(strstr(all, " term=") == NULL, "no term for %s", cases[i].record);
	}
}

/* [log] verbose: the record, term reason, signature and DMARC tag. */
static void test_details(void)
{
	struct am_results r = {0};
	struct am_verdict v = {.action = AM_ACT_ACCEPT, .reason = "pass"};
	struct am_log_entry e = {.queue_id = "Q1", .conn_id = "C1", .stage = "eom", .results = &r, .verdict = &v};
	static char all[8192];

	r.spf_mailfrom = (struct am_spf_result){.checked = true, .result = AM_RES_FAIL};
	strcpy(r.spf_mailfrom.domain, "example.com");
	strcpy(r.spf_mailfrom.record, "v=spf1 ip4:192.0.2.0/24 -all");
	strcpy(r.spf_mailfrom.reason, "a mechanism matched");
	r.dkim.checked = true;
	r.dkim.count = 1;
	r.dkim.sigs[0] = (struct am_dkim_sig){.result = AM_RES_FAIL, .key_bits = 2048};
	strcpy(r.dkim.sigs[0].domain, "example.com");
	strcpy(r.dkim.sigs[0].selector, "sel");
	strcpy(r.dkim.sigs[0].algorithm, "rsa-sha256");
	strcpy(r.dkim.sigs[0].reason, "body hash mismatch");
	r.dmarc = (struct am_dmarc_result){.checked = true, .result = AM_RES_FAIL, .p = AM_DMARC_P_REJECT,
					   .sp = AM_DMARC_P_NONE, .policy = AM_DMARC_P_NONE, .adkim = 's', .aspf = 'r'};
	strcpy(r.dmarc.header_from, "a.example.com");
	strcpy(r.dmarc.policy_domain, "example.com");
	strcpy(r.dmarc.policy_tag, "sp");
	all[0] = '\0';
	am_log_details(&e, collect, all);
	is_str(all,
	       "Q1: detail=spf conn=C1 identity=mailfrom domain=example.com result=fail "
	       "record=\"v=spf1 ip4:192.0.2.0/24 -all\" term=-all why=\"a mechanism matched\"\n"
	       "Q1: detail=dkim conn=C1 d=example.com s=sel a=rsa-sha256 bits=2048 result=fail why=\"body hash mismatch\"\n"
	       "Q1: detail=dmarc conn=C1 hfrom=a.example.com record=example.com tag=\"sp=none\" "
	       "modes=\"adkim=s aspf=r\" spf_domain=\"\" dkim_domain=\"\" result=fail why=-\n",
	       "detail lines: SPF record and why, each DKIM signature and why, the DMARC record, tag and modes");
	e.json = true;
	all[0] = '\0';
	am_log_details(&e, collect, all);
	ok(strncmp(all, "{\"queue_id\":\"Q1\",\"detail\":\"spf\",", 32) == 0, "detail lines in JSON too");
	test_terms(&e, &r);
}

int main(void)
{
	test_json();
	test_details();
	struct am_results r = {0};
	struct am_verdict v = {.action = AM_ACT_REJECT, .would = AM_ACT_REJECT, .reason = "spf", .score = 5};
	char line[4096], esc[64];
	struct am_log_entry e = {.conn_id = "C1", .stage = "rcpt", .client_ip = "192.0.2.1",
				 .helo = "mx.example", .mail_from = "a@example.com", .rcpt = "b@example.org",
				 .results = &r, .verdict = &v, .ms = 3};

	r.spf_mailfrom = (struct am_spf_result){.checked = true, .result = AM_RES_FAIL};
	strcpy(r.spf_mailfrom.domain, "example.com");
	am_log_format(&e, line, sizeof(line));
	is_str(line, "NOQUEUE: conn=C1 action=reject reason=spf stage=rcpt client=[192.0.2.1] "
		     "helo=mx.example from=a@example.com rcpt=b@example.org spf=fail(example.com) score=5 ms=3",
	       "decision line before a queue id");

	e.queue_id = "4XyZ1";
	e.helo = "evil\nFAKE: action=accept";
	e.mail_from = "";
	v.action = AM_ACT_ACCEPT;
	am_log_format(&e, line, sizeof(line));
	ok(strncmp(line, "4XyZ1: ", 7) == 0, "queue id leads");
	ok(strstr(line, "helo=\"evil\\x0aFAKE: action=accept\"") != NULL, "newline in HELO escaped");
	ok(strstr(line, "from=\"\"") != NULL, "null sender shown as empty quotes");
	ok(strstr(line, "action=accept would=reject") != NULL, "dry run shows the suppressed action");
	ok(strchr(line, '\n') == NULL, "one line");

	/* The MTA's macros: {i} leads the line, {auth_authen} is in trusted= */
	e.queue_id = "X9\nX9: conn=C0 action=accept";
	r.trusted = true;
	strcpy(r.trusted_why, "auth u\nX8: conn=C0");
	am_log_format(&e, line, sizeof(line));
	ok(strncmp(line, "X9\\x0aX9\\x3a\\x20conn\\x3dC0\\x20action\\x3daccept: conn=C1 ", 53) == 0,
	   "forged queue id: one \\xHH-escaped word (%.60s)", line);
	ok(strstr(line, "trusted=\"auth u\\x0aX8: conn=C0\"") != NULL, "SASL user escaped in trusted=");
	ok(strchr(line, '\n') == NULL, "  still one line");
	e.queue_id = "4XyZ1Ab9";
	am_log_format(&e, line, sizeof(line));
	ok(strncmp(line, "4XyZ1Ab9: ", 10) == 0, "an MTA's queue id is unchanged");
	r.trusted = false;

	am_log_escape("a\"b\\c", esc, sizeof(esc));
	is_str(esc, "\"a\\\"b\\\\c\"", "quotes and backslashes escaped");
	am_log_escape("x=y", esc, sizeof(esc));
	is_str(esc, "\"x=y\"", "equals sign quoted so keys cannot be forged");
	am_log_escape("\xff", esc, sizeof(esc));
	is_str(esc, "\"\\xff\"", "non-ASCII as hex");
	ok(am_log_open("test", "nosuch", false) == -1, "unknown facility refused");
	return done_testing();
}
