/*
 * test_am_domain_ascii.c - am_domain_normalize()'s all-ASCII shortcut
 * (lib/am_from.c, plain_ldh) gives exactly what libidn2 gives: for fixed
 * edge cases and 20000 generated domains over letters, digits, '-' and
 * '.', the result (success or not, and the A-label) matches libidn2's
 * lookup lower-cased and checked as letters, digits and hyphens.
 */
#include <ctype.h>
#include <idn2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am_from.h"
#include "tap.h"

/* What the full path makes of d: 0 and out, or -1. */
static int reference(const char *d, char *out, size_t outlen)
{
	char buf[512];
	uint8_t *a = NULL;
	size_t n = strlen(d), label = 0;
	int rc;

	snprintf(buf, sizeof(buf), "%s", d);
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
	if (n == 0 || buf[0] == '.' || strstr(buf, "..") != NULL)
		return -1;
	if (idn2_lookup_u8((const uint8_t *)buf, &a, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) != IDN2_OK)
		return -1;
	rc = strlen((char *)a) <= 253 && strlen((char *)a) < outlen ? 0 : -1;
	for (size_t i = 0; rc == 0 && i <= strlen((char *)a); i++) {
		char c = (char)a[i];
		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || a[i - 1] == '-' || a[i - label] == '-')
				rc = -1;
			label = 0;
		} else if (isalnum((unsigned char)c) || c == '-') {
			label++;
		} else {
			rc = -1;
		}
		out[i] = (char)tolower((unsigned char)c);
	}
	idn2_free(a);
	return rc;
}

/* One domain: both paths agree; 1 when they do. */
static int agree(const char *d)
{
	char got[300] = "", want[300] = "", err[256];
	int g = am_domain_normalize(d, got, sizeof(got), err, sizeof(err));
	int w = reference(d, want, sizeof(want));

	if (g != w || (g == 0 && strcmp(got, want) != 0)) {
		diag("'%s': got %d '%s', libidn2 %d '%s'", d, g, got, w, want);
		return 0;
	}
	return 1;
}

int main(void)
{
	static const char *const fixed[] = {
		"Mail.Example.COM.", "ab--cd.example", "-ab.example", "ab-.example", "xn--zz.example",
		"XN--BCHER-KVA.example", "xn-a.example", "xnz--q.example", "a--.example", "123.example",
		"a.b", "a", "a-b.c-d", "ab---cd.example",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
	};
	const char alphabet[] = "aZ9-.xn-";
	int bad = 0, n = 0;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		ok(agree(fixed[i]), "%s", fixed[i]);
	srand(17);
	for (int i = 0; i < 20000; i++, n++) {
		char d[40];
		int len = 1 + rand() % 30;
		for (int j = 0; j < len; j++)
			d[j] = alphabet[rand() % (int)(sizeof(alphabet) - 1)];
		d[len] = '\0';
		bad += !agree(d);
	}
	ok(bad == 0, "%d generated domains: the shortcut and libidn2 agree on each (%d differ)", n, bad);
	return done_testing();
}
