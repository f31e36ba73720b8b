/*
 * am_path.c - one mailbox or not: the MAIL FROM path. MTAs differ in what
 * they pass on ("<a@ b.example>", "<a@x.example, b@y.example>"); their
 * own parse ({mail_addr}) is preferred, and what remains is judged by the
 * RFC 5321 Mailbox shape: a dot-string or quoted local part, one '@', a
 * domain of name characters or an address literal. UTF-8 (SMTPUTF8) is let
 * through for the checks to judge. Whether the domain is one SPF can check
 * is am_spf's business.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "am_path.h"

/* atext of RFC 5322 plus '.', and UTF-8 bytes (RFC 6531). */
static bool local_char(unsigned char c)
{
	return c >= 0x80 || (c > 0x20 && c < 0x7f && strchr("\"(),:;<>@[\\]", c) == NULL);
}

/* Length of a local part at p (dot-string or quoted-string), 0 if none. */
static size_t local_part(const char *p)
{
	size_t n = 0;

	if (*p == '"') {
		for (n = 1; p[n] && p[n] != '"'; n++)
			if (p[n] == '\\' && p[n + 1])
				n++;
			else if ((unsigned char)p[n] < 0x20)
				return 0;
		return p[n] == '"' && n > 1 ? n + 1 : 0;
	}
	while (local_char((unsigned char)p[n]))
		n++;
	return n;
}

/* Is d a domain (letters, digits, '-', '.', '_', UTF-8) or [literal]? */
static bool domain_ok(const char *d)
{
	size_t len = strlen(d);

	if (len == 0)
		return false;
	if (d[0] == '[')
		return d[len - 1] == ']' && strcspn(d + 1, "[]\\ \t,;<>\"") == len - 2;
	for (const unsigned char *p = (const unsigned char *)d; *p; p++)
		if (*p < 0x80 && !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				   (*p >= '0' && *p <= '9') || strchr("-._", *p)))
			return false;
	return true;
}

/* The path's text: brackets, ESMTP parameters and a source route off.
 * False when it had to be cut to fit (then it is no mailbox we can name). */
static bool strip(const char *in, char *out, size_t outlen)
{
	bool fits = true;

	size_t len;
	const char *colon;

	while (*in == ' ' || *in == '\t')
		in++;
	if (*in == '<') {
		in++;
		len = strcspn(in, ">");
	} else {
		len = strlen(in);
	}
	/* RFC 5321 4.1.2 A-d-l ("@relay.example:a@b.example") is ignored. */
	if (*in == '@' && (colon = memchr(in, ':', len)) != NULL) {
		len -= (size_t)(colon + 1 - in);
		in = colon + 1;
	}
	if (len >= outlen) {
		len = outlen - 1;
		fits = false;
	}
	memcpy(out, in, len);
	out[len] = '\0';
	return fits;
}

/* Judge the path; see am_path.h. */
enum am_path_kind am_path_parse(const char *arg, const char *mta_addr, char *out, size_t outlen)
{
	size_t lp;

	if (outlen == 0)
		return AM_PATH_BAD;
	if (!strip(mta_addr && *mta_addr ? mta_addr : arg ? arg : "", out, outlen))
		return AM_PATH_BAD;
	if (out[0] == '\0')
		return AM_PATH_NULL;
	lp = local_part(out);
	if (lp == 0 || out[lp] != '@' || !domain_ok(out + lp + 1))
		return AM_PATH_BAD;
	return AM_PATH_MAILBOX;
}
