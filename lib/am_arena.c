/*
 * am_arena.c - one message's bump allocator (see am_arena.h). Shared
 * blocks start at FIRST_BLOCK bytes and double up to LAST_BLOCK: ARC's
 * copies of a plain message's header fit in the first, libopendkim's
 * handle for a 4 KB signed message (about 19 KB with the header copies)
 * in the first three. Small first blocks keep the memory of 50 messages
 * in flight close to malloc's (daemon RSS at 50 connections: +0.2-0.5 MB;
 * with 8 KB first blocks +1.0-1.5 MB).
 */
#include "am_arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_BLOCK (4 * 1024)
#define LAST_BLOCK (256 * 1024)
#define ALIGN alignof(max_align_t)

struct am_arena_block {
	struct am_arena_block *next;
	size_t size, used;              /* of data */
	alignas(max_align_t) unsigned char data[];
};

static size_t round_up(size_t n)
{
	return (n + ALIGN - 1) & ~(ALIGN - 1);
}

static struct am_arena_block *block_new(size_t size)
{
	struct am_arena_block *b;

	if (size > SIZE_MAX - sizeof(*b) || (b = malloc(sizeof(*b) + size)) == NULL)
		return NULL;
	b->size = size;
	b->used = 0;
	return b;
}

/* A block of its own for a large allocation. */
static void *alloc_large(struct am_arena *a, size_t n)
{
	struct am_arena_block *b = block_new(n);

	if (b == NULL)
		return NULL;
	b->used = n;
	b->next = a->large;
	a->large = b;
	return b->data;
}

void *am_arena_alloc(struct am_arena *a, size_t n)
{
	struct am_arena_block *b = a->blocks;
	size_t need = round_up(n ? n : 1);

	if (n > AM_ARENA_LARGE)
		return alloc_large(a, n);
	if (b == NULL || b->size - b->used < need) {
		size_t size = b == NULL ? FIRST_BLOCK : b->size < LAST_BLOCK ? b->size * 2 : LAST_BLOCK;
		if ((b = block_new(size)) == NULL)
			return NULL;
		b->next = a->blocks;
		a->blocks = b;
	}
	b->used += need;
	return b->data + b->used - need;
}

char *am_arena_strdup(struct am_arena *a, const char *s)
{
	size_t n = strlen(s) + 1;
	char *copy = am_arena_alloc(a, n);

	return copy ? memcpy(copy, s, n) : NULL;
}

void am_arena_release(struct am_arena *a, void *p)
{
	for (struct am_arena_block **at = &a->large; p != NULL && *at != NULL; at = &(*at)->next) {
		if ((*at)->data == p) {
			struct am_arena_block *b = *at;
			*at = b->next;
			free(b);
			return;
		}
	}
}

static void free_list(struct am_arena_block *b)
{
	while (b != NULL) {
		struct am_arena_block *next = b->next;
		free(b);
		b = next;
	}
}

void am_arena_free(struct am_arena *a)
{
	free_list(a->blocks);
	free_list(a->large);
	a->blocks = a->large = NULL;
}
