/*
 * am_grey_key.c - the greylisting triplet: sender normalisation, the client
 * network (or SPF domain) and the hashed store keys.
 *
 * Normalisation makes one sender out of the many envelope forms that list
 * managers, bounce handlers and forwarders produce, so a retry matches the
 * first attempt: lower-case; SRS0/SRS1 decoded to the original address;
 * BATV (prvs=, msprvs1=, btv1==) tag removed; +extension removed; digit
 * runs of the local part (VERP, bounce ids) folded to '#'. Each step is a
 * [greylist] option. Keys are "g:"/"n:" + hex SHA-256, so the store never
 * holds an address. Not here: the lifecycle (am_grey.c).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "am_addr.h"
#include "am_grey.h"
#include "am_sha256.h"

/* Copy at most outlen-1 bytes of s[0..n) lower-cased. */
static void lower_copy(char *out, size_t outlen, const char *s, size_t n)
{
	size_t i;
	if (outlen == 0)
		return;
	for (i = 0; i < n && i + 1 < outlen; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
}

/* Remove local = "prvs=TAG=user" style BATV tags, in place. */
static void strip_batv(char *local)
{
	static const char *const eq1[] = {"prvs=", "msprvs1="};
	char *rest = NULL;
	for (size_t i = 0; i < 2 && !rest; i++) {
		size_t n = strlen(eq1[i]);
		if (strncmp(local, eq1[i], n) == 0)
			rest = strchr(local + n, '=');
		if (rest)
			rest++;
	}
	if (!rest && strncmp(local, "btv1==", 6) == 0 && (rest = strstr(local + 6, "==")))
		rest += 2;
	if (rest && *rest)
		memmove(local, rest, strlen(rest) + 1);
}

/* Decode "HASH=TT=domain=local" (the SRS0 body) into local and domain. */
static int srs0_fields(const char *body, char *local, size_t llen, char *domain, size_t dlen)
{
	const char *tt = strchr(body, '='), *dom, *loc;
	if (!tt || !(dom = strchr(tt + 1, '=')) || !(loc = strchr(dom + 1, '=')))
		return -1;
	dom++;
	if (loc == dom || loc[1] == '\0')
		return -1;
	lower_copy(domain, dlen, dom, (size_t)(loc - dom));
	lower_copy(local, llen, loc + 1, strlen(loc + 1));
	return 0;
}

/* SRS0=HASH=TT=dom=user or SRS1=HASH=fwd==HASH=TT=dom=user: restore user, dom. */
static void decode_srs(char *local, size_t llen, char *domain, size_t dlen)
{
	char l[AM_ADDR_MAX], d[AM_DOMAIN_MAX];
	const char *body = NULL;
	if (strlen(local) < 5 || strchr("=+-", local[4]) == NULL)
		return;
	if (strncmp(local, "srs0", 4) == 0)
		body = local + 5;
	else if (strncmp(local, "srs1", 4) == 0 && (body = strstr(local + 5, "==")))
		body += 2;
	if (!body || srs0_fields(body, l, sizeof(l), d, sizeof(d)) < 0)
		return;
	snprintf(local, llen, "%s", l);
	snprintf(domain, dlen, "%s", d);
}

/* Fold each run of digits into one '#', in place. */
static void fold_digits(char *s)
{
	char *w = s;
	for (const char *r = s; *r;) {
		if (isdigit((unsigned char)*r)) {
			while (isdigit((unsigned char)*r))
				r++;
			*w++ = '#'; /* after the run: w may equal r's old place */
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

/* Normalise an envelope sender (see the file comment). */
void am_grey_norm_sender(const struct am_config *cfg, const char *sender, char *out,
			 size_t outlen)
{
	char local[AM_ADDR_MAX], domain[AM_DOMAIN_MAX];
	const char *s = sender ? sender : "", *e, *at;
	while (isspace((unsigned char)*s) || *s == '<')
		s++;
	e = s + strlen(s);
	while (e > s && (isspace((unsigned char)e[-1]) || e[-1] == '>'))
		e--;
	at = memrchr(s, '@', (size_t)(e - s));
	lower_copy(local, sizeof(local), s, (size_t)((at ? at : e) - s));
	lower_copy(domain, sizeof(domain), at ? at + 1 : e, at ? (size_t)(e - at - 1) : 0);
	if (cfg->grey_norm_srs)
		decode_srs(local, sizeof(local), domain, sizeof(domain));
	if (cfg->grey_norm_batv)
		strip_batv(local);
	if (cfg->grey_norm_extension) {
		char *plus = strchr(local, '+');
		if (plus && plus != local)
			*plus = '\0';
	}
	if (cfg->grey_norm_verp)
		fold_digits(local);
	if (!local[0] && !domain[0])
		snprintf(out, outlen, "%s", "");
	else
		snprintf(out, outlen, "%s@%s", local, domain);
}

/* The network part of the triplet. */
int am_grey_network(const struct am_config *cfg, const char *ip, const char *spf_domain,
		    char *out, size_t outlen)
{
	struct am_ip a;
	char text[INET6_ADDRSTRLEN];
	unsigned prefix;
	if (cfg->grey_use_spf_domain && spf_domain && *spf_domain) {
		char d[AM_DOMAIN_MAX];
		lower_copy(d, sizeof(d), spf_domain, strlen(spf_domain));
		snprintf(out, outlen, "spf:%s", d);
		return 0;
	}
	if (am_ip_parse(ip, &a) != 0)
		return -1;
	a = am_ip_unmap_v4(&a);
	prefix = (unsigned)(a.family == AF_INET ? cfg->grey_ipv4_prefix : cfg->grey_ipv6_prefix);
	am_ip_mask(&a, prefix);
	am_ip_format(&a, text, sizeof(text));
	snprintf(out, outlen, "%s/%u", text, prefix);
	return 0;
}

/* "g:" + SHA-256 of network, sender and recipient (newline separated:
 * none of them can hold a newline). */
void am_grey_triplet_key(const char *network, const char *norm_sender, const char *rcpt,
			 char out[AM_STORE_KEY_MAX + 1])
{
	struct am_sha256 c;
	unsigned char d[32];
	static const char hex[] = "0123456789abcdef";
	am_sha256_init(&c);
	am_sha256_update(&c, "grey1\n", 6);
	am_sha256_update(&c, network, strlen(network));
	am_sha256_update(&c, "\n", 1);
	am_sha256_update(&c, norm_sender, strlen(norm_sender));
	am_sha256_update(&c, "\n", 1);
	am_sha256_update(&c, rcpt, strlen(rcpt));
	am_sha256_final(&c, d);
	out[0] = 'g';
	out[1] = ':';
	for (int i = 0; i < 32; i++) {
		out[2 + 2 * i] = hex[d[i] >> 4];
		out[3 + 2 * i] = hex[d[i] & 15];
	}
	out[66] = '\0';
}

/* "n:" + SHA-256 of the network (the auto-whitelist counter). */
void am_grey_network_key(const char *network, char out[AM_STORE_KEY_MAX + 1])
{
	char buf[AM_DOMAIN_MAX + 16];
	snprintf(buf, sizeof(buf), "net1\n%s", network);
	out[0] = 'n';
	out[1] = ':';
	am_sha256_hex(buf, strlen(buf), out + 2);
}
