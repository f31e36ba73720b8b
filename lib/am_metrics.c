/*
 * am_metrics.c - the counters and histograms of lib/am_metrics.h and their
 * Prometheus text rendering. Updates are relaxed atomic adds on fixed
 * arrays indexed by the result enums: no lock, no allocation on the mail
 * path. A scrape reads each number once; numbers of one scrape may be a
 * few updates apart, which Prometheus tolerates. No I/O here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "am_metrics.h"

#define NACTIONS (AM_ACT_REJECT + 1)
#define NGREY (AM_GREY_NEW + 1)
#define NBUCKETS 14

/* Upper bounds of the latency buckets, in microseconds (+Inf follows). */
static const int64_t bucket_us[NBUCKETS] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000, 30000000,
};

struct am_histogram {
	atomic_ulong bucket[NBUCKETS + 1];  /* not cumulative; the last is +Inf */
	atomic_ullong sum_us;
};

struct am_metrics {
	atomic_ulong connections;
	atomic_ulong messages[2];                /* [0] checked, [1] trusted */
	atomic_ulong spf[2][AM_RES_COUNT];       /* [0] mailfrom, [1] helo */
	atomic_ulong dkim[AM_RES_COUNT];         /* per signature; none: unsigned */
	atomic_ulong dmarc[AM_RES_COUNT];
	atomic_ulong actions[2][NACTIONS];       /* [AM_STAGE_RCPT / EOM][action] */
	atomic_ulong grey[NGREY];
	atomic_ulong store_errors;               /* failed greylist store operations */
	atomic_ulong dns_queries, dns_timeouts, dns_servfails;
	struct am_histogram stage[AM_METRICS_STAGES];
};

static const char *const stage_names[AM_METRICS_STAGES] = {"mail", "rcpt", "eom"};

/* A new, zeroed registry. */
struct am_metrics *am_metrics_new(char *err, size_t errlen)
{
	struct am_metrics *mx = calloc(1, sizeof(*mx));

	if (mx == NULL)
		snprintf(err, errlen, "out of memory for the metrics registry");
	return mx;
}

/* Free a registry (NULL is allowed). */
void am_metrics_free(struct am_metrics *mx)
{
	free(mx);
}

/* Add n to a counter, relaxed: only the total matters. */
static void add(atomic_ulong *c, unsigned long n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* Read a counter, relaxed. */
static unsigned long get(const atomic_ulong *c)
{
	return atomic_load_explicit((atomic_ulong *)c, memory_order_relaxed);
}

/* Monotonic clock in microseconds; 0 without a registry. */
int64_t am_metrics_clock(const struct am_metrics *mx)
{
	struct timespec ts;

	if (mx == NULL)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Put the time since start_us into the stage's histogram. */
static void observe(struct am_metrics *mx, enum am_metrics_stage st, int64_t start_us)
{
	int64_t us = am_metrics_clock(mx) - start_us;
	size_t b = 0;

	if (us < 0)
		us = 0;
	while (b < NBUCKETS && us > bucket_us[b])
		b++;
	add(&mx->stage[st].bucket[b], 1);
	atomic_fetch_add_explicit(&mx->stage[st].sum_us, (unsigned long long)us, memory_order_relaxed);
}

/* Count a new connection. */
void am_metrics_connection(struct am_metrics *mx)
{
	if (mx != NULL)
		add(&mx->connections, 1);
}

/* Count a result value, clamped into the array. */
static void count_result(atomic_ulong *arr, enum am_result r)
{
	add(&arr[(unsigned)r < AM_RES_COUNT ? r : AM_RES_NONE], 1);
}

/* MAIL FROM: the SPF results of both identities and the stage time. */
void am_metrics_mail(struct am_metrics *mx, const struct am_results *r, int64_t start_us)
{
	if (mx == NULL)
		return;
	if (r->spf_mailfrom.checked)
		count_result(mx->spf[0], r->spf_mailfrom.result);
	if (r->spf_helo.checked)
		count_result(mx->spf[1], r->spf_helo.result);
	observe(mx, AM_METRICS_MAIL, start_us);
}

/* Count a greylisting outcome, if greylisting ran. */
void am_metrics_grey(struct am_metrics *mx, const struct am_grey_result *g)
{
	if (mx != NULL && g->checked)
		add(&mx->grey[(unsigned)g->outcome < NGREY ? g->outcome : AM_GREY_NONE], 1);
	if (mx != NULL && g->store_errors > 0)
		add(&mx->store_errors, g->store_errors);
}

/* Count the action of a verdict at a stage. */
static void count_action(struct am_metrics *mx, enum am_stage st, const struct am_verdict *v)
{
	unsigned a = (unsigned)v->action < NACTIONS ? (unsigned)v->action : AM_ACT_NONE;

	add(&mx->actions[st == AM_STAGE_RCPT ? 0 : 1][a], 1);
}

/* One recipient: its greylisting outcome, its action, the stage time. */
void am_metrics_rcpt(struct am_metrics *mx, const struct am_grey_result *g,
		     const struct am_verdict *v, int64_t start_us)
{
	if (mx == NULL)
		return;
	am_metrics_grey(mx, g);
	count_action(mx, AM_STAGE_RCPT, v);
	observe(mx, AM_METRICS_RCPT, start_us);
}

/* End of message: the message, its DKIM and DMARC results, its action, the time. */
void am_metrics_eom(struct am_metrics *mx, const struct am_results *r, const struct am_verdict *v,
		    int64_t start_us)
{
	if (mx == NULL)
		return;
	add(&mx->messages[r->trusted ? 1 : 0], 1);
	if (r->dkim.checked && r->dkim.count == 0)
		count_result(mx->dkim, AM_RES_NONE);
	for (size_t i = 0; r->dkim.checked && i < r->dkim.count && i < AM_DKIM_MAX_SIGS; i++)
		count_result(mx->dkim, r->dkim.sigs[i].result);
	if (r->dmarc.checked)
		count_result(mx->dmarc, r->dmarc.result);
	count_action(mx, AM_STAGE_EOM, v);
	observe(mx, AM_METRICS_EOM, start_us);
}

/* Move a budget's DNS statistics into the registry (zeroing them there). */
void am_metrics_dns(struct am_metrics *mx, struct am_dns_budget *b)
{
	if (mx == NULL)
		return;
	add(&mx->dns_queries, b->queries);
	add(&mx->dns_timeouts, b->timeouts);
	add(&mx->dns_servfails, b->servfails);
	b->queries = b->timeouts = b->servfails = 0;
}

/* HELP and TYPE lines of a metric family. */
static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample per result value; labels is "" or `identity="helo",`. */
static void result_samples(FILE *f, const char *name, const char *labels, const atomic_ulong *arr)
{
	for (unsigned r = 0; r < AM_RES_COUNT; r++)
		fprintf(f, "%s{%sresult=\"%s\"} %lu\n", name, labels, am_result_name((enum am_result)r),
			get(&arr[r]));
}

/* Check results, actions and greylisting outcomes. */
static void render_counters(const struct am_metrics *mx, FILE *f)
{
	static const char *const stages[2] = {"rcpt", "eom"};

	family(f, "authmilter_connections_total", "counter", "SMTP connections handed to the filter.");
	fprintf(f, "authmilter_connections_total %lu\n", get(&mx->connections));
	family(f, "authmilter_messages_total", "counter",
	       "Messages that reached end of data, by whether their client was checked or trusted.");
	fprintf(f, "authmilter_messages_total{client=\"checked\"} %lu\n", get(&mx->messages[0]));
	fprintf(f, "authmilter_messages_total{client=\"trusted\"} %lu\n", get(&mx->messages[1]));
	family(f, "authmilter_spf_results_total", "counter",
	       "SPF results at MAIL FROM, per identity (mailfrom, helo).");
	result_samples(f, "authmilter_spf_results_total", "identity=\"mailfrom\",", mx->spf[0]);
	result_samples(f, "authmilter_spf_results_total", "identity=\"helo\",", mx->spf[1]);
	family(f, "authmilter_dkim_results_total", "counter",
	       "DKIM results, one per verified signature; none for a message without one.");
	result_samples(f, "authmilter_dkim_results_total", "", mx->dkim);
	family(f, "authmilter_dmarc_results_total", "counter", "DMARC results, one per evaluated message.");
	result_samples(f, "authmilter_dmarc_results_total", "", mx->dmarc);
	family(f, "authmilter_actions_total", "counter",
	       "Verdicts per stage: one per recipient at rcpt (continue: no decision yet), one per "
	       "message at eom.");
	for (unsigned s = 0; s < 2; s++)
		for (unsigned a = 0; a < NACTIONS; a++)
			fprintf(f, "authmilter_actions_total{stage=\"%s\",action=\"%s\"} %lu\n", stages[s],
				a == AM_ACT_NONE ? "continue" : am_action_name((enum am_action)a),
				get(&mx->actions[s][a]));
	family(f, "authmilter_greylist_total", "counter",
	       "Greylisting outcomes: per recipient at rcpt, per message at eom.");
	for (unsigned g = AM_GREY_NONE + 1; g < NGREY; g++)
		fprintf(f, "authmilter_greylist_total{outcome=\"%s\"} %lu\n",
			am_grey_outcome_name((enum am_grey_outcome)g), get(&mx->grey[g]));
	family(f, "authmilter_greylist_store_errors_total", "counter",
	       "Failed greylist store operations (every one, also those that decided nothing): "
	       "a rate that never falls is a store that needs a look.");
	fprintf(f, "authmilter_greylist_store_errors_total %lu\n", get(&mx->store_errors));
}

/* DNS counters and the stage latency histograms. */
static void render_dns_latency(const struct am_metrics *mx, FILE *f)
{
	family(f, "authmilter_dns_queries_total", "counter", "DNS queries sent by the checks.");
	fprintf(f, "authmilter_dns_queries_total %lu\n", get(&mx->dns_queries));
	family(f, "authmilter_dns_errors_total", "counter",
	       "DNS queries that failed: timeout (or the message's DNS budget spent), servfail.");
	fprintf(f, "authmilter_dns_errors_total{error=\"timeout\"} %lu\n", get(&mx->dns_timeouts));
	fprintf(f, "authmilter_dns_errors_total{error=\"servfail\"} %lu\n", get(&mx->dns_servfails));
	family(f, "authmilter_stage_duration_seconds", "histogram",
	       "Time spent in the checks of a stage (mail, rcpt, eom), DNS included.");
	for (unsigned s = 0; s < AM_METRICS_STAGES; s++) {
		const struct am_histogram *h = &mx->stage[s];
		unsigned long cum = 0;
		for (unsigned b = 0; b <= NBUCKETS; b++) {
			cum += get(&h->bucket[b]);
			if (b < NBUCKETS)
				fprintf(f, "authmilter_stage_duration_seconds_bucket{stage=\"%s\",le=\"%g\"} %lu\n",
					stage_names[s], (double)bucket_us[b] / 1e6, cum);
			else
				fprintf(f, "authmilter_stage_duration_seconds_bucket{stage=\"%s\",le=\"+Inf\"} %lu\n",
					stage_names[s], cum);
		}
		fprintf(f, "authmilter_stage_duration_seconds_sum{stage=\"%s\"} %.6f\n", stage_names[s],
			(double)atomic_load_explicit((atomic_ullong *)&h->sum_us, memory_order_relaxed) / 1e6);
		fprintf(f, "authmilter_stage_duration_seconds_count{stage=\"%s\"} %lu\n", stage_names[s], cum);
	}
}

/* The registry as Prometheus text, in a malloc'ed buffer. */
int am_metrics_render(const struct am_metrics *mx, char **text, size_t *len, char *err,
		      size_t errlen)
{
	FILE *f = open_memstream(text, len);

	if (f == NULL) {
		snprintf(err, errlen, "metrics: %s", strerror(errno));
		return -1;
	}
	render_counters(mx, f);
	render_dns_latency(mx, f);
	if (ferror(f)) {
		fclose(f);
		free(*text);
		*text = NULL;
		snprintf(err, errlen, "metrics: out of memory");
		return -1;
	}
	if (fclose(f) != 0) {
		free(*text);
		*text = NULL;
		snprintf(err, errlen, "metrics: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Split "HOST:PORT" / "[V6]:PORT" into host and port text. */
static int split_host_port(const char *spec, char *host, size_t hostlen, const char **port)
{
	const char *colon;
	size_t n;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (close == NULL || close[1] != ':')
			return -1;
		n = (size_t)(close - spec - 1);
		spec++;
		colon = close + 1;
	} else {
		if ((colon = strrchr(spec, ':')) == NULL || strchr(spec, ':') != colon)
			return -1;
		n = (size_t)(colon - spec);
	}
	if (n == 0 || n >= hostlen)
		return -1;
	memcpy(host, spec, n);
	host[n] = '\0';
	*port = colon + 1;
	return 0;
}

/* Parse "ADDRESS:PORT" / "[V6]:PORT" into a socket address; "" is off. */
int am_metrics_parse_listen(const char *spec, struct sockaddr_storage *sa, socklen_t *salen,
			    char *err, size_t errlen)
{
	char host[64], *end;
	const char *port_text;
	unsigned long port;

	memset(sa, 0, sizeof(*sa));
	*salen = 0;
	if (spec == NULL || spec[0] == '\0')
		return 0;
	if (split_host_port(spec, host, sizeof(host), &port_text) != 0)
		goto bad;
	errno = 0;
	port = strtoul(port_text, &end, 10);
	if (*port_text == '\0' || *end != '\0' || errno != 0 || port == 0 || port > 65535)
		goto bad;
	struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*salen = sizeof(*v4);
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*salen = sizeof(*v6);
	} else {
		goto bad;
	}
	return 0;
bad:
	snprintf(err, errlen, "[metrics] listen: '%.100s' is not ADDRESS:PORT or [IPV6]:PORT "
		 "(a numeric address and a port 1-65535)", spec);
	return -1;
}
