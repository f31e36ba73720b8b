/*
 * smtplat - SMTP latency for the benchmark: S concurrent sessions (one
 * thread each) send one message file M times in all, one message per
 * session, to an SMTP server on loopback, and print the latency of each
 * message's SMTP session (connect to the reply after the final dot, where
 * a milter's verdict lands) as percentiles. Postfix's smtp-source gives the
 * throughput but no per-message time; this gives the time. A plain SMTP
 * client: no TLS, no pipelining, replies read line by line.
 *
 *   smtplat -s SESSIONS -m COUNT -H HELO -f FROM -t TO -F FILE HOST:PORT
 *
 * Output: one "summary: messages=N accepted=N refused=N error=N
 * p50_ms=... p95_ms=... p99_ms=... max_ms=..." line. Exit 0 when every
 * session completed, 1 when some failed, 64 for bad arguments.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SESSIONS 200
#define MAX_COUNT 1000000L
#define MAX_FILE (16L * 1024 * 1024)

/* Shared by the threads: read-only but for the counters and lat[]. */
static struct {
	struct sockaddr_in addr;
	const char *helo, *from, *to;
	char *data; /* the message, CRLF lines, dot-stuffed, ".\r\n" at the end */
	size_t data_len;
	long count;
	atomic_long next, accepted, refused, errors;
	double *lat; /* ms, one per message number */
} g;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Read one whole reply (continuation lines "NNN-" first); its code or -1. */
static int reply(FILE *in)
{
	char line[1024];

	while (fgets(line, sizeof(line), in) != NULL)
		if (strlen(line) >= 4 && line[3] != '-')
			return atoi(line);
	return -1;
}

/* Send a command and read its reply; the code or -1. */
static int command(int fd, FILE *in, const char *fmt, const char *arg)
{
	char buf[1100];
	int n = snprintf(buf, sizeof(buf), fmt, arg);

	if (n < 0 || (size_t)n >= sizeof(buf) || write(fd, buf, (size_t)n) != n)
		return -1;
	return reply(in);
}

/* One SMTP session with one message; its latency in ms, or -1. */
static double session(int *accepted)
{
	double t0 = now_ms(), t1 = -1;
	int fd = socket(AF_INET, SOCK_STREAM, 0), code;
	FILE *in;

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&g.addr, sizeof(g.addr)) < 0 || (in = fdopen(fd, "r")) == NULL) {
		close(fd);
		return -1;
	}
	if (reply(in) == 220 && command(fd, in, "EHLO %s\r\n", g.helo) == 250 &&
	    command(fd, in, "MAIL FROM:<%s>\r\n", g.from) == 250) {
		code = command(fd, in, "RCPT TO:<%s>\r\n", g.to);
		if (code == 250 && command(fd, in, "DATA\r\n", "") == 354 &&
		    write(fd, g.data, g.data_len) == (ssize_t)g.data_len) {
			code = reply(in);
			t1 = code > 0 ? now_ms() : -1;
		}
		*accepted = code == 250;
		command(fd, in, "QUIT\r\n", "");
	}
	fclose(in);
	return t1 < 0 ? -1 : t1 - t0;
}

static void *worker(void *arg)
{
	long i;

	(void)arg;
	while ((i = atomic_fetch_add(&g.next, 1)) < g.count) {
		int acc = 0;
		double ms = session(&acc);
		g.lat[i] = ms;
		atomic_fetch_add(ms < 0 ? &g.errors : acc ? &g.accepted : &g.refused, 1);
	}
	return NULL;
}

/* The file as SMTP DATA: CRLF line ends, leading dots doubled, the final dot; 0 or -1. */
static int load(const char *path)
{
	FILE *f = fopen(path, "rb"), *out;
	char line[8192];
	size_t cap = 0;

	if (f == NULL || (out = open_memstream(&g.data, &cap)) == NULL)
		return -1;
	int open_line = 0; /* the last line had no line end */
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t n = strcspn(line, "\r\n");
		open_line = line[n] == '\0';
		fprintf(out, "%s%.*s%s", line[0] == '.' ? "." : "", (int)n, line, open_line ? "" : "\r\n");
	}
	fputs(open_line ? "\r\n.\r\n" : ".\r\n", out);
	fclose(f);
	fclose(out);
	g.data_len = strlen(g.data);
	return g.data_len > MAX_FILE ? -1 : 0;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The q-quantile of the n sorted latencies. */
static double pct(const double *v, long n, double q)
{
	long i = (long)(q * n);

	return v[i < n ? i : n - 1];
}

/* Sort the completed sessions' latencies and print the summary line. */
static void summary(void)
{
	long n = 0;

	for (long i = 0; i < g.count; i++)
		if (g.lat[i] >= 0)
			g.lat[n++] = g.lat[i];
	qsort(g.lat, (size_t)n, sizeof(double), by_value);
	printf("summary: messages=%ld accepted=%ld refused=%ld error=%ld", g.count,
	       atomic_load(&g.accepted), atomic_load(&g.refused), atomic_load(&g.errors));
	if (n > 0)
		printf(" p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f max_ms=%.2f", pct(g.lat, n, 0.5),
		       pct(g.lat, n, 0.95), pct(g.lat, n, 0.99), g.lat[n - 1]);
	printf("\n");
}

/* "HOST:PORT" (IPv4) into g.addr; 0 or -1. */
static int parse_addr(char *s)
{
	char *colon = strrchr(s, ':');

	if (colon == NULL)
		return -1;
	*colon = '\0';
	g.addr.sin_family = AF_INET;
	g.addr.sin_port = htons((unsigned short)atoi(colon + 1));
	return inet_pton(AF_INET, s, &g.addr.sin_addr) == 1 ? 0 : -1;
}

/* How to call it. */
static void usage(FILE *f)
{
	fprintf(f, "usage: smtplat -s SESSIONS -m COUNT -H HELO -f FROM -t TO -F FILE HOST:PORT\n"
		   "Sends COUNT copies of FILE over SESSIONS SMTP sessions and prints the\n"
		   "per-message latency percentiles (for make bench).\n");
}

int main(int argc, char **argv)
{
	pthread_t th[MAX_SESSIONS];
	long sessions = 1;
	const char *file = NULL;
	int o;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	while ((o = getopt(argc, argv, "s:m:H:f:t:F:")) != -1) {
		switch (o) {
		case 's': sessions = atol(optarg); break;
		case 'm': g.count = atol(optarg); break;
		case 'H': g.helo = optarg; break;
		case 'f': g.from = optarg; break;
		case 't': g.to = optarg; break;
		case 'F': file = optarg; break;
		default: usage(stderr); return 64;
		}
	}
	if (optind + 1 != argc || sessions < 1 || sessions > MAX_SESSIONS || g.count < 1 ||
	    g.count > MAX_COUNT || !g.helo || !g.from || !g.to || !file || parse_addr(argv[optind]) < 0) {
		usage(stderr);
		return 64;
	}
	if (load(file) < 0 || (g.lat = calloc((size_t)g.count, sizeof(double))) == NULL) {
		fprintf(stderr, "smtplat: cannot read %s\n", file);
		return 1;
	}
	if (sessions > g.count)
		sessions = g.count;
	for (long i = 0; i < sessions; i++)
		if (pthread_create(&th[i], NULL, worker, NULL) != 0)
			return 1;
	for (long i = 0; i < sessions; i++)
		pthread_join(th[i], NULL);
	summary();
	free(g.lat);
	free(g.data);
	return atomic_load(&g.errors) ? 1 : 0;
}
