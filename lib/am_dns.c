/*
 * am_dns.c - the resolver-independent half of the DNS layer: per-message
 * budgets, the query wrapper every check calls, and RDATA decoding. The
 * resolvers themselves live in am_dns_unbound.c (daemon) and am_dns_table.c
 * (unit tests, fuzzers).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "am_dns.h"

/* Monotonic clock in milliseconds. */
int64_t am_dns_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Start a per-message budget of budget_ms (0: unlimited). */
void am_dns_budget_start(struct am_dns_budget *b, int budget_ms)
{
	memset(b, 0, sizeof(*b));
	if (budget_ms > 0)
		b->deadline_ms = am_dns_now_ms() + budget_ms;
}

/* Resolve within min(per-query timeout, what is left of the budget). */
void am_dns_query(struct am_dns *dns, struct am_dns_budget *b, const char *name,
		  enum am_rrtype type, struct am_dns_answer *ans)
{
	int timeout = dns->query_timeout_ms;

	memset(ans, 0, sizeof(*ans));
	if (b != NULL && b->deadline_ms != 0) {
		int64_t left = b->deadline_ms - am_dns_now_ms();
		if (left <= 0) {
			ans->status = AM_DNS_BUDGET;
			b->timeouts++;
			return;
		}
		if (left < timeout)
			timeout = (int)left;
	}
	if (name == NULL || strlen(name) > 255) {
		ans->status = AM_DNS_ERROR;
		return;
	}
	if (b != NULL)
		b->queries++;
	dns->ops->query(dns, name, type, timeout, ans);
	if (b != NULL && (ans->status == AM_DNS_TIMEOUT || ans->status == AM_DNS_BUDGET))
		b->timeouts++;
	if (b != NULL && ans->status == AM_DNS_SERVFAIL)
		b->servfails++;
}

void am_dns_answer_free(struct am_dns_answer *ans)
{
	for (size_t i = 0; i < ans->count; i++)
		free(ans->rr[i].data);
	free(ans->rr);
	ans->rr = NULL;
	ans->count = 0;
}

void am_dns_destroy(struct am_dns *dns)
{
	if (dns != NULL)
		dns->ops->destroy(dns);
}

/* Statuses that mean "try again later" to a check (RFC 8601 temperror). */
bool am_dns_is_temporary(enum am_dns_status st)
{
	return st == AM_DNS_SERVFAIL || st == AM_DNS_TIMEOUT || st == AM_DNS_BUDGET;
}

const char *am_dns_status_name(enum am_dns_status st)
{
	switch (st) {
	case AM_DNS_OK: return "ok";
	case AM_DNS_NXDOMAIN: return "nxdomain";
	case AM_DNS_NODATA: return "nodata";
	case AM_DNS_SERVFAIL: return "servfail";
	case AM_DNS_TIMEOUT: return "timeout";
	case AM_DNS_BUDGET: return "budget";
	case AM_DNS_ERROR: return "error";
	}
	return "error";
}

/* Concatenate the character-strings of a TXT record. */
int am_dns_txt(const struct am_dns_rdata *rr, char *out, size_t outlen)
{
	size_t pos = 0, o = 0;

	while (pos < rr->len) {
		size_t n = rr->data[pos++];
		if (pos + n > rr->len || o + n >= outlen)
			return -1;
		if (memchr(rr->data + pos, '\0', n) != NULL)
			return -1;
		memcpy(out + o, rr->data + pos, n);
		o += n;
		pos += n;
	}
	if (outlen == 0)
		return -1;
	out[o] = '\0';
	return 0;
}

/* A or AAAA RDATA as text. */
int am_dns_addr(const struct am_dns_rdata *rr, enum am_rrtype type, char *out, size_t outlen)
{
	int family = type == AM_RR_A ? AF_INET : AF_INET6;
	size_t want = type == AM_RR_A ? 4 : 16;

	if (rr->len != want || inet_ntop(family, rr->data, out, (socklen_t)outlen) == NULL)
		return -1;
	return 0;
}

/* Decode an uncompressed wire-format name starting at data[0]. */
static int decode_name(const unsigned char *data, size_t len, char *out, size_t outlen)
{
	size_t pos = 0, o = 0;

	while (pos < len) {
		size_t n = data[pos++];
		if (n == 0) {
			if (o == 0 && outlen > 1)
				out[o++] = '.';
			if (o >= outlen)
				return -1;
			out[o] = '\0';
			return 0;
		}
		if (n > 63 || pos + n > len || o + n + 1 >= outlen)
			return -1;
		if (o > 0)
			out[o++] = '.';
		memcpy(out + o, data + pos, n);
		o += n;
		pos += n;
	}
	return -1;
}

/* PTR, CNAME or NS RDATA as a name without the trailing dot. */
int am_dns_name(const struct am_dns_rdata *rr, char *out, size_t outlen)
{
	return decode_name(rr->data, rr->len, out, outlen);
}

/* MX RDATA: preference and exchange. */
int am_dns_mx(const struct am_dns_rdata *rr, unsigned *pref, char *out, size_t outlen)
{
	if (rr->len < 3)
		return -1;
	*pref = (unsigned)rr->data[0] << 8 | rr->data[1];
	return decode_name(rr->data + 2, rr->len - 2, out, outlen);
}
