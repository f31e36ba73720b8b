/*
 * am_arc_trust.c - what a passing ARC chain may change: whether trusted
 * sealers vouch that the author domain authenticated before the message
 * was forwarded (the signal the DMARC decision reads as trusted_forwarder).
 *
 * Trust runs only down the unbroken run of trusted sealers from the newest
 * instance N: only AMS N covers the body, so a sealer above a trusted one
 * could have rewritten everything, and the chain would still pass. Within
 * that run an AAR counts when it says dmarc=pass for a header.from equal
 * to this message's author domain, or dkim=pass / spf=pass for an identity
 * aligned with it. With require_client, the client must belong to sealer N
 * (SPF pass or a verified host name aligned with its d=), so a sealed
 * message cannot be replayed from anywhere else. Also here: reading AARs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "am_arc_int.h"
#include "am_domlist.h"

/* Is this d= in [arc] trusted_sealers (exact or ".suffix")? */
static bool sealer_trusted(const struct am_arc_msg *m, const char *d)
{
	return am_domlist_has(m->opt.trusted_sealers, d, strlen(d));
}

/* Copy the AAR value without comments (RFC 5322 CFWS) and quotes. */
static void strip_comments(const char *in, char *out, size_t outlen)
{
	int depth = 0;
	bool quoted = false;
	size_t o = 0;

	for (; *in && o + 1 < outlen; in++) {
		if (quoted) {
			if (*in == '\\' && in[1])
				in++;
			else if (*in == '"') {
				quoted = false;
				continue;
			}
			out[o++] = *in;
		} else if (*in == '(' ) {
			depth++;
		} else if (*in == ')' && depth > 0) {
			depth--;
			out[o++] = ' ';
		} else if (depth == 0 && *in == '"') {
			quoted = true;
		} else if (depth == 0) {
			out[o++] = *in == '\r' || *in == '\n' || *in == '\t' ? ' ' : *in;
		} else if (*in == '\\' && in[1]) {
			in++;
		}
	}
	out[o] = '\0';
}

/* Read one resinfo ("method=result ptype.prop=value ...") into r. */
static bool parse_resinfo(char *s, struct am_arc_resinfo *r)
{
	char *save = NULL, *tok = strtok_r(s, " ", &save), *eq;

	memset(r, 0, sizeof(*r));
	if (tok == NULL || (eq = strchr(tok, '=')) == NULL)
		return false;
	*eq = '\0';
	tok[strcspn(tok, "/")] = '\0';   /* method version */
	snprintf(r->method, sizeof(r->method), "%s", tok);
	snprintf(r->result, sizeof(r->result), "%s", eq + 1);
	while ((tok = strtok_r(NULL, " ", &save)) != NULL) {
		if ((eq = strchr(tok, '=')) == NULL)
			continue;
		*eq++ = '\0';
		if (strcasecmp(tok, "header.from") == 0)
			snprintf(r->header_from, sizeof(r->header_from), "%s", eq);
		else if (strcasecmp(tok, "header.d") == 0)
			snprintf(r->header_d, sizeof(r->header_d), "%s", eq);
		else if (strcasecmp(tok, "header.i") == 0)
			snprintf(r->header_i, sizeof(r->header_i), "%s", eq);
		else if (strcasecmp(tok, "smtp.mailfrom") == 0 || strcasecmp(tok, "smtp.mfrom") == 0)
			snprintf(r->smtp_mailfrom, sizeof(r->smtp_mailfrom), "%s", eq);
	}
	return true;
}

/* Read an AAR: its i=, then each resinfo after the authserv-id. */
int am_arc_aar_parse(const char *value, unsigned *instance, struct am_arc_resinfo *out, size_t max,
		     size_t *n)
{
	char *buf = malloc(AM_ARC_MAX_FIELD + 1), *save = NULL, *part;
	unsigned seg = 0;

	*n = 0;
	*instance = 0;
	if (buf == NULL)
		return -1;
	strip_comments(value, buf, AM_ARC_MAX_FIELD + 1);
	for (part = strtok_r(buf, ";", &save); part != NULL; part = strtok_r(NULL, ";", &save), seg++) {
		part += strspn(part, " ");
		if (seg == 0) {
			if (sscanf(part, "i = %u", instance) != 1)
				break;
		} else if (seg == 1 && strchr(part, '=') == NULL) {
			continue;   /* the authserv-id */
		} else if (*n < max && parse_resinfo(part, &out[*n])) {
			(*n)++;
		}
	}
	free(buf);
	return *instance > 0 ? 0 : -1;
}

/* Domain of an identity: after the last '@', or the whole of it. */
static const char *domain_of(const char *ident)
{
	const char *at = strrchr(ident, '@');
	return at ? at + 1 : ident;
}

/* Is ident aligned with domain (the caller's test, else equality)? */
static bool aligned(const struct am_arc_trust_input *in, const char *domain, const char *ident)
{
	if (ident == NULL || *ident == '\0')
		return false;
	if (in->aligned == NULL)
		return strcasecmp(domain, ident) == 0;
	return in->aligned(in->aligned_arg, domain, ident) == 1;
}

/* Does one resinfo of a trusted AAR vouch for the author domain? */
static bool vouches(const struct am_arc_trust_input *in, const struct am_arc_resinfo *r)
{
	const char *a = in->author_domain;

	if (strcasecmp(r->result, "pass") != 0)
		return false;
	if (strcasecmp(r->method, "dmarc") == 0)
		return strcasecmp(r->header_from, a) == 0;
	if (strcasecmp(r->method, "dkim") == 0)
		return aligned(in, a, r->header_d[0] ? r->header_d : domain_of(r->header_i));
	if (strcasecmp(r->method, "spf") == 0)
		return aligned(in, a, domain_of(r->smtp_mailfrom));
	return false;
}

/* Instance i's AAR vouches for the author domain. */
static bool aar_vouches(const struct am_arc_msg *m, unsigned i, const struct am_arc_trust_input *in)
{
	struct am_arc_resinfo res[AM_ARC_AAR_MAX_RES];
	unsigned inst;
	size_t n;

	if (am_arc_aar_parse(m->hdrs[m->sets[i].aar].value, &inst, res, AM_ARC_AAR_MAX_RES, &n) != 0 ||
	    inst != i)
		return false;
	for (size_t k = 0; k < n; k++)
		if (vouches(in, &res[k]))
			return true;
	return false;
}

/* The trusted-sealer signal of a passing chain (see the header comment). */
void am_arc_trust(const struct am_arc_msg *m, const struct am_arc_trust_input *in,
		  struct am_arc_result *out)
{
	const char *newest;

	out->trusted_author_pass = false;
	out->trusted_sealer[0] = '\0';
	if (!m->chain_pass || out->result != AM_RES_PASS || in->author_domain == NULL ||
	    in->author_domain[0] == '\0')
		return;
	newest = m->sets[m->n].as.d;
	if (!sealer_trusted(m, newest)) {
		/* Say why only when a trusted sealer is below: that is the case
		 * an admin asks about. */
		for (unsigned i = m->n - 1; i >= 1; i--)
			if (sealer_trusted(m, m->sets[i].as.d)) {
				snprintf(out->reason, sizeof(out->reason),
					 "newest sealer %s is not trusted (trusted %s at i=%u)", newest,
					 m->sets[i].as.d, i);
				break;
			}
		return;
	}
	if (m->opt.require_client && !aligned(in, newest, in->spf_pass_domain) &&
	    !aligned(in, newest, in->client_host)) {
		snprintf(out->reason, sizeof(out->reason), "client is not of sealer %s", newest);
		return;
	}
	for (unsigned i = m->n; i >= 1 && sealer_trusted(m, m->sets[i].as.d);
	     i--) {
		if (aar_vouches(m, i, in)) {
			out->trusted_author_pass = true;
			snprintf(out->trusted_sealer, sizeof(out->trusted_sealer), "%s", m->sets[i].as.d);
			return;
		}
	}
	snprintf(out->reason, sizeof(out->reason), "trusted sealers vouch for no pass of %s",
		 in->author_domain);
}
