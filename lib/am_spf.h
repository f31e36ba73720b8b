/*
 * am_spf.h - the SPF check (RFC 7208) on libspf2 1.2.10, with our own DNS
 * layer on am_dns and the RFC 7208 rules libspf2 lacks (record syntax,
 * void-lookup limit, MX/PTR limits, record selection, exp= text).
 *
 * One struct am_spf per loaded configuration, shared by every thread of
 * that generation; each check is a plain function call that fills a
 * struct am_spf_result. A check outcome, temperror included, is a result,
 * never a C error.
 */
#ifndef AM_SPF_H
#define AM_SPF_H

#include <stddef.h>

#include "am_addr.h"
#include "am_dns.h"
#include "am_results.h"

struct am_spf;

/* Build the SPF checker on dns (not owned; it must outlive the checker).
 * receiving_host is what %{r} expands to (NULL: this host's name).
 * Returns NULL and writes err on failure. */
struct am_spf *am_spf_new(struct am_dns *dns, const char *receiving_host, char *err, size_t errlen);
void am_spf_free(struct am_spf *spf);

/* HELO identity (RFC 7208 2.3). helo may be anything a client sent; a
 * domain literal or a name that is not a multi-label domain gives none. */
void am_spf_check_helo(struct am_spf *spf, struct am_dns_budget *budget, const struct am_ip *client,
		       const char *helo, struct am_spf_result *out);

/* MAIL FROM identity; mailfrom "" or "<>" means the null sender: then the
 * check is done on postmaster@HELO as RFC 7208 2.4 says (out->domain is
 * then the HELO name). out->explanation is set only on fail, and only
 * when the record's exp= gave a usable text (otherwise empty). */
void am_spf_check_mailfrom(struct am_spf *spf, struct am_dns_budget *budget, const struct am_ip *client,
			   const char *helo, const char *mailfrom, struct am_spf_result *out);

#endif
