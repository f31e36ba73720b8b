/*
 * fuzz/fuzz_grey_key.c - fuzz target: the greylisting triplet
 * (lib/am_grey_key.c): envelope sender normalisation (SRS, BATV,
 * +extension, VERP) and the client network or SPF domain, under every
 * combination of the [greylist] normalisation options.
 *
 * Input: two option bytes, then "sender\nip\nspf-domain\nrecipient".
 * Checks: outputs stay in bounds (exact-size buffers of several sizes),
 * the sender comes out lower-case with at most one '@' added, a network
 * is an address with its host bits cleared and the configured prefix,
 * and store keys are "g:"/"n:" plus 64 hex digits.
 */
#include <arpa/inet.h>
#include <ctype.h>

#include "am_addr.h"
#include "am_config.h"
#include "am_grey.h"
#include "fuzz.h"

static struct am_config *base;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc, (void)argv;
	if ((base = am_config_defaults(err, sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz_grey_key: %s\n", err);
		abort();
	}
	return 0;
}

/* Normalise into len bytes: in bounds and lower-case. */
static void check_sender(const struct am_config *cfg, const char *sender, size_t len)
{
	char *out = malloc(len);

	if (out == NULL)
		abort();
	am_grey_norm_sender(cfg, sender, out, len);
	FUZZ_CHECK(strlen(out) < len);
	for (const char *p = out; *p; p++)
		FUZZ_CHECK(!isupper((unsigned char)*p));
	free(out);
}

/* The network: "spf:domain", or ADDRESS/PREFIX with host bits clear. */
static void check_network(const struct am_config *cfg, const char *ip, const char *spf)
{
	char net[AM_DOMAIN_MAX + 8], key[AM_STORE_KEY_MAX + 1];
	struct am_ip a, masked;
	char *slash;

	if (am_grey_network(cfg, ip, spf, net, sizeof(net)) != 0) {
		FUZZ_CHECK(am_ip_parse(ip, &a) != 0);
		return;
	}
	am_grey_network_key(net, key);
	FUZZ_CHECK(strlen(key) == 66 && strncmp(key, "n:", 2) == 0);
	if (strncmp(net, "spf:", 4) == 0) {
		FUZZ_CHECK(cfg->grey_use_spf_domain && spf[0] != '\0');
		return;
	}
	FUZZ_CHECK((slash = strchr(net, '/')) != NULL);
	*slash = '\0';
	FUZZ_CHECK(am_ip_parse(net, &a) == 0);
	masked = a;
	am_ip_mask(&masked, (unsigned)atoi(slash + 1));
	FUZZ_CHECK(memcmp(masked.addr, a.addr, sizeof(a.addr)) == 0);
	FUZZ_CHECK(atoi(slash + 1) == (a.family == AF_INET ? cfg->grey_ipv4_prefix : cfg->grey_ipv6_prefix));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct am_config cfg = *base; /* shallow: only the scalar options change */
	unsigned o1 = fuzz_byte(&in), o2 = fuzz_byte(&in);
	char *sender = fuzz_next(&in, '\n'), *ip = fuzz_next(&in, '\n');
	char *spf = fuzz_next(&in, '\n'), *rcpt = fuzz_next(&in, '\n');
	char norm[AM_ADDR_MAX], key[AM_STORE_KEY_MAX + 1], net[AM_DOMAIN_MAX + 8];

	cfg.grey_norm_srs = o1 & 1;
	cfg.grey_norm_batv = o1 & 2;
	cfg.grey_norm_extension = o1 & 4;
	cfg.grey_norm_verp = o1 & 8;
	cfg.grey_use_spf_domain = o1 & 16;
	cfg.grey_ipv4_prefix = 8 + (int)(o2 % 25);
	cfg.grey_ipv6_prefix = 16 + (int)((o2 * 7u) % 113);
	check_sender(&cfg, sender, 1);
	check_sender(&cfg, sender, 8);
	check_sender(&cfg, sender, AM_ADDR_MAX);
	check_network(&cfg, ip, spf);
	am_grey_norm_sender(&cfg, sender, norm, sizeof(norm));
	if (am_grey_network(&cfg, ip, spf, net, sizeof(net)) == 0) {
		am_grey_triplet_key(net, norm, rcpt, key);
		FUZZ_CHECK(strlen(key) == 66 && strncmp(key, "g:", 2) == 0);
		for (size_t i = 2; i < 66; i++)
			FUZZ_CHECK(isxdigit((unsigned char)key[i]) && !isupper((unsigned char)key[i]));
	}
	free(sender), free(ip), free(spf), free(rcpt);
	return 0;
}
