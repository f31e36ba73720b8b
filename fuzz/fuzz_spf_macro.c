/*
 * fuzz/fuzz_spf_macro.c - fuzz target: RFC 7208 macro expansion of
 * explanation strings (lib/am_spf_macro.c) with hostile macro text and
 * hostile values (sender, domain, HELO: what a client or a DNS record
 * chooses), IPv4 and IPv6 clients, into buffers of several sizes.
 *
 * Input: one byte picking the client address, then
 * "text\nsender\ndomain\nhelo\nvalidated-name". Checks: the output is in
 * bounds, and a smaller buffer gives a prefix of the larger one's output.
 */
#include <arpa/inet.h>

#include "am_addr.h"
#include "am_spf_macro.h"
#include "fuzz.h"

/* The %{p} value: the last input line. */
static const char *validated(void *arg)
{
	return arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ips[] = {"192.0.2.3", "2001:db8::cb01", "::ffff:192.0.2.3", "0.0.0.0",
					  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"};
	struct fuzz_in in = {data, size};
	unsigned sel = fuzz_byte(&in);
	char *text = fuzz_next(&in, '\n'), *sender = fuzz_next(&in, '\n');
	char *domain = fuzz_next(&in, '\n'), *helo = fuzz_next(&in, '\n'), *ptr = fuzz_next(&in, '\n');
	const char *at = strrchr(sender, '@');
	char local[256];
	struct am_ip ip;
	struct am_spf_macro_env env;
	char big[4096], *small;
	size_t lens[] = {1, 2, 7, 64, 512}, tl = strlen(text);
	int rc;

	snprintf(local, sizeof(local), "%.*s", at ? (int)(at - sender) : 0, sender);
	if (am_ip_parse(ips[sel % 5], &ip) != 0)
		abort();
	env = (struct am_spf_macro_env){
		.sender = sender, .local_part = at ? local : "postmaster",
		.sender_domain = at ? at + 1 : sender, .domain = domain, .helo = helo,
		.receiver = (sel & 8) ? NULL : "mx.fuzz.example", .ip = &ip, .now = (long)sel * 1000003,
		.validated_name = (sel & 16) ? NULL : validated, .arg = ptr,
	};
	rc = am_spf_macro_expand(text, tl, &env, big, sizeof(big));
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		FUZZ_CHECK(strlen(big) < sizeof(big));
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			if ((small = malloc(lens[i])) == NULL)
				abort();
			FUZZ_CHECK(am_spf_macro_expand(text, tl, &env, small, lens[i]) == 0);
			FUZZ_CHECK(strlen(small) < lens[i] && strncmp(small, big, strlen(small)) == 0);
			free(small);
		}
	}
	free(text), free(sender), free(domain), free(helo), free(ptr);
	return 0;
}
