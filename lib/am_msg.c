/*
 * am_msg.c - resets of the per-connection and per-message state.
 */
#include <stdlib.h>
#include <string.h>

#include "am_arc.h"
#include "am_dkim.h"
#include "am_msg.h"
#include "am_runtime.h"

/* Clear len bytes at start, except the message's DKIM signature slots
 * (24 KB): they are read only below results.dkim.count, which is cleared,
 * and am_dkim_eom clears each slot it fills. */
static void clear_but_dkim_slots(void *start, size_t len, struct am_msg *m)
{
	char *from = start, *slots = (char *)m->results.dkim.sigs;
	char *after = (char *)(m->results.dkim.sigs + AM_DKIM_MAX_SIGS);

	memset(from, 0, (size_t)(slots - from));
	memset(after, 0, len - (size_t)(after - from));
}

/* A new connection's state, all clear (see clear_but_dkim_slots). */
void am_conn_clear(struct am_conn *c)
{
	clear_but_dkim_slots(c, sizeof(*c), &c->msg);
}

/* Drop the message's generation and clear it. A message that never
 * started (no generation: the state right after a reset or
 * am_conn_clear) has nothing to clear; a message's end, abort and close
 * would otherwise clear it three times. */
void am_msg_reset(struct am_msg *m)
{
	if (m->rt == NULL && !m->active)
		return;
	am_dkim_msg_free(m->dkim);
	am_arc_msg_free(m->arc);
	for (unsigned i = 0; i < m->nfrom && i < AM_MAX_FROM; i++)
		free(m->from[i]);
	for (unsigned i = 0; i < m->nrcpts; i++)
		free(m->rcpts[i]);
	free(m->rcpts);
	free(m->deletes);
	am_runtime_unref(m->rt);
	clear_but_dkim_slots(m, sizeof(*m), m);
}

void am_conn_reset_helo(struct am_conn *c)
{
	c->helo[0] = '\0';
	c->helo_spf_done = false;
	memset(&c->spf_helo, 0, sizeof(c->spf_helo));
}
