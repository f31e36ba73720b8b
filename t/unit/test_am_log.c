/*
 * test_am_log.c - the decision line: stable keys, escaping of wire text,
 * NOQUEUE before the MTA has a queue id, dry-run "would".
 */
#include <string.h>

#include "am_log.h"
#include "tap.h"

int main(void)
{
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
