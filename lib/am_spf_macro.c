/*
 * am_spf_macro.c - RFC 7208 section 7 macro expansion, used for explanation
 * strings only (see am_spf_macro.h for why libspf2's expander is not used
 * there). Output is bounded; nothing here does DNS except through the
 * caller's validated_name callback for %{p}.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "am_spf_macro.h"

#define MAX_PARTS 128 /* RFC 7208 7.3: at least 127 must be supported */

struct sink {
	char *out;
	size_t cap, len;
	bool full; /* something did not fit: write nothing more */
};

/* Append n bytes, all or none, so the output is a clean prefix. */
static void put(struct sink *k, const char *s, size_t n)
{
	if (k->full || k->len + n + 1 > k->cap) {
		k->full = true;
		return;
	}
	memcpy(k->out + k->len, s, n);
	k->len += n;
	k->out[k->len] = '\0';
}

/* Append one part, URL-escaped when the macro letter was upper case
 * (RFC 7208 7.3: all but the unreserved characters of RFC 3986). */
static void put_part(struct sink *k, const char *s, size_t n, bool escape)
{
	static const char hex[] = "0123456789ABCDEF";

	if (!escape) {
		put(k, s, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c) != NULL) {
			put(k, (const char *)&s[i], 1);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};
			put(k, e, 3);
		}
	}
}

/* i (dotted, IPv6 as upper-case nibbles), c (conventional text), v. */
static const char *ip_value(const struct am_ip *ip, char letter, char *buf, size_t buflen)
{
	static const char hex[] = "0123456789ABCDEF";

	if (ip == NULL)
		return "";
	if (letter == 'v')
		return ip->family == AF_INET ? "in-addr" : "ip6";
	if (letter == 'c' || ip->family == AF_INET) {
		if (inet_ntop(ip->family, ip->addr, buf, (socklen_t)buflen) == NULL)
			return "";
		return buf;
	}
	if (buflen < 64)
		return "";
	for (int i = 0; i < 16; i++) {
		buf[i * 4] = hex[ip->addr[i] >> 4];
		buf[i * 4 + 1] = '.';
		buf[i * 4 + 2] = hex[ip->addr[i] & 15];
		buf[i * 4 + 3] = i == 15 ? '\0' : '.';
	}
	return buf;
}

/* The raw value of a macro letter (lower case). */
static const char *value_of(char letter, const struct am_spf_macro_env *env, char *buf,
			    size_t buflen)
{
	const char *v = NULL;

	switch (letter) {
	case 's': v = env->sender; break;
	case 'l': v = env->local_part; break;
	case 'o': v = env->sender_domain; break;
	case 'd': v = env->domain; break;
	case 'h': v = env->helo; break;
	case 'r': v = env->receiver ? env->receiver : "unknown"; break;
	case 'p': v = env->validated_name ? env->validated_name(env->arg) : "unknown"; break;
	case 't': snprintf(buf, buflen, "%ld", env->now); v = buf; break;
	case 'i': case 'c': case 'v': v = ip_value(env->ip, letter, buf, buflen); break;
	}
	return v ? v : "";
}

/* Split value on delims, reverse, keep the rightmost keep parts, join
 * with '.' (RFC 7208 7.3). */
static void transform(const char *value, const char *delims, unsigned keep, bool reverse,
		      bool escape, struct sink *k)
{
	const char *part[MAX_PARTS];
	size_t plen[MAX_PARTS], count = 0, first;
	const char *p = value;

	for (;;) {
		size_t n = strcspn(p, delims);
		if (count == MAX_PARTS - 1)
			n = strlen(p); /* the rest stays one part */
		part[count] = p;
		plen[count++] = n;
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	if (reverse) {
		for (size_t a = 0, b = count - 1; a < b; a++, b--) {
			const char *tp = part[a];
			size_t tn = plen[a];
			part[a] = part[b], plen[a] = plen[b];
			part[b] = tp, plen[b] = tn;
		}
	}
	first = keep > 0 && keep < count ? count - keep : 0;
	for (size_t i = first; i < count; i++) {
		if (i > first)
			put(k, ".", 1);
		put_part(k, part[i], plen[i], escape);
	}
}

/* Expand one "%{...}" starting at text[i]; returns its length or 0. */
static size_t expand_one(const char *text, size_t len, size_t i,
			 const struct am_spf_macro_env *env, struct sink *k)
{
	char buf[80], delims[8] = "", letter;
	size_t j = i + 2, nd = 0;
	unsigned keep = 0;
	bool digits = false, reverse = false, escape;

	if (j >= len)
		return 0;
	letter = (char)(text[j] | 0x20);
	escape = text[j] >= 'A' && text[j] <= 'Z';
	if (!((text[j] | 0x20) >= 'a' && (text[j] | 0x20) <= 'z') ||
	    strchr("slodiphvcrt", letter) == NULL)
		return 0;
	for (j++; j < len && text[j] >= '0' && text[j] <= '9'; j++, digits = true)
		keep = keep > 1000 ? keep : keep * 10 + (unsigned)(text[j] - '0');
	if (digits && keep == 0)
		return 0;
	if (j < len && (text[j] | 0x20) == 'r')
		reverse = true, j++;
	for (; j < len && text[j] != '\0' && strchr(".-+,/_=", text[j]) != NULL; j++)
		if (nd < sizeof(delims) - 1 && strchr(delims, text[j]) == NULL)
			delims[nd++] = text[j], delims[nd] = '\0';
	if (j >= len || text[j] != '}')
		return 0;
	transform(value_of(letter, env, buf, sizeof(buf)), nd ? delims : ".", keep, reverse,
		  escape, k);
	return j + 1 - i;
}

int am_spf_macro_expand(const char *text, size_t len, const struct am_spf_macro_env *env,
			char *out, size_t outlen)
{
	struct sink k = {out, outlen, 0, false};
	size_t i = 0;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	while (i < len) {
		if (text[i] != '%') {
			put(&k, text + i, 1);
			i++;
			continue;
		}
		if (i + 1 < len && text[i + 1] == '%') {
			put(&k, "%", 1);
		} else if (i + 1 < len && text[i + 1] == '_') {
			put(&k, " ", 1);
		} else if (i + 1 < len && text[i + 1] == '-') {
			put(&k, "%20", 3);
		} else {
			size_t n = i + 1 < len && text[i + 1] == '{' ? expand_one(text, len, i, env, &k) : 0;
			if (n == 0)
				return -1;
			i += n;
			continue;
		}
		i += 2;
	}
	return 0;
}
