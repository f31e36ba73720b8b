/*
 * tap.h - a tiny TAP producer for the C unit tests: ok(), is_str(), is_int()
 * and done_testing(), which also prints "N passed, N failed".
 */
#ifndef AM_TAP_H
#define AM_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_run, tap_failed;

/* Report one assertion; returns cond so callers can branch on it. */
static inline int tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	tap_run++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		printf("#   failed at %s:%d\n", file, line);
	fflush(stdout);
	return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_str(got, want, name)                                                        \
	do {                                                                           \
		const char *g_ = (got), *w_ = (want);                                   \
		if (!ok(g_ && w_ && strcmp(g_, w_) == 0, "%s", name))                  \
			printf("#   got:  '%s'\n#   want: '%s'\n", g_ ? g_ : "(null)", \
			       w_ ? w_ : "(null)");                                     \
	} while (0)

#define is_int(got, want, name)                                                        \
	do {                                                                           \
		long g_ = (long)(got), w_ = (long)(want);                              \
		if (!ok(g_ == w_, "%s", name))                                         \
			printf("#   got:  %ld\n#   want: %ld\n", g_, w_);                  \
	} while (0)

#define diag(...) (printf("# "), printf(__VA_ARGS__), printf("\n"))

/* Print the plan and the summary; exit status says whether all passed. */
static inline int done_testing(void)
{
	printf("1..%d\n", tap_run);
	printf("# %d passed, %d failed\n", tap_run - tap_failed, tap_failed);
	return tap_failed ? 1 : 0;
}

#endif
