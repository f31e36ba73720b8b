/*
 * fuzz/fuzz.h - helpers shared by the fuzz targets in fuzz/: copying the
 * input into exact-size heap strings (so AddressSanitizer sees every byte
 * read past the end), splitting it into lines or NUL-separated fields,
 * a check macro that aborts, which libFuzzer reports as a crash, and the
 * table resolver's text with the DKIM fixture keys.
 * Every target is one file defining LLVMFuzzerTestOneInput; built with
 * clang -fsanitize=fuzzer by `make fuzz`, and with gcc against
 * fuzz/replay.c by `make check`, which replays fuzz/seeds and
 * fuzz/regressions. Nothing here is used by the daemon.
 */
#ifndef AM_FUZZ_H
#define AM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* An invariant of the code under test: abort (a libFuzzer crash) if false. */
#define FUZZ_CHECK(cond)                                                                  \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", #cond, __FILE__, \
				__LINE__);                                                \
			abort();                                                          \
		}                                                                         \
	} while (0)

/* A NUL-terminated heap copy of data[0..n) (embedded NULs end the string
 * early, as they would for a C string from the wire). Aborts on ENOMEM. */
static inline char *fuzz_cstr(const uint8_t *data, size_t n)
{
	char *s = malloc(n + 1);
	if (s == NULL)
		abort();
	if (n)
		memcpy(s, data, n);
	s[n] = '\0';
	return s;
}

/* Cursor over the input: successive pieces up to a separator byte. */
struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

/* Next piece up to sep (not included) as a new exact-size string; the
 * rest of the input when sep does not occur. "" at the end of the input. */
static inline char *fuzz_next(struct fuzz_in *in, uint8_t sep)
{
	const uint8_t *end = in->left ? memchr(in->p, sep, in->left) : NULL;
	size_t n = end ? (size_t)(end - in->p) : in->left;
	char *s = fuzz_cstr(in->p, n);
	in->p += n;
	in->left -= n;
	if (end) {
		in->p++;
		in->left--;
	}
	return s;
}

/* One byte of the input as a number (0 when it is used up). */
static inline unsigned fuzz_byte(struct fuzz_in *in)
{
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->p++;
}

/* A table resolver's text: zone, then the DKIM fixture keys
 * (t/data/dkim/keys.zone under $top_srcdir; none without the source tree).
 * Heap string for am_dns_table_new; aborts on ENOMEM. */
static inline char *fuzz_dns_table(const char *zone)
{
	const char *top = getenv("top_srcdir");
	char path[4096], *text = NULL, line[4096];
	size_t len = 0;
	FILE *f, *mem = open_memstream(&text, &len);

	if (mem == NULL)
		abort();
	fputs(zone, mem);
	snprintf(path, sizeof(path), "%s/t/data/dkim/keys.zone", top ? top : ".");
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			fputs(line, mem);
		fclose(f);
	}
	fclose(mem);
	return text;
}

/* Is every byte of s printable ASCII or a space? */
static inline int fuzz_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

#endif
