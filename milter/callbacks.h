/*
 * callbacks.h - the libmilter callback table. Callbacks translate
 * libmilter's arguments into lib/am_session.c calls and never decide.
 */
#ifndef AM_CALLBACKS_H
#define AM_CALLBACKS_H

#include <libmilter/mfapi.h>

#include "am_runtime.h"

/* The filter description to pass to smfi_register(); slot is where the
 * callbacks take the current configuration generation from. */
struct smfiDesc *am_callbacks_filter(struct am_runtime_slot *slot);

/* How many callbacks are running right now (for a clean stop). */
int am_callbacks_busy(void);

/* Let no new callback in: from now on each answers the MTA with a
 * temporary failure without touching any state (called once smfi_main()
 * has returned, before the wait for the running ones). */
void am_callbacks_shut(void);

/* Close the conversations libmilter left open at the stop (it drops those
 * between two commands without xxfi_close) and return how many. Only after
 * am_callbacks_shut() and once no callback runs. */
unsigned am_callbacks_close_abandoned(void);

#endif
