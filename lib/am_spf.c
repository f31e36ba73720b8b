/*
 * am_spf.c - the SPF check: builds the libspf2 server on our DNS layer
 * (am_spf_dns.c), runs check_host() for the HELO or MAIL FROM identity and
 * maps libspf2's answer, plus what the layer found (limits, bad records,
 * DNS failures), to a struct am_spf_result. Identity rules of RFC 7208
 * 2.3, 2.4 and 4.3 (null sender, malformed domains) are applied here before
 * libspf2 runs. Policy (what a fail means for the message) is not here.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "am_spf.h"
#include "am_spf_int.h"
#include "am_spf_record.h"

struct am_spf *am_spf_new(struct am_dns *dns, const char *receiving_host, char *err, size_t errlen)
{
	struct am_spf *spf = calloc(1, sizeof(*spf));

	if (spf == NULL || dns == NULL) {
		snprintf(err, errlen, dns ? "out of memory" : "SPF needs a DNS resolver");
		free(spf);
		return NULL;
	}
	spf->dns = dns;
	if (receiving_host != NULL && *receiving_host != '\0')
		snprintf(spf->receiver, sizeof(spf->receiver), "%s", receiving_host);
	else if (gethostname(spf->receiver, sizeof(spf->receiver) - 1) != 0)
		snprintf(spf->receiver, sizeof(spf->receiver), "unknown");
	spf->layer = am_spf_layer_new(spf);
	if (spf->layer != NULL)
		spf->server = SPF_server_new_dns(spf->layer, 0);
	if (spf->server == NULL || SPF_server_set_rec_dom(spf->server, spf->receiver) != SPF_E_SUCCESS) {
		snprintf(err, errlen, "cannot create the libspf2 server");
		am_spf_free(spf);
		return NULL;
	}
	return spf;
}

void am_spf_free(struct am_spf *spf)
{
	if (spf == NULL)
		return;
	if (spf->server != NULL)
		SPF_server_free(spf->server);
	am_spf_layer_free(spf->layer);
	free(spf);
}

/* Give the client address to libspf2; IPv4-mapped IPv6 counts as IPv4
 * (RFC 7208 5, paragraph 9). Returns false for an unusable address. */
static bool set_client(SPF_request_t *req, const struct am_ip *client, struct am_ip *used)
{
	struct in_addr v4;
	struct in6_addr v6;

	*used = am_ip_unmap_v4(client);
	if (used->family == AF_INET) {
		memcpy(&v4, used->addr, 4);
		return SPF_request_set_ipv4(req, v4) == SPF_E_SUCCESS;
	}
	if (used->family == AF_INET6) {
		memcpy(&v6, used->addr, 16);
		return SPF_request_set_ipv6(req, v6) == SPF_E_SUCCESS;
	}
	return false;
}

/* The first error message libspf2 attached to the response, if any. */
static const char *first_error(SPF_response_t *resp)
{
	for (int i = 0; i < SPF_response_messages(resp); i++) {
		SPF_error_t *e = SPF_response_message(resp, i);
		if (e != NULL && SPF_error_errorp(e))
			return SPF_error_message(e);
	}
	return NULL;
}

/* Copy a reason, cut to fit (reasons are for the log). */
static void set_reason(struct am_spf_result *out, const char *why)
{
	size_t n = strnlen(why, sizeof(out->reason) - 1);
	memcpy(out->reason, why, n);
	out->reason[n] = '\0';
}

/* Map libspf2's response and the layer's findings to our result. */
static void map_result(const struct am_spf_eval *ev, SPF_response_t *resp, struct am_spf_result *out)
{
	const char *why = first_error(resp);

	if (ev->perm) { /* a limit or syntax rule of RFC 7208 that libspf2 lacks */
		out->result = AM_RES_PERMERROR;
		set_reason(out, ev->perm_reason);
		return;
	}
	switch (SPF_response_result(resp)) {
	case SPF_RESULT_PASS: out->result = AM_RES_PASS; break;
	case SPF_RESULT_FAIL: out->result = AM_RES_FAIL; break;
	case SPF_RESULT_SOFTFAIL: out->result = AM_RES_SOFTFAIL; break;
	case SPF_RESULT_NEUTRAL: out->result = AM_RES_NEUTRAL; break;
	case SPF_RESULT_NONE: out->result = AM_RES_NONE; break;
	case SPF_RESULT_TEMPERROR: out->result = AM_RES_TEMPERROR; break;
	case SPF_RESULT_PERMERROR: out->result = AM_RES_PERMERROR; break;
	default: /* INVALID: libspf2 ended without a verdict; say why honestly */
		out->result = ev->temp ? AM_RES_TEMPERROR : AM_RES_PERMERROR;
		break;
	}
	if (out->result == AM_RES_TEMPERROR && ev->temp)
		why = ev->temp_reason;
	else if (SPF_response_reason(resp) == SPF_REASON_MECH)
		why = "a mechanism matched";
	else if (SPF_response_reason(resp) == SPF_REASON_DEFAULT)
		why = "no mechanism matched";
	else if (why == NULL)
		why = SPF_strerror(SPF_response_errcode(resp));
	set_reason(out, why);
}

/* check_host() with libspf2, minus its free pass for loopback clients
 * (trusted networks are the policy's business, and tests run on 127/8). */
static void run_check_host(struct am_spf *spf, SPF_request_t *req, struct am_spf_eval *ev,
			   struct am_spf_result *out)
{
	SPF_response_t *resp = SPF_response_new(req);
	SPF_record_t *rec = NULL;
	SPF_errcode_t err;

	if (resp == NULL) {
		out->result = AM_RES_TEMPERROR;
		snprintf(out->reason, sizeof(out->reason), "out of memory");
		return;
	}
	req->cur_dom = req->env_from_dp;
	err = SPF_server_get_record(spf->server, req, resp, &rec);
	if (err != SPF_E_SUCCESS) {
		if (rec != NULL)
			SPF_record_free(rec);
		SPF_i_done(resp, resp->result, resp->reason, resp->err);
	} else {
		resp->spf_record_exp = rec;
		SPF_record_interpret(rec, req, resp, 0);
		SPF_record_free(rec);
	}
	ev->finished = true;
	map_result(ev, resp, out);
	snprintf(out->record, sizeof(out->record), "%s", ev->top_record);
	if (out->result == AM_RES_FAIL && SPF_response_get_explanation(resp) != NULL &&
	    strcmp(SPF_response_get_explanation(resp), AM_SPF_EXP_MARKER) == 0)
		am_spf_explanation(ev, out->explanation, sizeof(out->explanation));
	SPF_response_free(resp);
}

/* Evaluate sender (a full address) whose domain is domain. */
static void evaluate(struct am_spf *spf, struct am_dns_budget *budget, const struct am_ip *client,
		     const char *helo, const char *sender, const char *domain,
		     struct am_spf_result *out)
{
	struct am_spf_eval *ev, *prev;
	SPF_request_t *req;

	out->checked = true;
	out->result = AM_RES_NONE;
	snprintf(out->domain, sizeof(out->domain), "%s", domain);
	if (!am_spf_domain_ok(domain)) { /* RFC 7208 4.3 */
		snprintf(out->reason, sizeof(out->reason), "not a domain name SPF can check");
		return;
	}
	ev = calloc(1, sizeof(*ev));
	req = SPF_request_new(spf->server);
	if (ev == NULL || req == NULL || client == NULL || !set_client(req, client, &ev->ip) ||
	    (helo != NULL && *helo != '\0' && SPF_request_set_helo_dom(req, helo) != SPF_E_SUCCESS) ||
	    SPF_request_set_env_from(req, sender) != SPF_E_SUCCESS) {
		out->result = AM_RES_TEMPERROR;
		snprintf(out->reason, sizeof(out->reason), client ? "out of memory" : "no client address");
	} else {
		ev->spf = spf;
		ev->budget = budget;
		ev->req = req;
		prev = am_spf_eval_bind(ev);
		run_check_host(spf, req, ev, out);
		am_spf_eval_bind(prev);
	}
	if (req != NULL)
		SPF_request_free(req);
	free(ev);
}

void am_spf_check_helo(struct am_spf *spf, struct am_dns_budget *budget, const struct am_ip *client,
		       const char *helo, struct am_spf_result *out)
{
	char sender[AM_DOMAIN_MAX + 16];

	memset(out, 0, sizeof(*out));
	if (helo == NULL)
		helo = "";
	if (strlen(helo) >= AM_DOMAIN_MAX) {
		out->checked = true;
		snprintf(out->domain, sizeof(out->domain), "%.*s", AM_DOMAIN_MAX - 1, helo);
		snprintf(out->reason, sizeof(out->reason), "HELO name too long");
		return;
	}
	snprintf(sender, sizeof(sender), "postmaster@%s", helo);
	evaluate(spf, budget, client, helo, sender, helo, out);
}

void am_spf_check_mailfrom(struct am_spf *spf, struct am_dns_budget *budget, const struct am_ip *client,
			   const char *helo, const char *mailfrom, struct am_spf_result *out)
{
	char sender[AM_ADDR_MAX];
	const char *at;
	size_t len = mailfrom ? strlen(mailfrom) : 0;

	if (len >= 2 && mailfrom[0] == '<' && mailfrom[len - 1] == '>')
		mailfrom++, len -= 2;
	if (len == 0) { /* null sender: RFC 7208 2.4 checks postmaster@HELO */
		am_spf_check_helo(spf, budget, client, helo, out);
		return;
	}
	memset(out, 0, sizeof(*out));
	if (len >= sizeof(sender)) {
		out->checked = true;
		snprintf(out->reason, sizeof(out->reason), "sender address too long");
		return;
	}
	memcpy(sender, mailfrom, len);
	sender[len] = '\0';
	at = strrchr(sender, '@');
	evaluate(spf, budget, client, helo, sender, at ? at + 1 : sender, out);
}
