/*
 * test_am_metrics.c - unit tests of lib/am_metrics.c: counters per result,
 * action, greylisting outcome and DNS error, the stage histograms
 * (cumulative buckets, +Inf equal to _count), DNS statistics counted once,
 * a NULL registry doing nothing, updates from several threads adding up,
 * and the [metrics] listen parser.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "am_metrics.h"
#include "tap.h"

/* The value of the sample "series value" in text, or -1 when absent. */
static double sample(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	return -1;
}

/* Render, checking the length; "" (allocated) on failure. */
static char *render(const struct am_metrics *mx)
{
	char err[128], *text = NULL;
	size_t len = 0;

	if (am_metrics_render(mx, &text, &len, err, sizeof(err)) != 0) {
		diag("render: %s", err);
		return strdup("");
	}
	ok(strlen(text) == len, "render: length matches the text");
	return text;
}

/* A message with known results through every hook. */
static void feed(struct am_metrics *mx)
{
	struct am_results r = {0};
	struct am_verdict v = {0};
	struct am_grey_result g = {.checked = true, .outcome = AM_GREY_NEW};
	struct am_dns_budget b = {.queries = 5, .timeouts = 2, .servfails = 1};

	am_metrics_connection(mx);
	r.spf_mailfrom = (struct am_spf_result){.checked = true, .result = AM_RES_PASS};
	r.spf_helo = (struct am_spf_result){.checked = true, .result = AM_RES_NONE};
	am_metrics_mail(mx, &r, am_metrics_clock(mx));
	v.action = AM_ACT_TEMPFAIL;
	am_metrics_rcpt(mx, &g, &v, am_metrics_clock(mx) - 3000);   /* 3 ms ago */
	g.outcome = AM_GREY_PASS;
	g.store_errors = 2; /* a pass whose refreshes failed: counted all the same */
	v.action = AM_ACT_NONE;
	am_metrics_rcpt(mx, &g, &v, am_metrics_clock(mx));
	r.dkim.checked = true;
	r.dkim.count = 2;
	r.dkim.sigs[0].result = AM_RES_PASS;
	r.dkim.sigs[1].result = AM_RES_FAIL;
	r.dmarc.checked = true;
	r.dmarc.result = AM_RES_FAIL;
	v.action = AM_ACT_REJECT;
	am_metrics_eom(mx, &r, &v, am_metrics_clock(mx));
	am_metrics_dns(mx, &b);
	ok(b.queries == 0 && b.timeouts == 0 && b.servfails == 0, "dns: the budget's counts are taken");
	am_metrics_dns(mx, &b);
}

/* Every family after one known message. */
static void test_counters(void)
{
	char err[128];
	struct am_metrics *mx = am_metrics_new(err, sizeof(err));
	char *t;

	t = render(mx);
	ok(strstr(t, "# TYPE authmilter_spf_results_total counter\n") != NULL, "TYPE line of a counter");
	ok(strstr(t, "# TYPE authmilter_stage_duration_seconds histogram\n") != NULL, "TYPE line of the histogram");
	is_int((int)sample(t, "authmilter_actions_total{stage=\"eom\",action=\"reject\"}"), 0, "zero before traffic");
	free(t);
	feed(mx);
	t = render(mx);
	is_int((int)sample(t, "authmilter_connections_total"), 1, "connections");
	is_int((int)sample(t, "authmilter_messages_total{client=\"checked\"}"), 1, "messages checked");
	is_int((int)sample(t, "authmilter_messages_total{client=\"trusted\"}"), 0, "messages trusted");
	is_int((int)sample(t, "authmilter_spf_results_total{identity=\"mailfrom\",result=\"pass\"}"), 1, "spf mailfrom pass");
	is_int((int)sample(t, "authmilter_spf_results_total{identity=\"helo\",result=\"none\"}"), 1, "spf helo none");
	is_int((int)sample(t, "authmilter_dkim_results_total{result=\"pass\"}"), 1, "dkim pass (per signature)");
	is_int((int)sample(t, "authmilter_dkim_results_total{result=\"fail\"}"), 1, "dkim fail (per signature)");
	is_int((int)sample(t, "authmilter_dmarc_results_total{result=\"fail\"}"), 1, "dmarc fail");
	is_int((int)sample(t, "authmilter_actions_total{stage=\"rcpt\",action=\"tempfail\"}"), 1, "rcpt tempfail");
	is_int((int)sample(t, "authmilter_actions_total{stage=\"rcpt\",action=\"continue\"}"), 1, "rcpt continue");
	is_int((int)sample(t, "authmilter_actions_total{stage=\"eom\",action=\"reject\"}"), 1, "eom reject");
	is_int((int)sample(t, "authmilter_greylist_total{outcome=\"new\"}"), 1, "greylist new");
	is_int((int)sample(t, "authmilter_greylist_total{outcome=\"pass\"}"), 1, "greylist pass");
	is_int((int)sample(t, "authmilter_greylist_store_errors_total"), 2, "store errors, every one");
	is_int((int)sample(t, "authmilter_dns_queries_total"), 5, "dns queries counted once");
	is_int((int)sample(t, "authmilter_dns_errors_total{error=\"timeout\"}"), 2, "dns timeouts");
	is_int((int)sample(t, "authmilter_dns_errors_total{error=\"servfail\"}"), 1, "dns servfails");
	is_int((int)sample(t, "authmilter_stage_duration_seconds_bucket{stage=\"rcpt\",le=\"0.001\"}"), 1,
	       "rcpt histogram: one fast recipient in the first bucket");
	is_int((int)sample(t, "authmilter_stage_duration_seconds_bucket{stage=\"rcpt\",le=\"0.0025\"}"), 1,
	       "rcpt histogram: the 3 ms one not yet at 2.5 ms");
	is_int((int)sample(t, "authmilter_stage_duration_seconds_bucket{stage=\"rcpt\",le=\"0.005\"}"), 2,
	       "rcpt histogram: cumulative at 5 ms");
	is_int((int)sample(t, "authmilter_stage_duration_seconds_bucket{stage=\"rcpt\",le=\"+Inf\"}"), 2,
	       "rcpt histogram: +Inf");
	is_int((int)sample(t, "authmilter_stage_duration_seconds_count{stage=\"rcpt\"}"), 2, "rcpt histogram: count");
	ok(sample(t, "authmilter_stage_duration_seconds_sum{stage=\"rcpt\"}") >= 0.003, "rcpt histogram: sum >= 3 ms");
	is_int((int)sample(t, "authmilter_stage_duration_seconds_count{stage=\"mail\"}"), 1, "mail histogram: count");
	is_int((int)sample(t, "authmilter_stage_duration_seconds_count{stage=\"eom\"}"), 1, "eom histogram: count");
	free(t);
	am_metrics_free(mx);
}

/* A thread updating two counters 100000 times. */
static void *hammer(void *arg)
{
	struct am_metrics *mx = arg;
	struct am_grey_result g = {.checked = true, .outcome = AM_GREY_EARLY};

	for (int i = 0; i < 100000; i++) {
		am_metrics_connection(mx);
		am_metrics_grey(mx, &g);
	}
	return NULL;
}

/* Concurrent updates lose nothing. */
static void test_threads(void)
{
	char err[128];
	struct am_metrics *mx = am_metrics_new(err, sizeof(err));
	pthread_t th[4];
	char *t;

	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, hammer, mx);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	t = render(mx);
	is_int((int)sample(t, "authmilter_connections_total"), 400000, "4 threads: every update counted");
	is_int((int)sample(t, "authmilter_greylist_total{outcome=\"early\"}"), 400000, "4 threads: greylist early");
	free(t);
	am_metrics_free(mx);
}

/* A NULL registry: every call is a no-op. */
static void test_null(void)
{
	struct am_results r = {0};
	struct am_verdict v = {0};
	struct am_grey_result g = {.checked = true};
	struct am_dns_budget b = {.queries = 3};

	ok(am_metrics_clock(NULL) == 0, "NULL registry: no clock");
	am_metrics_connection(NULL);
	am_metrics_mail(NULL, &r, 0);
	am_metrics_rcpt(NULL, &g, &v, 0);
	am_metrics_eom(NULL, &r, &v, 0);
	am_metrics_dns(NULL, &b);
	ok(b.queries == 3, "NULL registry: the budget is left alone");
}

/* [metrics] listen values, good and bad. */
static void test_listen(void)
{
	struct sockaddr_storage sa;
	socklen_t len;
	char err[256];
	static const char *const bad[] = {"localhost:9100", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000",
					  "::1:80", "[::1]", "[::1]9100", "127.0.0.1:91x", ":9100"};

	ok(am_metrics_parse_listen("", &sa, &len, err, sizeof(err)) == 0 && len == 0, "empty: off");
	ok(am_metrics_parse_listen("127.0.0.1:9100", &sa, &len, err, sizeof(err)) == 0 &&
	   sa.ss_family == AF_INET && ntohs(((struct sockaddr_in *)&sa)->sin_port) == 9100, "IPv4:port");
	ok(am_metrics_parse_listen("[::1]:9101", &sa, &len, err, sizeof(err)) == 0 &&
	   sa.ss_family == AF_INET6 && ntohs(((struct sockaddr_in6 *)&sa)->sin6_port) == 9101, "[IPv6]:port");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(am_metrics_parse_listen(bad[i], &sa, &len, err, sizeof(err)) == -1 &&
		   strstr(err, "[metrics] listen") != NULL, "refused: %s", bad[i]);
}

/* Run every group of tests. */
int main(void)
{
	test_counters();
	test_threads();
	test_null();
	test_listen();
	return done_testing();
}
