/*
 * am_runtime.c - builds, shares and retires configuration generations.
 * Everything a generation holds is created here, before any thread sees
 * it, because several of the libraries' handles may be configured only
 * while nobody else uses them (libunbound contexts, for one).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "am_dkim.h"
#include "am_dmarc.h"
#include "am_grey.h"
#include "am_log.h"
#include "am_metrics.h"
#include "am_runtime.h"
#include "am_spf.h"

/* Log the config's warnings (deprecated keys), one line each, so an
 * admin sees them at every start and reload. */
void am_runtime_log_warnings(const struct am_config *cfg)
{
	for (const char *w = cfg->warnings; w && *w;) {
		size_t n = strcspn(w, "\n");
		am_log(LOG_WARNING, "warning: %.*s", (int)n, w);
		w += n + (w[n] == '\n');
	}
}

/* Build a generation around an existing resolver. */
struct am_runtime *am_runtime_new_with_dns(struct am_config *cfg, struct am_dns *dns,
					   struct am_store_registry *stores, unsigned long generation,
					   char *err, size_t errlen)
{
	struct am_runtime *rt = calloc(1, sizeof(*rt));

	if (rt == NULL) {
		snprintf(err, errlen, "out of memory");
		am_dns_destroy(dns);
		am_config_free(cfg);
		return NULL;
	}
	atomic_init(&rt->refs, 1);
	rt->generation = generation;
	rt->cfg = cfg;
	rt->dns = dns;
	if (am_runtime_check_config(cfg, err, errlen) != 0)
		goto fail;
	am_runtime_log_warnings(cfg);
	if (cfg->spf_enable && (rt->spf = am_spf_new(dns, cfg->authserv_id, err, errlen)) == NULL)
		goto fail;
	if (cfg->dkim_enable) {
		struct am_dkim_options opt;
		am_dkim_options_from_config(cfg, &opt);
		if ((rt->dkim = am_dkim_new(dns, &opt, err, errlen)) == NULL)
			goto fail;
	}
	if (cfg->dmarc_enable && (rt->dmarc = am_dmarc_ctx_from_config(cfg, err, errlen)) == NULL)
		goto fail;
	if (cfg->grey_enable && (rt->grey = am_grey_new(cfg, stores, err, errlen)) == NULL)
		goto fail;
	return rt;
fail:
	am_runtime_unref(rt);
	return NULL;
}

/* Build a generation with the libunbound resolver the config names. */
struct am_runtime *am_runtime_new(struct am_config *cfg, struct am_store_registry *stores,
				  unsigned long generation, char *err, size_t errlen)
{
	struct am_dns *dns = am_dns_unbound_new(cfg->dns_nameservers, cfg->dns_trust_anchor,
						cfg->dns_timeout_ms, err, errlen);
	if (dns == NULL) {
		am_config_free(cfg);
		return NULL;
	}
	return am_runtime_new_with_dns(cfg, dns, stores, generation, err, errlen);
}

int am_runtime_check_config(const struct am_config *cfg, char *err, size_t errlen)
{
	struct sockaddr_storage metrics_sa;
	socklen_t metrics_salen;

	if (am_metrics_parse_listen(cfg->metrics_listen, &metrics_sa, &metrics_salen, err, errlen) != 0)
		return -1;
	return cfg->grey_enable ? am_grey_config_check(cfg, err, errlen) : 0;
}

struct am_runtime *am_runtime_ref(struct am_runtime *rt)
{
	atomic_fetch_add(&rt->refs, 1);
	return rt;
}

/* Drop a reference; the last one frees the generation. */
void am_runtime_unref(struct am_runtime *rt)
{
	if (rt == NULL || atomic_fetch_sub(&rt->refs, 1) != 1)
		return;
	am_grey_free(rt->grey);
	am_dmarc_ctx_free(rt->dmarc);
	am_dkim_free(rt->dkim);
	am_spf_free(rt->spf);
	am_dns_destroy(rt->dns);
	am_config_free(rt->cfg);
	free(rt);
}

void am_runtime_slot_init(struct am_runtime_slot *slot, struct am_runtime *first)
{
	pthread_mutex_init(&slot->mu, NULL);
	slot->current = first;
	slot->metrics = NULL;
}

struct am_runtime *am_runtime_slot_get(struct am_runtime_slot *slot)
{
	struct am_runtime *rt;

	pthread_mutex_lock(&slot->mu);
	rt = slot->current ? am_runtime_ref(slot->current) : NULL;
	pthread_mutex_unlock(&slot->mu);
	return rt;
}

void am_runtime_slot_swap(struct am_runtime_slot *slot, struct am_runtime *rt)
{
	struct am_runtime *old;

	pthread_mutex_lock(&slot->mu);
	old = slot->current;
	slot->current = rt;
	pthread_mutex_unlock(&slot->mu);
	am_runtime_unref(old);
}

void am_runtime_slot_clear(struct am_runtime_slot *slot)
{
	am_runtime_slot_swap(slot, NULL);
	pthread_mutex_destroy(&slot->mu);
}
