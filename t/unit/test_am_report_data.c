/*
 * test_am_report_data.c - the report data line of lib/am_report_data.c: its
 * exact text for a failing message under a forwarder override, the
 * disposition really applied with the decision's reasons (pass, t=y), the SPF
 * identity of the null sender, escaping, which messages are recorded, the
 * append (whole lines, a renamed file recreated) and the cost of one record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "am_report_data.h"
#include "tap.h"

/* A DMARC fail of example.com under p=reject, turned to none by a forwarder. */
static void fixture(struct am_results *r)
{
	struct am_dmarc_result *d = &r->dmarc;

	memset(r, 0, sizeof *r);
	*d = (struct am_dmarc_result){.checked = true, .result = AM_RES_FAIL, .p = AM_DMARC_P_REJECT,
				      .policy = AM_DMARC_P_REJECT, .adkim = 'r', .aspf = 's',
				      .disposition = AM_DMARC_P_NONE, .spf_aligned = false, .dkim_aligned = false};
	strcpy(d->header_from, "news.example.com");
	strcpy(d->policy_domain, "example.com");
	am_dmarc_override_add(d, AM_DMARC_OV_TRUSTED_FORWARDER, "forwarder network 192.0.2.0/24");
	strcpy(d->rua, "mailto:agg@example.com!10m");
	strcpy(d->fo, "1");
	r->dkim.checked = true;
	r->dkim.count = 1;
	r->dkim.sigs[0] = (struct am_dkim_sig){.result = AM_RES_FAIL};
	strcpy(r->dkim.sigs[0].domain, "example.com");
	strcpy(r->dkim.sigs[0].selector, "s1");
	r->spf_mailfrom = (struct am_spf_result){.checked = true, .result = AM_RES_SOFTFAIL};
	strcpy(r->spf_mailfrom.domain, "list.example.org");
}

/* The envelope of the fixture message. */
static const char *const rcpts[] = {"u@rcpt.example", "v@other.example"};
static const struct am_report_env base_env = {
	.host = "mx1.example", .conn_id = "C7", .queue_id = "4XyZ", .time_us = 1733443200123456LL,
	.client_ip = "192.0.2.9", .helo = "fwd.example", .mail_from = "bounce@list.example.org",
	.rcpts = rcpts, .nrcpts = 2, .report_from = "dmarc@rep.example"};

/* Format r under env into line (aborts the test on an error). */
static void fmt(const struct am_report_env *env, const struct am_results *r, char *line, size_t len)
{
	char err[256];

	if (am_report_data_format(env, r, line, len, err, sizeof err) < 0)
		ok(0, "format: %s", err);
}

/* The exact line of a forwarded failing message. */
static void test_whole_line(void)
{
	struct am_results r;
	char line[AM_REPORT_LINE_MAX], err[256];
	int len;

	fixture(&r);
	ok(am_report_data_wanted(&r), "a DMARC fail under a found record is recorded");
	len = am_report_data_format(&base_env, &r, line, sizeof line, err, sizeof err);
	is_str(line, "{\"v\":1,\"id\":\"mx1.example/C7/4XyZ/1733443200123456\",\"t\":1733443200,"
		     "\"host\":\"mx1.example\",\"ip\":\"192.0.2.9\",\"hfrom\":\"news.example.com\","
		     "\"efrom\":\"list.example.org\",\"eto\":\"rcpt.example\",\"pdom\":\"example.com\","
		     "\"disc\":\"psl\",\"p\":\"reject\",\"sp\":\"\",\"np\":\"\",\"adkim\":\"r\",\"aspf\":\"s\","
		     "\"testing\":\"n\",\"fo\":\"1\",\"rua\":\"mailto:agg@example.com!10m\",\"disp\":\"none\","
		     "\"reasons\":[[\"trusted_forwarder\",\"forwarder network 192.0.2.0/24\"]],"
		     "\"dkim\":\"fail\",\"spf\":\"fail\",\"sigs\":[[\"example.com\",\"s1\",\"fail\"]],"
		     "\"spfres\":[\"list.example.org\",\"softfail\"],\"loop\":false}\n",
	       "the whole line of a forwarded failing message");
	is_int(len, (int)strlen(line), "length returned");
}

/* The decision's disposition and reasons, as am_policy_dmarc() left them. */
static void test_dispositions(void)
{
	struct am_results r;
	char line[AM_REPORT_LINE_MAX];

	fixture(&r);
	r.dmarc.disposition = AM_DMARC_P_REJECT;
	r.dmarc.noverrides = 0;
	fmt(&base_env, &r, line, sizeof line);
	ok(strstr(line, "\"disp\":\"reject\",\"reasons\":[]") != NULL, "enforced reject: no reason");
	r.dmarc.testing = true;
	r.dmarc.discovery = AM_DMARC_TREEWALK;
	r.dmarc.disposition = AM_DMARC_P_QUARANTINE;
	am_dmarc_override_add(&r.dmarc, AM_DMARC_OV_POLICY_TEST_MODE, "t=y");
	fmt(&base_env, &r, line, sizeof line);
	ok(strstr(line, "\"disp\":\"quarantine\",\"reasons\":[[\"policy_test_mode\",\"t=y\"]]") != NULL,
	   "t=y: quarantine instead of reject, reason policy_test_mode");
	ok(strstr(line, "\"disc\":\"treewalk\"") != NULL && strstr(line, "\"testing\":\"y\"") != NULL,
	   "treewalk, testing y");
	r.dmarc.testing = false;
	r.dmarc.noverrides = 0;
	r.dmarc.disposition = AM_DMARC_P_NONE;
	am_dmarc_override_add(&r.dmarc, AM_DMARC_OV_LOCAL_POLICY, "enforce=no");
	am_dmarc_override_add(&r.dmarc, AM_DMARC_OV_MAILING_LIST, "list lists.example.org");
	fmt(&base_env, &r, line, sizeof line);
	ok(strstr(line, "\"disp\":\"none\",\"reasons\":[[\"local_policy\",\"enforce=no\"],"
			"[\"mailing_list\",\"list lists.example.org\"]]") != NULL,
	   "several reasons of the decision, in order");
	/* A pass under an enforcing policy is "pass"; under p=none it is "none". */
	r.dmarc.noverrides = 0;
	r.dmarc.result = AM_RES_PASS;
	fmt(&base_env, &r, line, sizeof line);
	ok(strstr(line, "\"disp\":\"pass\",\"reasons\":[]") != NULL, "pass under p=reject: disposition pass");
	r.dmarc.policy = AM_DMARC_P_NONE;
	fmt(&base_env, &r, line, sizeof line);
	ok(strstr(line, "\"disp\":\"none\"") != NULL, "pass under p=none: disposition none");
}

/* The null sender's identities, the loop guard, escaping, what is recorded. */
static void test_envelope_and_text(void)
{
	struct am_report_env env = base_env;
	struct am_results r;
	char line[AM_REPORT_LINE_MAX], err[256];

	fixture(&r);
	env.mail_from = "";
	r.spf_helo = (struct am_spf_result){.checked = true, .result = AM_RES_PASS};
	strcpy(r.spf_helo.domain, "fwd.example");
	fmt(&env, &r, line, sizeof line);
	ok(strstr(line, "\"efrom\":\"\"") != NULL, "null sender: envelope_from empty");
	ok(strstr(line, "\"spfres\":[\"fwd.example\",\"pass\"]") != NULL, "null sender: SPF of the HELO identity");
	env.mail_from = "DMARC@rep.example";
	fmt(&env, &r, line, sizeof line);
	ok(strstr(line, "\"loop\":true}") != NULL, "MAIL FROM = [report] from: marked as ours");
	/* Wire text is escaped, so one record stays one JSON line. */
	strcpy(r.dmarc.header_from, "a\"b\\c\nd");
	fmt(&env, &r, line, sizeof line);
	ok(strstr(line, "\"hfrom\":\"a\\\"b\\\\c\\u000ad\"") != NULL, "quote, backslash, newline escaped");
	ok(strchr(line, '\n') == line + strlen(line) - 1, "exactly one newline, at the end");
	is_int(am_report_data_format(&env, &r, line, 100, err, sizeof err), -1, "too small a buffer: -1");
	ok(strstr(err, "longer than") != NULL, "with a reason");
	r.dmarc.policy_domain[0] = '\0';
	ok(!am_report_data_wanted(&r), "no policy record: not recorded");
	strcpy(r.dmarc.policy_domain, "example.com");
	r.dmarc.result = AM_RES_TEMPERROR;
	ok(!am_report_data_wanted(&r), "temperror: not recorded");
}

/* Append: whole lines; a renamed file is recreated; then the cost of a record. */
static void test_append(void)
{
	struct am_results r;
	char line[AM_REPORT_LINE_MAX], err[256], path[] = "/tmp/am_report_dataXXXXXX", rotated[64], buf[16] = {0};
	struct timespec t0, t1;
	int fd = mkstemp(path);
	FILE *f;

	close(fd);
	unlink(path);
	ok(am_report_data_append(path, "a\n", 2, err, sizeof err) == 0, "append creates the file");
	ok(am_report_data_append(path, "b\n", 2, err, sizeof err) == 0, "second append");
	snprintf(rotated, sizeof rotated, "%s.1", path);
	rename(path, rotated);
	ok(am_report_data_append(path, "c\n", 2, err, sizeof err) == 0, "after rotation: recreated");
	if ((f = fopen(rotated, "r")) != NULL) {
		if (fread(buf, 1, sizeof buf - 1, f) == 0)
			buf[0] = '\0';
		fclose(f);
	}
	is_str(buf, "a\nb\n", "rotated file: both lines");
	ok(am_report_data_append("/nonexistent/dir/x", "d\n", 2, err, sizeof err) == -1 &&
	   strstr(err, "/nonexistent/dir/x") != NULL, "unwritable path: -1 naming it");
	/* The cost of one record (format + open/write/close): a diagnostic, not a test. */
	fixture(&r);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 2000; i++) {
		int len = am_report_data_format(&base_env, &r, line, sizeof line, err, sizeof err);
		am_report_data_append(path, line, (size_t)len, err, sizeof err);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	diag("one record: %.1f us (format + append)",
	     ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 2000 / 1e3);
	unlink(path);
	unlink(rotated);
}

int main(void)
{
	test_whole_line();
	test_dispositions();
	test_envelope_and_text();
	test_append();
	return done_testing();
}
