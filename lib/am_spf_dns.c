/*
 * am_spf_dns.c - libspf2's DNS layer on am_dns, and the RFC 7208 rules that
 * live best where the queries are made:
 *   - record selection (4.5): TXT only (type SPF is ignored, 3.1), exactly
 *     one "v=spf1" record, validated against the ABNF before libspf2
 *     compiles it (am_spf_record.c);
 *   - the limits of 4.6.4: 10 DNS-querying terms per evaluation (libspf2
 *     counts per record, so includes escape its count), 2 void look-ups,
 *     10 MX names (more is a permerror), 10 PTR names (the rest ignored);
 *   - 5.5: DNS errors while validating PTR names skip the name;
 *   - 7.3: over-long expanded names lose labels on the left;
 *   - exp= (6.2): looked up once, after the result, only on fail;
 *   - a/mx terms with prefix length 0 (tagged by am_spf_rewrite.c): any
 *     address found answers as the client's own.
 * libspf2 only says which name and type it wants, so classify() works out
 * which term asked from the query pattern. A limit or syntax error marks
 * the evaluation for permerror and answers every later query with a
 * temporary error so libspf2 stops at once; am_spf.c then reports the
 * permerror. This file does not map results.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "am_spf_int.h"
#include "am_spf_macro.h"
#include "am_spf_record.h"

/*
 * libspf2 calls the lookup/get_spf/get_exp hooks with nothing but the
 * shared SPF_dns_server_t (and, for get_spf, the request), so per-message
 * state (budget, counters, flags) cannot be reached through the arguments,
 * and must not live in the server: every thread of a configuration
 * generation shares it. Each check binds its own am_spf_eval to this
 * thread-local pointer for exactly the duration of its synchronous libspf2
 * call (libspf2 never hands work to another thread), and unbinds it after.
 */
static __thread struct am_spf_eval *bound_eval;

struct am_spf_eval *am_spf_eval_bind(struct am_spf_eval *ev)
{
	struct am_spf_eval *prev = bound_eval;
	bound_eval = ev;
	return prev;
}

/* Mark the evaluation for permerror (the first reason wins). */
static void set_perm(struct am_spf_eval *ev, const char *fmt, ...)
{
	va_list ap;

	if (ev->perm)
		return;
	ev->perm = true;
	va_start(ap, fmt);
	vsnprintf(ev->perm_reason, sizeof(ev->perm_reason), fmt, ap);
	va_end(ap);
}

/* Remember the first temporary DNS failure, for the log. */
static void note_temp(struct am_spf_eval *ev, const char *name, const char *type,
		      enum am_dns_status st)
{
	if (!ev->temp)
		snprintf(ev->temp_reason, sizeof(ev->temp_reason), "DNS %s for %s %s",
			 am_dns_status_name(st), name, type);
	ev->temp = true;
}

/* A libspf2 answer with no records. libspf2 aborts on NULL, and so do we. */
static SPF_dns_rr_t *rr_status(SPF_dns_server_t *layer, const char *domain, ns_type type,
			       SPF_dns_stat_t herrno)
{
	SPF_dns_rr_t *rr = SPF_dns_rr_new_init(layer, domain, type, 0, herrno);
	if (rr == NULL)
		abort();
	return rr;
}

/* Append one record's data to a libspf2 answer. */
static void rr_add(SPF_dns_rr_t *rr, const void *data, size_t len)
{
	if (SPF_dns_rr_buf_realloc(rr, rr->num_rr, len) != SPF_E_SUCCESS)
		abort();
	memcpy(rr->rr[rr->num_rr], data, len);
	rr->num_rr++;
}

char *am_spf_txt_decode(const struct am_dns_rdata *rr, size_t *len)
{
	char *out = malloc(rr->len + 1);
	size_t pos = 0, o = 0;

	if (out == NULL)
		return NULL;
	while (pos < rr->len) {
		size_t n = rr->data[pos++];
		if (pos + n > rr->len) {
			free(out);
			return NULL;
		}
		memcpy(out + o, rr->data + pos, n);
		o += n;
		pos += n;
	}
	out[o] = '\0';
	*len = o;
	return out;
}

/* Copy up to max records of ans into rr, as libspf2 wants them. */
static void rr_fill(SPF_dns_rr_t *rr, const struct am_dns_answer *ans, ns_type type, int max)
{
	char name[AM_DOMAIN_MAX];
	unsigned pref;

	for (size_t i = 0; i < ans->count && rr->num_rr < max; i++) {
		const struct am_dns_rdata *d = &ans->rr[i];
		if ((type == ns_t_a && d->len == 4) || (type == ns_t_aaaa && d->len == 16))
			rr_add(rr, d->data, d->len);
		else if (type == ns_t_mx && am_dns_mx(d, &pref, name, sizeof(name)) == 0)
			rr_add(rr, name, strlen(name) + 1);
		else if (type == ns_t_ptr && am_dns_name(d, name, sizeof(name)) == 0)
			rr_add(rr, name, strlen(name) + 1);
	}
	rr->herrno = rr->num_rr > 0 ? NETDB_SUCCESS : NO_DATA;
}

/* Remember the names of an MX/PTR answer: libspf2 looks up their
 * addresses next, and those look-ups are part of the same term. */
static void remember_names(struct am_spf_eval *ev, const SPF_dns_rr_t *rr, enum am_spf_sub sub,
			   int should_cache)
{
	ev->sub = sub;
	ev->sub_any = false;
	ev->sub_cache = should_cache != 0;
	ev->sub_next = 0;
	ev->sub_count = 0;
	for (int i = 0; i < rr->num_rr && ev->sub_count < AM_SPF_MAX_NAMES; i++)
		snprintf(ev->sub_names[ev->sub_count++], AM_DOMAIN_MAX, "%s",
			 rr->rr_type == ns_t_mx ? rr->rr[i]->mx : rr->rr[i]->ptr);
}

/* Which part of the evaluation is asking. libspf2 only tells us the name,
 * type and cache flag: "a" looks up A/AAAA (cache), "exists" A (no cache),
 * "mx" MX, "ptr" PTR (cache), %{p} PTR (no cache); the address look-ups
 * that follow an MX or PTR answer ask for exactly its names, in order. */
static enum am_spf_sub classify(struct am_spf_eval *ev, const char *domain, ns_type type,
				int should_cache, bool *term)
{
	*term = false;
	if ((type == ns_t_a || type == ns_t_aaaa) && ev->sub_next < ev->sub_count &&
	    ev->sub_cache == (should_cache != 0) && strcmp(domain, ev->sub_names[ev->sub_next]) == 0) {
		ev->sub_next++;
		return ev->sub;
	}
	ev->sub = AM_SPF_SUB_NONE;
	ev->sub_any = false;
	ev->sub_count = ev->sub_next = 0;
	if (type == ns_t_ptr && !should_cache)
		return AM_SPF_SUB_CLIENT;
	*term = type == ns_t_a || type == ns_t_aaaa || type == ns_t_mx || type == ns_t_ptr;
	return AM_SPF_SUB_NONE;
}

/* Short name of a query type, for reasons. */
static const char *type_name(ns_type type)
{
	switch (type) {
	case ns_t_a: return "A";
	case ns_t_aaaa: return "AAAA";
	case ns_t_mx: return "MX";
	case ns_t_ptr: return "PTR";
	case ns_t_txt: return "TXT";
	default: return "?";
	}
}

/* Apply the per-answer limits of RFC 7208 4.6.4; false ends the evaluation. */
static bool answer_limits(struct am_spf_eval *ev, SPF_dns_rr_t *rr, const char *name, bool term,
			  bool void_answer)
{
	if (term && void_answer && ++ev->voids > AM_SPF_MAX_VOIDS) {
		set_perm(ev, "more than %d void DNS lookups (last: %s %s)", AM_SPF_MAX_VOIDS, name,
			 type_name(rr->rr_type));
		return false;
	}
	if (term && rr->rr_type == ns_t_mx && rr->num_rr > AM_SPF_MAX_NAMES) {
		set_perm(ev, "more than %d MX records for %s", AM_SPF_MAX_NAMES, name);
		return false;
	}
	return true;
}

/* Strip AM_SPF_ANY_TAG (an a/mx term with prefix length 0) from name. */
static bool strip_any_tag(char *name)
{
	size_t n = strlen(name), t = sizeof(AM_SPF_ANY_TAG) - 1;

	if (n <= t + 1 || name[n - t - 1] != '.' || strcmp(name + n - t, AM_SPF_ANY_TAG) != 0)
		return false;
	name[n - t - 1] = '\0';
	return true;
}

/* Prefix length 0: any address found matches, so answer with the client's
 * own (libspf2 cannot compare with a zero-length mask). */
static void answer_client(const struct am_spf_eval *ev, SPF_dns_rr_t *rr, ns_type type)
{
	if (rr->num_rr == 0 || (type == ns_t_a) != (ev->ip.family == AF_INET))
		return;
	rr->num_rr = 0;
	rr_add(rr, ev->ip.addr, type == ns_t_a ? 4 : 16);
}

/* Query am_dns and translate the answer for libspf2. */
static SPF_dns_rr_t *resolve(struct am_spf_eval *ev, SPF_dns_server_t *layer, const char *domain,
			     ns_type type, int should_cache, enum am_spf_sub role, bool term)
{
	/* RFC 7208 5.5: errors looking up PTR names, or their addresses, only
	 * mean no match; %{p} then becomes "unknown". */
	bool lenient = type == ns_t_ptr || role == AM_SPF_SUB_PTR || role == AM_SPF_SUB_CLIENT;
	char name[AM_DOMAIN_MAX];
	struct am_dns_answer ans;
	SPF_dns_rr_t *rr;
	bool any;

	if (am_spf_query_name(domain, name, sizeof(name)) != 0)
		return rr_status(layer, domain, type, HOST_NOT_FOUND);
	any = term && type != ns_t_ptr && strip_any_tag(name);
	am_dns_query(ev->spf->dns, ev->budget, name, (enum am_rrtype)type, &ans);
	if (ans.status == AM_DNS_OK) {
		rr = rr_status(layer, domain, type, NETDB_SUCCESS);
		rr_fill(rr, &ans, type, type == ns_t_mx ? AM_SPF_MAX_NAMES + 1 : INT_MAX);
		if (type == ns_t_ptr && rr->num_rr > AM_SPF_MAX_NAMES)
			rr->num_rr = AM_SPF_MAX_NAMES; /* 4.6.4: ignore the rest */
		if ((any && type != ns_t_mx) || (role == AM_SPF_SUB_MX && ev->sub_any))
			answer_client(ev, rr, type);
	} else if (ans.status == AM_DNS_NXDOMAIN || ans.status == AM_DNS_NODATA) {
		rr = rr_status(layer, domain, type, ans.status == AM_DNS_NXDOMAIN ? HOST_NOT_FOUND : NO_DATA);
	} else if (lenient) {
		rr = rr_status(layer, domain, type, NO_DATA);
		am_dns_answer_free(&ans);
		return rr;
	} else {
		note_temp(ev, name, type_name(type), ans.status);
		rr = rr_status(layer, domain, type, TRY_AGAIN);
	}
	am_dns_answer_free(&ans);
	if (!answer_limits(ev, rr, name, term, rr->herrno == HOST_NOT_FOUND || rr->herrno == NO_DATA)) {
		SPF_dns_rr_free(rr);
		return rr_status(layer, domain, type, TRY_AGAIN);
	}
	if (type == ns_t_mx && term) {
		remember_names(ev, rr, AM_SPF_SUB_MX, should_cache);
		ev->sub_any = any;
	} else if (type == ns_t_ptr) {
		remember_names(ev, rr, term ? AM_SPF_SUB_PTR : AM_SPF_SUB_CLIENT, should_cache);
	}
	return rr;
}

/* libspf2's lookup hook: A, AAAA, MX and PTR for the mechanisms and %{p}. */
static SPF_dns_rr_t *layer_lookup(SPF_dns_server_t *layer, const char *domain, ns_type type,
				  int should_cache)
{
	struct am_spf_eval *ev = bound_eval;
	enum am_spf_sub role;
	bool term;

	if (ev == NULL) /* libspf2 outside an evaluation: nothing to answer with */
		return rr_status(layer, domain, type, TRY_AGAIN);
	role = classify(ev, domain ? domain : "", type, should_cache, &term);
	/* 4.6.4: the PTR query of %{p} counts like a term (not as a void) */
	if (term || (type == ns_t_ptr && !ev->finished))
		if (++ev->dns_terms > AM_SPF_MAX_DNS_TERMS)
			set_perm(ev, "more than %d DNS-querying terms", AM_SPF_MAX_DNS_TERMS);
	if (ev->perm)
		return rr_status(layer, domain, type, TRY_AGAIN);
	return resolve(ev, layer, domain ? domain : "", type, should_cache, role, term);
}

/* End a record fetch with a result libspf2 reports (top level) or turns
 * into temperror/permerror (include, redirect). */
static SPF_errcode_t spf_fail(SPF_response_t *resp, SPF_result_t result, SPF_errcode_t code,
			      const char *msg)
{
	resp->result = result;
	resp->reason = SPF_REASON_FAILURE;
	resp->err = code;
	return SPF_response_add_error(resp, code, "%s", msg);
}

/* Compile a checked record in its libspf2 form (am_spf_record_rewrite). */
static SPF_errcode_t compile_record(struct am_spf_eval *ev, SPF_server_t *server,
				    SPF_response_t *resp, const char *txt, size_t len,
				    SPF_record_t **recp)
{
	size_t cap = 8 * len + 64;
	char *text = malloc(cap);
	SPF_errcode_t err = SPF_E_NO_MEMORY;

	if (text != NULL && am_spf_record_rewrite(txt, len, ev->ip.family, text, cap) >= 0)
		err = SPF_record_compile(server, resp, recp, text);
	free(text);
	return err;
}

/* Pick the one SPF record of a TXT answer, check it, compile it. */
static SPF_errcode_t pick_record(struct am_spf_eval *ev, SPF_server_t *server,
				 SPF_response_t *resp, const struct am_dns_answer *ans,
				 const char *name, SPF_record_t **recp)
{
	char *found = NULL, why[160], msg[AM_DOMAIN_MAX + 200];
	size_t found_len = 0;
	unsigned n = 0;
	SPF_errcode_t err;

	for (size_t i = 0; i < ans->count; i++) {
		size_t len;
		char *txt = am_spf_txt_decode(&ans->rr[i], &len);
		if (txt != NULL && am_spf_record_is_spf1(txt, len) && n++ == 0) {
			found = txt, found_len = len;
			continue;
		}
		free(txt);
	}
	if (n == 0) {
		snprintf(msg, sizeof(msg), "no SPF record at %s", name);
		return spf_fail(resp, SPF_RESULT_NONE, SPF_E_NOT_SPF, msg);
	}
	if (n == 1 && ev->records == 1)   /* the identity's own record */
		snprintf(ev->top_record, sizeof(ev->top_record), "%.*s", (int)found_len, found);
	if (n > 1)
		set_perm(ev, "%u SPF records at %s", n, name);
	else if (am_spf_record_check(found, found_len, why, sizeof(why)) != 0)
		set_perm(ev, "bad SPF record at %s: %s", name, why);
	if (ev->perm) {
		free(found);
		return spf_fail(resp, SPF_RESULT_PERMERROR, n > 1 ? SPF_E_MULTIPLE_RECORDS : SPF_E_SYNTAX,
				ev->perm_reason);
	}
	err = compile_record(ev, server, resp, found, found_len, recp);
	free(found);
	if (err != SPF_E_SUCCESS) {
		if (*recp != NULL)
			SPF_record_free(*recp);
		*recp = NULL;
		set_perm(ev, "libspf2 cannot compile the SPF record at %s: %s", name, SPF_strerror(err));
		return spf_fail(resp, SPF_RESULT_PERMERROR, err, ev->perm_reason);
	}
	return SPF_E_SUCCESS;
}

/* libspf2's get_spf hook: the record of req->cur_dom, for the identity
 * itself (first call) or for an include/redirect (later calls). */
static SPF_errcode_t layer_get_spf(SPF_server_t *server, SPF_request_t *req, SPF_response_t *resp,
				   SPF_record_t **recp)
{
	struct am_spf_eval *ev = bound_eval;
	char name[AM_DOMAIN_MAX], msg[AM_DOMAIN_MAX + 64];
	struct am_dns_answer ans;
	SPF_errcode_t err;
	bool top;

	*recp = NULL;
	if (ev == NULL)
		return spf_fail(resp, SPF_RESULT_TEMPERROR, SPF_E_NOT_CONFIG, "no evaluation bound");
	top = ev->records++ == 0;
	ev->sub_count = ev->sub_next = 0;
	if (!top && ++ev->dns_terms > AM_SPF_MAX_DNS_TERMS)
		set_perm(ev, "more than %d DNS-querying terms", AM_SPF_MAX_DNS_TERMS);
	if (ev->perm)
		return spf_fail(resp, SPF_RESULT_PERMERROR, SPF_E_BIG_DNS, ev->perm_reason);
	if (req->cur_dom == NULL || am_spf_query_name(req->cur_dom, name, sizeof(name)) != 0) {
		snprintf(msg, sizeof(msg), "'%.200s' is not a domain name", req->cur_dom ? req->cur_dom : "");
		return spf_fail(resp, SPF_RESULT_NONE, SPF_E_NOT_SPF, msg);
	}
	am_dns_query(ev->spf->dns, ev->budget, name, AM_RR_TXT, &ans);
	if (ans.status != AM_DNS_OK && ans.status != AM_DNS_NXDOMAIN && ans.status != AM_DNS_NODATA) {
		note_temp(ev, name, "TXT", ans.status);
		am_dns_answer_free(&ans);
		return spf_fail(resp, SPF_RESULT_TEMPERROR, SPF_E_DNS_ERROR, ev->temp_reason);
	}
	if (ans.count == 0) {
		am_dns_answer_free(&ans);
		if (!top && ++ev->voids > AM_SPF_MAX_VOIDS) {
			set_perm(ev, "more than %d void DNS lookups (last: %s TXT)", AM_SPF_MAX_VOIDS, name);
			return spf_fail(resp, SPF_RESULT_PERMERROR, SPF_E_BIG_DNS, ev->perm_reason);
		}
		snprintf(msg, sizeof(msg), "no SPF record at %s", name);
		return spf_fail(resp, SPF_RESULT_NONE, SPF_E_NOT_SPF, msg);
	}
	err = pick_record(ev, server, resp, &ans, name, recp);
	am_dns_answer_free(&ans);
	return err;
}

/* libspf2's get_exp hook. The explanation is needed only for a final fail,
 * so remember where it is and look it up once, after the result
 * (am_spf_explanation); libspf2 gets a marker instead. */
static SPF_errcode_t layer_get_exp(SPF_server_t *server, const char *domain, char **bufp,
				   size_t *buflenp)
{
	struct am_spf_eval *ev = bound_eval;
	char *grown;

	(void)server;
	if (ev == NULL || domain == NULL)
		return SPF_E_NOT_CONFIG;
	/* domain is *bufp itself: read it before writing the marker */
	ev->exp_wanted = am_spf_query_name(domain, ev->exp_domain, sizeof(ev->exp_domain)) == 0;
	snprintf(ev->exp_cur_dom, sizeof(ev->exp_cur_dom), "%s",
		 ev->req && ev->req->cur_dom ? ev->req->cur_dom : "");
	if (*buflenp < sizeof(AM_SPF_EXP_MARKER)) {
		grown = realloc(*bufp, sizeof(AM_SPF_EXP_MARKER));
		if (grown == NULL)
			return SPF_E_NO_MEMORY;
		*bufp = grown;
		*buflenp = sizeof(AM_SPF_EXP_MARKER);
	}
	memcpy(*bufp, AM_SPF_EXP_MARKER, sizeof(AM_SPF_EXP_MARKER));
	return SPF_E_SUCCESS;
}

/* %{p} for explanations: libspf2's validated client name. */
static const char *validated_name(void *arg)
{
	struct am_spf_eval *ev = arg;
	return SPF_request_get_client_dom(ev->req);
}

void am_spf_explanation(struct am_spf_eval *ev, char *out, size_t outlen)
{
	struct am_dns_answer ans;
	char *txt = NULL, why[128];
	size_t len = 0;

	out[0] = '\0';
	if (!ev->exp_wanted)
		return;
	am_dns_query(ev->spf->dns, ev->budget, ev->exp_domain, AM_RR_TXT, &ans);
	/* 6.2: anything but exactly one record means no explanation */
	if (ans.status == AM_DNS_OK && ans.count == 1)
		txt = am_spf_txt_decode(&ans.rr[0], &len);
	am_dns_answer_free(&ans);
	if (txt != NULL && am_spf_explain_check(txt, len, why, sizeof(why)) == 0) {
		struct am_spf_macro_env env = {
			.sender = ev->req->env_from, .local_part = ev->req->env_from_lp,
			.sender_domain = ev->req->env_from_dp, .domain = ev->exp_cur_dom,
			.helo = ev->req->helo_dom, .receiver = ev->spf->receiver, .ip = &ev->ip,
			.now = (long)time(NULL), .validated_name = validated_name, .arg = ev,
		};
		if (am_spf_macro_expand(txt, len, &env, out, outlen) != 0)
			out[0] = '\0';
	}
	free(txt);
	for (char *p = out; *p; p++) /* values from the wire: keep it one printable line */
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
}

SPF_dns_server_t *am_spf_layer_new(struct am_spf *spf)
{
	SPF_dns_server_t *layer = calloc(1, sizeof(*layer));

	if (layer == NULL)
		return NULL;
	layer->destroy = NULL; /* ours: SPF_server_free must not free it */
	layer->lookup = layer_lookup;
	layer->get_spf = layer_get_spf;
	layer->get_exp = layer_get_exp;
	layer->name = "authmilter";
	layer->hook = spf;
	return layer;
}

void am_spf_layer_free(SPF_dns_server_t *layer)
{
	free(layer);
}
