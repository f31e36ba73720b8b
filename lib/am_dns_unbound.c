/*
 * am_dns_unbound.c - the daemon's resolver, on libunbound.
 *
 * One ub_ctx per loaded configuration, configured once before any thread
 * uses it (configuring a context is not thread-safe; resolving is), so its
 * cache is shared by every connection of that generation. ub_resolve() has
 * no timeout (a silent server costs ~17 s), so each query is started with
 * ub_resolve_async() and the calling thread waits on a condition variable
 * until the answer or its deadline; past the deadline the query is
 * cancelled. A private thread per context delivers answers (ub_process).
 * In front of it, an answer cache of the context's own (am_dns_cache.c)
 * answers repeated questions in the calling thread, each for no longer
 * than the TTL libunbound reported: that round trip through two threads
 * (pipes, poll, a condition variable) cost more than the checks' own work.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unbound.h>
#include <unistd.h>

#include "am_dns.h"
#include "am_dns_cache.h"

/* Answers kept in front of libunbound (direct-mapped slots). */
#define AM_DNS_CACHE_SLOTS 4096

struct ub_impl {
	struct ub_ctx *ctx;
	struct am_dns_cache *cache;
	pthread_t thread;
	int stop_pipe[2];
};

/* One query in flight. Two references: the waiting caller and the
 * libunbound callback; whoever drops the last frees it. */
struct pending {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int refs;
	bool done;
	int err;
	struct ub_result *res;
};

/* Drop one reference (mu held); frees p on the last, returns true then. */
static bool pending_unref_locked(struct pending *p)
{
	if (--p->refs > 0) {
		pthread_mutex_unlock(&p->mu);
		return false;
	}
	pthread_mutex_unlock(&p->mu);
	if (p->res != NULL)
		ub_resolve_free(p->res);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
	return true;
}

/* libunbound's callback, run on the delivery thread. */
static void on_answer(void *arg, int err, struct ub_result *res)
{
	struct pending *p = arg;

	pthread_mutex_lock(&p->mu);
	p->done = true;
	p->err = err;
	p->res = res;
	pthread_cond_signal(&p->cv);
	pending_unref_locked(p);
}

/* Delivery thread: hand finished answers to their callbacks. */
static void *deliver_loop(void *arg)
{
	struct ub_impl *u = arg;
	struct pollfd fds[2] = {{.fd = ub_fd(u->ctx), .events = POLLIN},
				{.fd = u->stop_pipe[0], .events = POLLIN}};

	for (;;) {
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (fds[1].revents)
			break;
		if (fds[0].revents)
			ub_process(u->ctx);
	}
	return NULL;
}

/* Copy libunbound's answer into ours. */
static void fill_answer(const struct ub_result *res, struct am_dns_answer *ans)
{
	size_t n = 0;

	ans->rcode = res->rcode;
	ans->secure = res->secure != 0;
	if (res->bogus) {
		ans->status = AM_DNS_SERVFAIL;
		return;
	}
	if (res->rcode == 3) {
		ans->status = AM_DNS_NXDOMAIN;
		return;
	}
	if (res->rcode != 0) {
		ans->status = AM_DNS_SERVFAIL;
		return;
	}
	while (res->havedata && res->data[n] != NULL)
		n++;
	if (n == 0) {
		ans->status = AM_DNS_NODATA;
		return;
	}
	ans->rr = calloc(n, sizeof(*ans->rr));
	if (ans->rr == NULL) {
		ans->status = AM_DNS_ERROR;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = (size_t)res->len[i];
		ans->rr[i].data = malloc(len ? len : 1);
		if (ans->rr[i].data == NULL) {
			ans->status = AM_DNS_ERROR;
			return;
		}
		memcpy(ans->rr[i].data, res->data[i], len);
		ans->rr[i].len = len;
		ans->count = i + 1;
	}
	ans->status = AM_DNS_OK;
}

/* Absolute CLOCK_MONOTONIC time timeout_ms from now. */
static struct timespec deadline_after(int timeout_ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* Make a pending query whose condition variable waits on the monotonic clock. */
static struct pending *pending_new(void)
{
	struct pending *p = calloc(1, sizeof(*p));
	pthread_condattr_t attr;

	if (p == NULL)
		return NULL;
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &attr);
	pthread_condattr_destroy(&attr);
	p->refs = 2;
	return p;
}

/* Resolve one name, waiting at most timeout_ms. */
static void ub_query(struct am_dns *dns, const char *name, enum am_rrtype type, int timeout_ms,
		     struct am_dns_answer *ans)
{
	struct ub_impl *u = dns->impl;
	struct pending *p;
	struct timespec until;
	int64_t asked_ms = am_dns_now_ms();
	int id = 0;

	if (am_dns_cache_get(u->cache, name, type, asked_ms, ans))
		return;
	until = deadline_after(timeout_ms);   /* only a query sent waits */
	if ((p = pending_new()) == NULL) {
		ans->status = AM_DNS_ERROR;
		return;
	}
	if (ub_resolve_async(u->ctx, name, (int)type, 1, p, on_answer, &id) != 0) {
		free(p);
		ans->status = AM_DNS_ERROR;
		return;
	}
	pthread_mutex_lock(&p->mu);
	while (!p->done && pthread_cond_timedwait(&p->cv, &p->mu, &until) != ETIMEDOUT)
		;
	if (!p->done) {
		pthread_mutex_unlock(&p->mu);
		/* Success means the callback will never run: drop its reference too. */
		bool cancelled = ub_cancel(u->ctx, id) == 0;
		pthread_mutex_lock(&p->mu);
		if (!p->done) {
			ans->status = AM_DNS_TIMEOUT;
			if (cancelled)
				p->refs--;
			pending_unref_locked(p);
			return;
		}
	}
	if (p->err != 0 || p->res == NULL) {
		ans->status = AM_DNS_SERVFAIL;
	} else {
		fill_answer(p->res, ans);
		if (!p->res->bogus)
			am_dns_cache_put(u->cache, name, type, ans, p->res->ttl, asked_ms);
	}
	pending_unref_locked(p);
}

/* Stop the delivery thread, then free the context. */
static void ub_destroy(struct am_dns *dns)
{
	struct ub_impl *u = dns->impl;

	if (write(u->stop_pipe[1], "x", 1) == 1)
		pthread_join(u->thread, NULL);
	close(u->stop_pipe[0]);
	close(u->stop_pipe[1]);
	ub_ctx_delete(u->ctx);
	am_dns_cache_free(u->cache);
	free(u);
	free(dns);
}

static const struct am_dns_ops ub_ops = {.query = ub_query, .destroy = ub_destroy};

/* Point the context at the given nameservers or at resolv.conf. */
static int configure_ctx(struct ub_ctx *ctx, const char *nameservers, const char *ta,
			 char *err, size_t errlen)
{
	int rc;

	/* Nameservers on loopback are normal (a local caching resolver), and
	 * reverse names of private and documentation networks (PTR checks of
	 * internal clients) must reach them instead of being answered NXDOMAIN
	 * by libunbound's built-in local zones. After ~15 s without answers a
	 * nameserver is marked down in libunbound's infrastructure cache, and
	 * with the default entry lifetime (900 s) it was asked again only ~15 s
	 * after its return (measured, t/fault-dns.sh). The servers here are the
	 * admin's own resolvers (forwarders): their entries (round-trip time,
	 * EDNS, down mark) live 2 s, and mail flows again 0.3-5.7 s after a
	 * resolver comes back (measured; the upper end is libunbound's 5 s
	 * cache of a SERVFAIL it gave for that very name). */
	if ((rc = ub_ctx_async(ctx, 1)) != 0 ||
	    (rc = ub_ctx_set_option(ctx, "do-not-query-localhost:", "no")) != 0 ||
	    (rc = ub_ctx_set_option(ctx, "unblock-lan-zones:", "yes")) != 0 ||
	    (rc = ub_ctx_set_option(ctx, "infra-host-ttl:", "2")) != 0) {
		snprintf(err, errlen, "libunbound: %s", ub_strerror(rc));
		return -1;
	}
	if (nameservers == NULL || *nameservers == '\0') {
		if ((rc = ub_ctx_resolvconf(ctx, NULL)) != 0) {
			snprintf(err, errlen, "reading resolv.conf: %s", ub_strerror(rc));
			return -1;
		}
	} else {
		char buf[1024], *save = NULL;
		snprintf(buf, sizeof(buf), "%s", nameservers);
		for (char *ns = strtok_r(buf, ", \t", &save); ns; ns = strtok_r(NULL, ", \t", &save)) {
			if ((rc = ub_ctx_set_fwd(ctx, ns)) != 0) {
				snprintf(err, errlen, "nameserver '%s': %s", ns, ub_strerror(rc));
				return -1;
			}
		}
	}
	if (ta != NULL && *ta != '\0' && (rc = ub_ctx_add_ta_file(ctx, ta)) != 0) {
		snprintf(err, errlen, "trust anchor '%s': %s", ta, ub_strerror(rc));
		return -1;
	}
	return 0;
}

/* A libunbound resolver; see am_dns.h. */
struct am_dns *am_dns_unbound_new(const char *nameservers, const char *trust_anchor_file,
				  int query_timeout_ms, char *err, size_t errlen)
{
	struct am_dns *dns = calloc(1, sizeof(*dns));
	struct ub_impl *u = calloc(1, sizeof(*u));

	if (dns == NULL || u == NULL || (u->ctx = ub_ctx_create()) == NULL ||
	    (u->cache = am_dns_cache_new(AM_DNS_CACHE_SLOTS)) == NULL) {
		snprintf(err, errlen, "cannot create a libunbound context");
		goto fail;
	}
	if (configure_ctx(u->ctx, nameservers, trust_anchor_file, err, errlen) != 0)
		goto fail;
	if (pipe(u->stop_pipe) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	if (pthread_create(&u->thread, NULL, deliver_loop, u) != 0) {
		snprintf(err, errlen, "cannot start the DNS delivery thread");
		close(u->stop_pipe[0]);
		close(u->stop_pipe[1]);
		goto fail;
	}
	dns->ops = &ub_ops;
	dns->impl = u;
	dns->query_timeout_ms = query_timeout_ms;
	return dns;
fail:
	if (u != NULL && u->ctx != NULL)
		ub_ctx_delete(u->ctx);
	if (u != NULL)
		am_dns_cache_free(u->cache);
	free(u);
	free(dns);
	return NULL;
}
