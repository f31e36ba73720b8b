/*
 * am_dns.h - the one DNS layer every check uses (SPF, DKIM, DMARC, BIMI).
 *
 * An am_dns is an interface (a table of operations) so that the daemon plugs
 * in the libunbound resolver (am_dns_unbound.c) and unit tests or fuzzers
 * plug in a table-driven one (am_dns_table.c). Every query carries a budget:
 * a per-message deadline that no query may run past, so that a silent
 * nameserver costs at most the budget, never libunbound's ~17 s default.
 *
 * Answers are returned as RDATA records (wire format, names uncompressed)
 * plus helpers that turn TXT/A/AAAA/MX/PTR RDATA into text.
 */
#ifndef AM_DNS_H
#define AM_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RR types we ask for (numeric, so no resolver header is needed here). */
enum am_rrtype {
	AM_RR_A = 1,
	AM_RR_NS = 2,
	AM_RR_CNAME = 5,
	AM_RR_PTR = 12,
	AM_RR_MX = 15,
	AM_RR_TXT = 16,
	AM_RR_AAAA = 28,
};

/* How a query ended. NODATA: the name exists, no record of that type. */
enum am_dns_status {
	AM_DNS_OK = 0,
	AM_DNS_NXDOMAIN,
	AM_DNS_NODATA,
	AM_DNS_SERVFAIL,  /* server error or bogus DNSSEC: a temporary error */
	AM_DNS_TIMEOUT,   /* no answer before the per-query deadline */
	AM_DNS_BUDGET,    /* the message's DNS budget was already spent */
	AM_DNS_ERROR,     /* local failure (bad name, out of memory) */
};

/* A per-message time budget, shared by all the queries of one message. */
struct am_dns_budget {
	int64_t deadline_ms;     /* monotonic ms; 0 means no budget */
	unsigned queries;        /* queries made under this budget */
	unsigned timeouts;       /* of which timed out or ran out of budget */
	unsigned servfails;      /* of which got SERVFAIL (metrics capability) */
};

/* One record's RDATA. */
struct am_dns_rdata {
	unsigned char *data;
	size_t len;
};

struct am_dns_answer {
	enum am_dns_status status;
	int rcode;               /* DNS RCODE when the server answered */
	bool secure;             /* DNSSEC validated (only if validation is on) */
	size_t count;
	struct am_dns_rdata *rr; /* count records, owned by the answer */
};

struct am_dns;

struct am_dns_ops {
	/* Resolve name/type within timeout_ms; fill ans (always, even on error). */
	void (*query)(struct am_dns *dns, const char *name, enum am_rrtype type,
		      int timeout_ms, struct am_dns_answer *ans);
	void (*destroy)(struct am_dns *dns);
};

struct am_dns {
	const struct am_dns_ops *ops;
	int query_timeout_ms;    /* per-query deadline */
	void *impl;
};

/* Monotonic clock in milliseconds. */
int64_t am_dns_now_ms(void);

/* Start a budget of budget_ms from now (0: unlimited). */
void am_dns_budget_start(struct am_dns_budget *b, int budget_ms);

/* Resolve under the per-query deadline and the budget (NULL: no budget).
 * The answer must be released with am_dns_answer_free(). */
void am_dns_query(struct am_dns *dns, struct am_dns_budget *b, const char *name,
		  enum am_rrtype type, struct am_dns_answer *ans);

void am_dns_answer_free(struct am_dns_answer *ans);

/* Destroy a resolver of any kind. NULL is allowed. */
void am_dns_destroy(struct am_dns *dns);

/* True for statuses a check should report as temperror. */
bool am_dns_is_temporary(enum am_dns_status st);

/* Short name of a status, for logs ("timeout", "nxdomain", ...). */
const char *am_dns_status_name(enum am_dns_status st);

/* --- RDATA decoding helpers (return 0 or -1 on malformed RDATA) --- */

/* TXT: concatenate the character-strings of one record into out
 * (NUL-terminated; embedded NULs make it fail). */
int am_dns_txt(const struct am_dns_rdata *rr, char *out, size_t outlen);
/* A / AAAA: address as text. */
int am_dns_addr(const struct am_dns_rdata *rr, enum am_rrtype type, char *out, size_t outlen);
/* PTR, CNAME, NS: the domain name as text, without the trailing dot. */
int am_dns_name(const struct am_dns_rdata *rr, char *out, size_t outlen);
/* MX: preference and exchange. */
int am_dns_mx(const struct am_dns_rdata *rr, unsigned *pref, char *out, size_t outlen);

/* --- resolvers --- */

/* libunbound resolver. nameservers: space/comma separated "IP[@PORT]" list,
 * or NULL/"" for the system's resolv.conf. trust_anchor_file: NULL/"" for no
 * DNSSEC validation. Returns NULL and writes err on failure. */
struct am_dns *am_dns_unbound_new(const char *nameservers, const char *trust_anchor_file,
				  int query_timeout_ms, char *err, size_t errlen);

/* Table-driven resolver for unit tests and fuzzers: each line of text is
 * "name TYPE value" (TYPE one of A AAAA MX PTR TXT CNAME, MX value
 * "pref host"; TXT value is one string, or several "quoted" strings),
 * "name TIMEOUT" or "name SERVFAIL". Names not listed are NXDOMAIN; names
 * listed with other types are NODATA. Returns NULL and writes err. */
struct am_dns *am_dns_table_new(const char *text, char *err, size_t errlen);

#endif
