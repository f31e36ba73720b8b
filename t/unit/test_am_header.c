/*
 * test_am_header.c - unfolding and sanitising header values.
 */
#include "am_header.h"
#include "tap.h"

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
	return done_testing();
}
