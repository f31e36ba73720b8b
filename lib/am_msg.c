/*
 * am_msg.c - resets of the per-connection and per-message state.
 */
#include <stdlib.h>
#include <string.h>

#include "am_arc.h"
#include "am_dkim.h"
#include "am_msg.h"
#include "am_runtime.h"

/* Drop the message's generation and clear every field. A message that
 * never started (no generation: the state right after a reset or calloc)
 * has nothing to clear; the struct is 34 KB, and a message's end, abort
 * and close would otherwise clear it three times. */
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
	memset(m, 0, sizeof(*m));
}

void am_conn_reset_helo(struct am_conn *c)
{
	c->helo[0] = '\0';
	c->helo_spf_done = false;
	memset(&c->spf_helo, 0, sizeof(c->spf_helo));
}
