/*
 * am_arena.h - a bump allocator for one message's verifier: many small
 * allocations and one release at the end. The DKIM layer keeps one for
 * libopendkim's handle (through dkim_init's allocator hooks) and its header
 * copies, ARC one for its kept header fields, so a message costs a few
 * malloc calls instead of about a hundred, each of which (on a connection thread of libmilter, whose
 * tcache starts empty) takes an arena lock and a cold cache line.
 */
#ifndef AM_ARENA_H
#define AM_ARENA_H

#include <stddef.h>

struct am_arena_block;

/* All zero is an empty arena; nothing is allocated before the first use. */
struct am_arena {
	struct am_arena_block *blocks;  /* shared blocks, newest first */
	struct am_arena_block *large;   /* one allocation each, newest first */
};

/* Allocations above this many bytes get a block of their own, which
 * am_arena_release frees at once (libopendkim's growing strings); smaller
 * ones are carved from shared blocks and wait for am_arena_free. */
#define AM_ARENA_LARGE 2048

/* n bytes aligned for any type, or NULL when out of memory. */
void *am_arena_alloc(struct am_arena *a, size_t n);
/* A copy of the string s, or NULL when out of memory. */
char *am_arena_strdup(struct am_arena *a, const char *s);
/* Give back p (from a): a large allocation is freed now, a small one with
 * the arena. NULL is allowed. */
void am_arena_release(struct am_arena *a, void *p);
/* Free every allocation of a and leave it empty. */
void am_arena_free(struct am_arena *a);

#endif
