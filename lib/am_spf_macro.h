/*
 * am_spf_macro.h - RFC 7208 section 7 macro expansion for explanation
 * strings (the text an exp= modifier points to). libspf2 expands the
 * domain-specs of mechanisms itself; explanations are expanded here because
 * libspf2 1.2.10 URL-escapes with lower-case hex, leaves some reserved
 * characters unescaped and writes IPv6 nibbles in lower case, which is not
 * what the RFC examples (and its test suite) show.
 */
#ifndef AM_SPF_MACRO_H
#define AM_SPF_MACRO_H

#include <stdbool.h>
#include <stddef.h>

#include "am_addr.h"

/* The values macros expand to. Strings may be NULL (expand to nothing). */
struct am_spf_macro_env {
	const char *sender;        /* s: <sender> */
	const char *local_part;    /* l */
	const char *sender_domain; /* o */
	const char *domain;        /* d: the current domain */
	const char *helo;          /* h */
	const char *receiver;      /* r */
	const struct am_ip *ip;    /* i, c, v (IPv4-mapped already unmapped) */
	long now;                  /* t */
	/* p: the validated client name, computed only when a macro asks */
	const char *(*validated_name)(void *arg);
	void *arg;
};

/* Expand text (len bytes; explanation rules: letters c, r, t allowed) into
 * out. Returns 0, or -1 on a macro syntax error; output that does not fit
 * is cut before the first character or escape that does not fit. */
int am_spf_macro_expand(const char *text, size_t len, const struct am_spf_macro_env *env,
			char *out, size_t outlen);

#endif
