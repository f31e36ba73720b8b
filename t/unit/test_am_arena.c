/*
 * test_am_arena.c - the message bump allocator: alignment, the same bytes
 * never handed out twice across block boundaries, large allocations freed
 * one by one, and the release of everything (ASan and valgrind see leaks).
 */
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "am_arena.h"
#include "tap.h"

/* Many small allocations across several blocks: each aligned, each keeps
 * what was written into it. */
static void test_small(void)
{
	struct am_arena a = {0};
	unsigned char *p[3000];
	bool aligned = true, kept = true;

	for (size_t i = 0; i < 3000; i++) {
		size_t n = 1 + i % 200;
		if ((p[i] = am_arena_alloc(&a, n)) == NULL)
			break;
		aligned &= (uintptr_t)p[i] % alignof(max_align_t) == 0;
		memset(p[i], (int)(i & 0xff), n);
	}
	for (size_t i = 0; i < 3000 && p[i] != NULL; i++)
		for (size_t k = 0; k < 1 + i % 200; k++)
			kept &= p[i][k] == (i & 0xff);
	ok(aligned, "every allocation aligned for any type");
	ok(kept, "300 KB of small allocations over several blocks never overlap");
	am_arena_release(&a, p[5]);
	ok(p[6][0] == 6, "releasing a small allocation leaves the others alone");
	am_arena_free(&a);
	ok(a.blocks == NULL && a.large == NULL, "freed arena is empty");
	ok(am_arena_alloc(&a, 0) != NULL, "an emptied arena is usable again (0 bytes too)");
	am_arena_free(&a);
}

/* Large allocations get their own block and are freed on release. */
static void test_large(void)
{
	struct am_arena a = {0};
	char *big1 = am_arena_alloc(&a, AM_ARENA_LARGE + 1);
	char *small = am_arena_alloc(&a, 10);
	char *big2 = am_arena_alloc(&a, 1 << 20);

	ok(big1 && small && big2, "large and small allocations");
	memset(big1, 'a', AM_ARENA_LARGE + 1);
	memset(big2, 'b', 1 << 20);
	ok(a.large != NULL && a.blocks != NULL, "large ones in blocks of their own");
	am_arena_release(&a, big1);
	am_arena_release(&a, NULL);
	ok(big2[(1 << 20) - 1] == 'b', "releasing one large allocation keeps the other");
	am_arena_release(&a, big2);
	ok(a.large == NULL, "both large blocks freed at release");
	is_str(am_arena_strdup(&a, "ARC-Seal"), "ARC-Seal", "strdup");
	am_arena_free(&a);
}

int main(void)
{
	test_small();
	test_large();
	return done_testing();
}
