/*
 * am_grey_cache.h - auto-whitelisted client networks seen in the last
 * minute, kept in the process so that a busy sender's messages do not each
 * ask the store the same question (see am_grey_cache.c). Thread-safe; one
 * per greylisting generation.
 */
#ifndef AM_GREY_CACHE_H
#define AM_GREY_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "am_store.h"

/* Seconds a store answer "this network is auto-whitelisted" is reused. */
#define AM_GREY_CACHE_SECONDS 60

struct am_grey_cache;

/* A cache of a fixed size; NULL when out of memory. */
struct am_grey_cache *am_grey_cache_new(void);
void am_grey_cache_free(struct am_grey_cache *c);

/* Was the network's store key found whitelisted less than
 * AM_GREY_CACHE_SECONDS before now? Fills *passes (its counter then). */
bool am_grey_cache_listed(struct am_grey_cache *c, const char *key, int64_t now, uint32_t *passes);

/* The store just said key is whitelisted with this many passes. */
void am_grey_cache_note(struct am_grey_cache *c, const char *key, int64_t now, uint32_t passes);

#endif
