/*
 * am_runtime.h - one generation of loaded configuration and the library
 * handles built from it (resolver, SPF server, DKIM library, ...).
 *
 * A generation is read-only and reference-counted: a reload builds a new
 * one and swaps it into the slot; connections and messages keep the one
 * they started with until they drop their reference.
 */
#ifndef AM_RUNTIME_H
#define AM_RUNTIME_H

#include <pthread.h>
#include <stdatomic.h>

#include "am_config.h"
#include "am_dns.h"

struct am_spf;
struct am_dkim;
struct am_dmarc_ctx;
struct am_grey;
struct am_store_registry;
struct am_metrics;

struct am_runtime {
	atomic_int refs;
	unsigned long generation;
	struct am_config *cfg;
	struct am_dns *dns;
	struct am_spf *spf;
	struct am_dkim *dkim;
	struct am_dmarc_ctx *dmarc;
	struct am_grey *grey;
};

/* Build a generation from cfg (taking ownership of it, even on failure).
 * stores: the process's greylisting stores (they outlive generations);
 * NULL only when greylisting is off. */
struct am_runtime *am_runtime_new(struct am_config *cfg, struct am_store_registry *stores,
				  unsigned long generation, char *err, size_t errlen);
/* Same, with a caller-made resolver (tests, offline mode with a table). */
struct am_runtime *am_runtime_new_with_dns(struct am_config *cfg, struct am_dns *dns,
					   struct am_store_registry *stores, unsigned long generation,
					   char *err, size_t errlen);
/* Checks of the config that need a module's own knowledge (choice names,
 * list syntax) but no handle or I/O; for `authmilter -n` and reloads. */
int am_runtime_check_config(const struct am_config *cfg, char *err, size_t errlen);
/* Log the warnings of a loaded config (deprecated keys) at LOG_WARNING. */
void am_runtime_log_warnings(const struct am_config *cfg);
struct am_runtime *am_runtime_ref(struct am_runtime *rt);
void am_runtime_unref(struct am_runtime *rt);

/* The current generation, swapped atomically by reloads. */
struct am_runtime_slot {
	pthread_mutex_t mu;
	struct am_runtime *current;
	struct am_metrics *metrics;  /* process-wide, outlives generations; NULL: off */
};

void am_runtime_slot_init(struct am_runtime_slot *slot, struct am_runtime *first);
/* A new reference to the current generation. */
struct am_runtime *am_runtime_slot_get(struct am_runtime_slot *slot);
/* Install rt (the slot takes the caller's reference) and drop the old one. */
void am_runtime_slot_swap(struct am_runtime_slot *slot, struct am_runtime *rt);
void am_runtime_slot_clear(struct am_runtime_slot *slot);

#endif
