/*
 * am_store_memcached_ring.c - which memcached servers the store asks: the
 * configured list, and the ring (the servers in use, hashed by ketama)
 * that a hung server leaves and comes back to.
 *
 * libmemcached (1.1.4 measured) never ejects a server that accepts
 * connections and never answers: every call for its keys waits the full
 * timeout, for ever. So with `eject`, `failure_limit` timeouts in a row
 * take the server out: the master is rebuilt without it (the pool frees
 * clones of the old ring as they come back), its keys go to the next
 * servers, the others stay put; after `retry_timeout` seconds it is put
 * back and tried again. Without `eject`, or for the last server in the
 * ring, a breaker shared by every clone stops asking it for retry_timeout
 * seconds instead. Dead servers (connection refused) are left to
 * libmemcached's own ejection, which notices them at no cost.
 *
 * Not here: the pool and the operations (am_store_memcached.c).
 */
#include "am_store_memcached_int.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "am_log.h"

/* A new master holding the servers now in the ring; idle clones of the
 * old one go at once, busy ones when they come back. Under the lock. */
int mc_ring_rebuild(struct mc_store *m, char *err, size_t errlen)
{
	memcached_server_st *in = NULL;
	memcached_return_t rc = MEMCACHED_SUCCESS;
	memcached_st *mc = memcached_create(NULL);
	for (uint32_t i = 0; mc && rc == MEMCACHED_SUCCESS && i < m->nservers; i++)
		if (m->out_until[i] == 0)
			in = memcached_server_list_append_with_weight(in, m->list[i].hostname,
								      m->list[i].port,
								      m->list[i].weight, &rc);
	if (!mc || !in || rc != MEMCACHED_SUCCESS || mc_configure(mc, &m->conf, err, errlen) < 0 ||
	    memcached_server_push(mc, in) != MEMCACHED_SUCCESS) {
		snprintf(err, errlen, "memcached: cannot rebuild the server list");
		memcached_server_list_free(in);
		memcached_free(mc);
		return -1;
	}
	memcached_server_list_free(in);
	if (m->master)
		memcached_free(m->master);
	m->master = mc;
	m->gen++;
	while (m->nidle > 0) {
		memcached_free(m->idle[--m->nidle].mc);
		m->created--;
	}
	return 0;
}

/* The earliest time a server out of the ring comes back (0: none out).
 * Under the lock. */
static void ring_next_return(struct mc_store *m)
{
	int64_t next = 0;
	for (uint32_t i = 0; i < m->nservers; i++)
		if (m->out_until[i] && (next == 0 || m->out_until[i] < next))
			next = m->out_until[i];
	atomic_store(&m->next_return, next);
}

/* Take server i out of the ring for retry_timeout seconds, unless it is the
 * last one in it. True when it is out (now or already). */
static bool ring_eject(struct mc_store *m, uint32_t i, int64_t now)
{
	char err[160];
	uint32_t in = 0;
	bool out;
	pthread_mutex_lock(&m->lock);
	for (uint32_t j = 0; j < m->nservers; j++)
		in += m->out_until[j] == 0;
	if (m->out_until[i] == 0 && in > 1) {
		m->out_until[i] = now + m->conf.memcached_retry_timeout;
		if (mc_ring_rebuild(m, err, sizeof(err)) < 0)
			m->out_until[i] = 0;
		else
			am_log(LOG_WARNING, "memcached %s:%u: %d timeout%s in a row: out of the ring for "
			       "%d s, its keys go to the other servers", m->list[i].hostname,
			       (unsigned)m->list[i].port, atomic_load(&m->timeouts[i]),
			       atomic_load(&m->timeouts[i]) == 1 ? "" : "s",
			       m->conf.memcached_retry_timeout);
		ring_next_return(m);
	}
	out = m->out_until[i] != 0;
	pthread_mutex_unlock(&m->lock);
	return out;
}

/* Put back every server whose time out of the ring is over: it is tried
 * again (and leaves again if it still does not answer). */
void mc_ring_return(struct mc_store *m, int64_t now)
{
	char err[160];
	int64_t due = atomic_load(&m->next_return);
	bool back = false;
	if (due == 0 || now < due)
		return;
	pthread_mutex_lock(&m->lock);
	for (uint32_t i = 0; i < m->nservers; i++) {
		if (m->out_until[i] == 0 || m->out_until[i] > now)
			continue;
		m->out_until[i] = 0;
		atomic_store(&m->timeouts[i], 0);
		back = true;
		am_log(LOG_INFO, "memcached %s:%u: back in the ring, tried again",
		       m->list[i].hostname, (unsigned)m->list[i].port);
	}
	if (back && mc_ring_rebuild(m, err, sizeof(err)) < 0)
		am_log(LOG_ERR, "%s", err);
	ring_next_return(m);
	pthread_mutex_unlock(&m->lock);
}

/* The configured index of the server that holds key in clone mc's ring
 * (the ring may lack servers that are out, so positions differ). */
uint32_t mc_ring_server_of(const struct mc_store *m, memcached_st *mc, const char *key)
{
	const memcached_instance_st *in =
		memcached_server_instance_by_position(mc, memcached_generate_hash(mc, key, strlen(key)));
	const char *name = in ? memcached_server_name(in) : NULL;
	for (uint32_t i = 0; name && i < m->nservers; i++)
		if (m->list[i].port == memcached_server_port(in) &&
		    strcmp(m->list[i].hostname, name) == 0)
			return i;
	return m->nservers;
}

/* Name "host:port" of configured server i. */
void mc_ring_server_name(const struct mc_store *m, uint32_t i, char *out, size_t outlen)
{
	if (i < m->nservers)
		snprintf(out, outlen, "%s:%u", m->list[i].hostname, (unsigned)m->list[i].port);
	else
		snprintf(out, outlen, "(no server)");
}

/* Server i timed out. With eject, failure_limit timeouts in a row take it
 * out of the ring; otherwise (or for the last server) the breaker stops
 * asking it for retry_timeout seconds. */
void mc_ring_timed_out(struct mc_store *m, uint32_t i)
{
	int64_t now = (int64_t)time(NULL);
	int n = atomic_fetch_add(&m->timeouts[i], 1) + 1;
	if (m->conf.memcached_eject && n < m->conf.memcached_failure_limit)
		return; /* let it time out again before it counts as hung */
	if (m->conf.memcached_eject && ring_eject(m, i, now))
		return;
	atomic_store(&m->down_until[i], now + m->conf.memcached_retry_timeout);
}

/* Parse "host:port[:weight]" entries separated by commas or blanks into
 * m->list. */
static int mc_servers(struct mc_store *m, const char *text, char *err, size_t errlen)
{
	char buf[1024];
	size_t n = 0;
	if (!text || strlen(text) >= sizeof(buf)) {
		snprintf(err, errlen, "memcached_servers is empty or too long");
		return -1;
	}
	for (const char *p = text; *p; p++) /* libmemcached splits on commas only */
		buf[n++] = (*p == ' ' || *p == '\t') ? ',' : *p;
	buf[n] = '\0';
	m->list = memcached_servers_parse(buf);
	if (!m->list || (m->nservers = memcached_server_list_count(m->list)) == 0) {
		snprintf(err, errlen, "memcached_servers '%s': no server", text);
		return -1;
	}
	return 0;
}

/* The per-server arrays and the first ring (every server in). */
static int ring_arrays(struct mc_store *m, char *err, size_t errlen)
{
	m->down_until = calloc(m->nservers, sizeof(*m->down_until));
	m->timeouts = calloc(m->nservers, sizeof(*m->timeouts));
	m->out_until = calloc(m->nservers, sizeof(*m->out_until));
	if (!m->down_until || !m->timeouts || !m->out_until) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return mc_ring_rebuild(m, err, errlen);
}

/* Parse the list and build the first ring. */
int mc_ring_init(struct mc_store *m, const char *servers, char *err, size_t errlen)
{
	if (mc_servers(m, servers, err, errlen) < 0)
		return -1;
	return ring_arrays(m, err, errlen);
}

/* Free the list and the per-server arrays. */
void mc_ring_free(struct mc_store *m)
{
	memcached_server_list_free(m->list);
	free((void *)m->down_until);
	free((void *)m->timeouts);
	free(m->out_until);
}
