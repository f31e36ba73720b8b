/*
 * test_am_dns_cache.c - the DNS answer cache: a stored answer comes back as
 * an independent copy, for the same name (any case, with or without the
 * final dot) and type only, and never at or past the time asked + TTL;
 * errors, timeouts and TTL 0 are never kept; a slot's new answer replaces
 * the old; several threads storing and reading at once see whole answers.
 * Times are passed in, so nothing here waits.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am_dns.h"
#include "am_dns_cache.h"
#include "tap.h"

/* An answer of one TXT record holding text (as one character-string). */
static struct am_dns_answer txt_answer(const char *text)
{
	struct am_dns_answer a = {.status = AM_DNS_OK, .count = 1};
	size_t n = strlen(text);

	a.rr = calloc(1, sizeof(*a.rr));
	a.rr[0].data = malloc(n + 1);
	a.rr[0].data[0] = (unsigned char)n;
	memcpy(a.rr[0].data + 1, text, n);
	a.rr[0].len = n + 1;
	return a;
}

/* The text of a one-record TXT answer, or "" when it is not one. */
static const char *txt_of(const struct am_dns_answer *a, char *buf, size_t len)
{
	if (a->status != AM_DNS_OK || a->count != 1 || am_dns_txt(&a->rr[0], buf, len) != 0)
		buf[0] = '\0';
	return buf;
}

static void test_ttl(void)
{
	struct am_dns_cache *c = am_dns_cache_new(100);
	struct am_dns_answer a = txt_answer("v=spf1 -all"), got;
	char buf[128];

	ok(!am_dns_cache_get(c, "a.example", AM_RR_TXT, 1000, &got), "empty cache: miss");
	am_dns_cache_put(c, "a.example", AM_RR_TXT, &a, 300, 1000);
	am_dns_answer_free(&a);
	ok(am_dns_cache_get(c, "a.example", AM_RR_TXT, 1000, &got), "stored: hit");
	is_str(txt_of(&got, buf, sizeof(buf)), "v=spf1 -all", "the same record, a copy that outlives the stored one");
	am_dns_answer_free(&got);
	ok(am_dns_cache_get(c, "A.Example.", AM_RR_TXT, 2000, &got), "any case, final dot: hit");
	am_dns_answer_free(&got);
	ok(!am_dns_cache_get(c, "a.example", AM_RR_A, 2000, &got), "other type: miss");
	ok(!am_dns_cache_get(c, "b.a.example", AM_RR_TXT, 2000, &got), "other name: miss");
	ok(am_dns_cache_get(c, "a.example", AM_RR_TXT, 1000 + 300 * 1000 - 1, &got), "1 ms before the TTL ends: hit");
	am_dns_answer_free(&got);
	ok(!am_dns_cache_get(c, "a.example", AM_RR_TXT, 1000 + 300 * 1000, &got), "when the TTL ends: miss");
	ok(!am_dns_cache_get(c, "a.example", AM_RR_TXT, 1000 + 301 * 1000, &got), "after it: miss");
	am_dns_cache_free(c);
}

static void test_what_is_kept(void)
{
	struct am_dns_cache *c = am_dns_cache_new(100);
	struct am_dns_answer a = {0}, got;
	const struct {
		enum am_dns_status st;
		int ttl;
		bool kept;
		const char *what;
	} cases[] = {
		{AM_DNS_NXDOMAIN, 60, true, "NXDOMAIN with a TTL: kept"},
		{AM_DNS_NODATA, 60, true, "NODATA with a TTL: kept"},
		{AM_DNS_SERVFAIL, 60, false, "SERVFAIL: never kept"},
		{AM_DNS_TIMEOUT, 60, false, "timeout: never kept"},
		{AM_DNS_BUDGET, 60, false, "budget spent: never kept"},
		{AM_DNS_ERROR, 60, false, "local error: never kept"},
		{AM_DNS_NXDOMAIN, 0, false, "TTL 0: not kept"},
		{AM_DNS_NXDOMAIN, -1, false, "negative TTL: not kept"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[32];
		snprintf(name, sizeof(name), "n%zu.example", i);
		a.status = cases[i].st;
		am_dns_cache_put(c, name, AM_RR_TXT, &a, cases[i].ttl, 0);
		bool hit = am_dns_cache_get(c, name, AM_RR_TXT, 10, &got);
		ok(hit == cases[i].kept && (!hit || got.status == cases[i].st), "%s", cases[i].what);
		if (hit)
			am_dns_answer_free(&got);
	}
	am_dns_cache_put(c, ".", AM_RR_TXT, &a, 60, 0);
	ok(!am_dns_cache_get(c, "", AM_RR_TXT, 10, &got), "the empty name is never kept");
	am_dns_cache_free(c);
}

static void test_replace(void)
{
	struct am_dns_cache *c = am_dns_cache_new(1); /* 64 slots */
	struct am_dns_answer a = txt_answer("one"), b = txt_answer("two"), got;
	char buf[64];
	int kept = 0;

	am_dns_cache_put(c, "a.example", AM_RR_TXT, &a, 60, 0);
	am_dns_cache_put(c, "a.example", AM_RR_TXT, &b, 60, 0);
	ok(am_dns_cache_get(c, "a.example", AM_RR_TXT, 10, &got) &&
	   !strcmp(txt_of(&got, buf, sizeof(buf)), "two"), "a new answer replaces the old");
	am_dns_answer_free(&got);
	for (int i = 0; i < 1000; i++) {
		char name[32];
		snprintf(name, sizeof(name), "n%d.example", i);
		am_dns_cache_put(c, name, AM_RR_TXT, &a, 60, 0);
	}
	for (int i = 0; i < 1000; i++) {
		char name[32];
		snprintf(name, sizeof(name), "n%d.example", i);
		if (am_dns_cache_get(c, name, AM_RR_TXT, 10, &got)) {
			kept++;
			if (strcmp(txt_of(&got, buf, sizeof(buf)), "one") != 0)
				ok(0, "a kept answer is its own name's (%s)", name);
			am_dns_answer_free(&got);
		}
	}
	ok(kept > 0 && kept <= 64, "the size is fixed: %d of 1000 names kept in 64 slots, each its own answer", kept);
	am_dns_answer_free(&a);
	am_dns_answer_free(&b);
	am_dns_cache_free(c);
}

/* A thread storing and reading its own names' answers. */
static void *hammer(void *arg)
{
	struct am_dns_cache *c = arg;
	long bad = 0;

	for (int i = 0; i < 20000; i++) {
		char name[32], want[32], buf[64];
		struct am_dns_answer a, got;
		snprintf(name, sizeof(name), "h%d.example", i % 300);
		snprintf(want, sizeof(want), "value of h%d", i % 300);
		if (am_dns_cache_get(c, name, AM_RR_TXT, 10, &got)) {
			bad += strcmp(txt_of(&got, buf, sizeof(buf)), want) != 0;
			am_dns_answer_free(&got);
		} else {
			a = txt_answer(want);
			am_dns_cache_put(c, name, AM_RR_TXT, &a, 60, 0);
			am_dns_answer_free(&a);
		}
	}
	return (void *)bad;
}

static void test_threads(void)
{
	struct am_dns_cache *c = am_dns_cache_new(128);
	pthread_t th[4];
	long bad = 0;

	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, hammer, c);
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(th[i], &r);
		bad += (long)r;
	}
	is_int(bad, 0, "4 threads storing and reading at once: every answer whole and right");
	am_dns_cache_free(c);
}

int main(void)
{
	test_ttl();
	test_what_is_kept();
	test_replace();
	test_threads();
	return done_testing();
}
