/*
 * am_dmarc_signals.c - what a failing message shows beyond its DMARC
 * result, for the local policy (lib/am_policy.c) to weigh: evidence of a
 * spoof (an SPF fail for a MAIL FROM inside the author's organisational
 * domain) and signals of an indirect flow (a named forwarder, a guessed
 * mailing list). RFC 9989 7.4 asks receivers to use "other knowledge and
 * analysis" before they reject; these are ours. Facts only: nothing here
 * chooses a disposition. The forwarder lists' parsing lives here too.
 */
#include "am_dmarc_int.h"

#include "am_header.h"
#include "am_domlist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse a blank/comma separated list of domains (".x" = x and below). */
int dmarc_domlist_parse(const char *text, struct dmarc_domlist *l, const char *what, char *err,
			size_t errlen)
{
	char buf[AM_DOMAIN_MAX], norm[AM_DOMAIN_MAX], why[96];
	for (const char *c = text ? text : ""; *c;) {
		size_t n = strcspn(c, " \t,");
		if (n > 0) {
			bool dot = c[0] == '.';
			snprintf(buf, sizeof buf, "%.*s", (int)(n - dot), c + dot);
			if (n - dot >= sizeof buf || am_domain_normalize(buf, norm, sizeof norm, why, sizeof why) < 0) {
				snprintf(err, errlen, "%s: bad domain '%.*s'", what, (int)(n > 64 ? 64 : n), c);
				return -1;
			}
			void *grown = realloc(l->items, (l->n + 1) * sizeof *l->items);
			if (grown == NULL) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			l->items = grown;
			snprintf(l->items[l->n++], AM_DOMAIN_MAX, "%s%.253s", dot ? "." : "", norm);
		}
		c += n;
		c += strspn(c, " \t,");
	}
	return 0;
}

/* The list entry matching domain, or NULL. */
static const char *domlist_match(const struct dmarc_domlist *l, const char *domain)
{
	for (size_t i = 0; i < l->n; i++)
		if (am_domlist_entry_matches(l->items[i], domain))
			return l->items[i];
	return NULL;
}

/* Normalise a name and find its organisational domain; false when the
 * name is bad or DNS failed (no signal then: a fact we cannot check is
 * not evidence). */
static bool org_of(struct dmarc_run *run, const char *name, char *norm, char *org)
{
	char why[160];
	return name && am_domain_normalize(name, norm, AM_DOMAIN_MAX, why, sizeof why) == 0 &&
	       dmarc_org(run, norm, org, AM_DOMAIN_MAX, why, sizeof why) == 0;
}

/* The SPF-passing MAIL FROM domain, normalised, or false. */
static bool spf_pass_domain(const struct am_dmarc_input *in, char *norm)
{
	char why[96];
	return in->spf && in->spf->checked && in->spf->result == AM_RES_PASS &&
	       am_domain_normalize(in->spf->domain, norm, AM_DOMAIN_MAX, why, sizeof why) == 0;
}

/* Does the client belong to the organisational domain org (SPF pass for
 * a MAIL FROM in it, or a verified host name in it)? A list's DKIM
 * signature alone proves nothing about this delivery: anyone can re-send
 * the list's signed copy from their own server. */
static bool client_in_org(const struct am_dmarc_input *in, const char *org)
{
	char dom[AM_DOMAIN_MAX], norm[AM_DOMAIN_MAX], why[96];
	if (spf_pass_domain(in, dom) && am_domain_within(dom, org))
		return true;
	return in->client_host && am_domain_normalize(in->client_host, norm, sizeof norm, why, sizeof why) == 0 &&
	       am_domain_within(norm, org);
}

/* A named forwarder ([dmarc] forwarder_*): network, verified host name,
 * SPF-verified MAIL FROM domain, or a list's DKIM d= with the client
 * belonging to that list. */
static void named_forwarder(struct dmarc_run *run, const struct am_dmarc_input *in, struct am_dmarc_signals *sig)
{
	const struct am_dmarc_ctx *ctx = run->ctx;
	const struct am_cidr *net = in->client_ip ? am_cidr_list_match(&ctx->fwd_networks, in->client_ip) : NULL;
	const char *m = NULL, *what = "";
	char norm[AM_DOMAIN_MAX], org[AM_DOMAIN_MAX], why[96];
	if (net)
		m = net->text, what = "network ";
	if (!m && in->client_host && am_domain_normalize(in->client_host, norm, sizeof norm, why, sizeof why) == 0 &&
	    (m = domlist_match(&ctx->fwd_hosts, norm)) != NULL)
		what = "host ";
	if (!m && spf_pass_domain(in, norm) && (m = domlist_match(&ctx->fwd_spf, norm)) != NULL)
		what = "spf ";
	for (size_t i = 0; !m && in->dkim && i < in->dkim->count && i < AM_DKIM_MAX_SIGS; i++) {
		const struct am_dkim_sig *s = &in->dkim->sigs[i];
		if (s->result == AM_RES_PASS && org_of(run, s->domain, norm, org) &&
		    (m = domlist_match(&ctx->fwd_dkim, norm)) != NULL && !client_in_org(in, org))
			m = NULL;
		if (m)
			what = "dkim d=";
	}
	if (m) {
		sig->forwarder = true;
		snprintf(sig->forwarder_why, sizeof sig->forwarder_why, "forwarder %s%s", what, m);
	}
}

/* The list's name from List-Id (RFC 2919: phrase <list-id>) or the
 * domain of the List-Post address (<mailto:list@host>); false if none. */
static bool list_name(const struct am_dmarc_input *in, char *out, size_t outlen)
{
	const char *v = in->list_id, *start = NULL;
	size_t n = 0;
	if (v && (start = strrchr(v, '<')) != NULL && strchr(start, '>') != NULL)
		n = strcspn(++start, ">");
	else if ((v = in->list_post) != NULL && (start = strchr(v, '@')) != NULL)
		n = strcspn(++start, ">?; \t\r\n");
	if (n == 0 || n >= outlen)
		return false;
	snprintf(out, outlen, "%.*s", (int)n, start);
	return true;
}

/* A guessed mailing list: List-Id or List-Post, verified by SPF pass for a
 * MAIL FROM in the list's organisational domain (the same org domain, or
 * the list's name at or below the MAIL FROM domain's). Unverified, it is
 * only noted (anyone can add the header). */
static void mailing_list(struct dmarc_run *run, const struct am_dmarc_input *in, struct am_dmarc_signals *sig)
{
	char name[AM_DOMAIN_MAX], norm[AM_DOMAIN_MAX], org[AM_DOMAIN_MAX];
	char sdom[AM_DOMAIN_MAX], snorm[AM_DOMAIN_MAX], sorg[AM_DOMAIN_MAX];
	if (!list_name(in, name, sizeof name))
		return;
	sig->list = true;
	am_header_sanitize(name, sig->list_id, sizeof sig->list_id);
	if (!org_of(run, name, norm, org) || !spf_pass_domain(in, sdom) || !org_of(run, sdom, snorm, sorg) ||
	    (strcmp(org, sorg) != 0 && !am_domain_within(norm, sorg)))
		return;
	sig->list_verified = true;
	snprintf(sig->list_why, sizeof sig->list_why, "list %.60s, SPF pass for %.30s", norm, snorm);
}

/* Fill the signals of a failing message (see am_results.h). */
void dmarc_signals(struct dmarc_run *run, const char *author, char *author_org, const struct am_dmarc_input *in,
		   struct am_dmarc_signals *sig)
{
	char norm[AM_DOMAIN_MAX], org[AM_DOMAIN_MAX], why[160];
	memset(sig, 0, sizeof *sig);
	if (*author_org == '\0' && dmarc_org(run, author, author_org, AM_DOMAIN_MAX, why, sizeof why) < 0)
		author_org[0] = '\0';
	if (author_org[0] && in->spf && in->spf->checked && in->spf->result == AM_RES_FAIL &&
	    org_of(run, in->spf->domain, norm, org) && strcmp(org, author_org) == 0)
		sig->spf_fail_in_author_org = true;
	named_forwarder(run, in, sig);
	mailing_list(run, in, sig);
}
