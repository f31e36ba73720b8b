/*
 * test_am_header.c - unfolding, sanitising and CRLF copies of header values.
 */
#include <stdlib.h>
#include <string.h>

#include "am_arena.h"
#include "am_header.h"
#include "tap.h"

/* Bare LFs become CRLF, CRLFs stay; with a name, "name:" comes first. */
static void test_crlf(void)
{
	struct am_arena arena = {0};
	size_t len = 0;
	char *c = am_header_crlf(&arena, NULL, 0, "\na\r\n\tb\n\tc", &len);

	ok(c != NULL && len == 11 && strcmp(c, "\r\na\r\n\tb\r\n\tc") == 0, "bare LFs made CRLF");
	c = am_header_crlf(&arena, "Subject  ", 7, " x\n y", &len);
	ok(c != NULL && len == 14 && strcmp(c, "Subject: x\r\n y") == 0, "name: prefix, nlen bytes of it");
	c = am_header_crlf(&arena, "X", 1, "", &len);
	ok(c != NULL && len == 2 && strcmp(c, "X:") == 0, "empty value");
	am_arena_free(&arena);
}

int main(void)
{
	char out[64];

	am_header_unfold(" value\r\n\tcontinued \r\n", out, sizeof(out));
	is_str(out, "value\tcontinued", "unfold and trim");
	am_header_unfold("\n x", out, sizeof(out));
	is_str(out, "x", "leading fold dropped");
	ok(!am_header_unfold("0123456789", out, 5), "truncation reported");
	is_str(out, "0123", "bounded copy");
	am_header_sanitize("a\r\nb\tc\x7f", out, sizeof(out));
	is_str(out, "a??b?c?", "control bytes replaced");
	am_header_sanitize(NULL, out, sizeof(out));
	is_str(out, "", "NULL is empty");
	ok(am_header_name_is("authentication-RESULTS", "Authentication-Results"), "names compare without case");
	ok(!am_header_name_is("Authentication-Results-X", "Authentication-Results"), "prefix is not a match");
	test_crlf();
	return done_testing();
}
