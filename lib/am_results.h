/*
 * am_results.h - what each check found, as plain values.
 *
 * A check's outcome, temperror included, is a result value here, never a C
 * error. The policy (am_policy.c), the Authentication-Results writer
 * (am_authres.c) and the decision log (am_log.c) read these and nothing
 * else, so they stay pure and table-testable.
 */
#ifndef AM_RESULTS_H
#define AM_RESULTS_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 8601 result keywords, shared by every method. */
enum am_result {
	AM_RES_NONE = 0,
	AM_RES_PASS,
	AM_RES_FAIL,
	AM_RES_SOFTFAIL,
	AM_RES_NEUTRAL,
	AM_RES_TEMPERROR,
	AM_RES_PERMERROR,
	AM_RES_POLICY,
};
#define AM_RES_COUNT (AM_RES_POLICY + 1)

/* Lower-case RFC 8601 keyword of a result ("pass", "temperror", ...). */
const char *am_result_name(enum am_result r);

#define AM_DOMAIN_MAX 256
#define AM_ADDR_MAX 512

/* One SPF evaluation (MAIL FROM or HELO identity). */
struct am_spf_result {
	bool checked;
	enum am_result result;
	char domain[AM_DOMAIN_MAX];    /* the identity's domain, for AR */
	char reason[128];              /* why, for the log: "mechanism -all", "void lookups" */
	char explanation[256];         /* exp= text on fail, for the SMTP reply */
	char record[256];              /* the identity's SPF record, for [log] verbose */
};

#define AM_DKIM_MAX_SIGS 16

/* One DKIM-Signature and its verification. */
struct am_dkim_sig {
	enum am_result result;
	char domain[AM_DOMAIN_MAX];    /* d= */
	char identity[AM_ADDR_MAX];    /* i= */
	char selector[64];             /* s= */
	char algorithm[32];            /* a= */
	char b_prefix[9];              /* first 8 characters of b= */
	unsigned key_bits;
	bool body_partial;             /* l= covered less than the body */
	char signed_headers[512];      /* h=, lower-cased, ':' separated */
	char reason[96];
};

struct am_dkim_result {
	bool checked;
	size_t count;
	struct am_dkim_sig sigs[AM_DKIM_MAX_SIGS];
	size_t unverified;             /* dkim: DKIM-Signature fields past [dkim] max_signatures */
};

/* --- DMARC (lib/am_dmarc.c) ------------------------------------------- */

/* How the RFC5322.From header(s) parsed (lib/am_from.c). */
enum am_from_status {
	AM_FROM_OK = 0,
	AM_FROM_MISSING,            /* no From header at all */
	AM_FROM_MULTIPLE_HEADERS,   /* more than one From header */
	AM_FROM_MULTIPLE_DOMAINS,   /* one header, mailboxes in several domains */
	AM_FROM_NO_ADDRESS,         /* only an empty group ("undisclosed:;") */
	AM_FROM_SYNTAX,             /* unparseable (RFC 5322 / 6854 / 6532) */
	AM_FROM_BAD_DOMAIN,         /* domain literal, bad label, bad IDN */
	AM_FROM_OVER_LIMIT,         /* more From headers, domains or bytes than are
	                             * evaluated: no author, the message is refused */
};

/* A DMARC policy value (p=, sp=, np=) or a disposition. */
enum am_dmarc_policy {
	AM_DMARC_P_UNSPEC = 0,      /* tag absent */
	AM_DMARC_P_NONE,
	AM_DMARC_P_QUARANTINE,
	AM_DMARC_P_REJECT,
};

/* How the policy record was found: RFC 7489 (public suffix list, kept as
 * the compatibility mode) or RFC 9989 (DNS tree walk, the default). */
enum am_dmarc_discovery {
	AM_DMARC_PSL = 0,      /* RFC 7489 (+ RFC 9091 np=) */
	AM_DMARC_TREEWALK,     /* RFC 9989 */
};

/* RFC 9990 PolicyOverrideType: why the disposition applied differs from the
 * published policy. RFC 9990's schema allows exactly these five (RFC 7489's
 * "forwarded" and "sampled_out" are gone). */
enum am_dmarc_override_type {
	AM_DMARC_OV_LOCAL_POLICY = 0,   /* our own rule: reject softened, enforce = no, dry run */
	AM_DMARC_OV_MAILING_LIST,       /* the message looks like (or is) list mail */
	AM_DMARC_OV_OTHER,              /* psl mode pct= sampling ("pct=N") */
	AM_DMARC_OV_POLICY_TEST_MODE,   /* t=y asked for the next milder policy */
	AM_DMARC_OV_TRUSTED_FORWARDER,  /* named forwarder, trusted ARC sealer */
};
#define AM_DMARC_OV_COUNT (AM_DMARC_OV_TRUSTED_FORWARDER + 1)

/* RFC 9990 keyword of an override type ("local_policy", ...). */
const char *am_dmarc_override_name(enum am_dmarc_override_type t);
/* Keyword of a policy value ("none", "quarantine", "reject", "" unspec). */
const char *am_dmarc_policy_name(enum am_dmarc_policy p);
/* Short names for logs: "psl"/"treewalk". */
const char *am_dmarc_discovery_name(enum am_dmarc_discovery d);

/* One override reason, as an aggregate report row carries it. */
struct am_dmarc_override {
	enum am_dmarc_override_type type;
	char comment[96];               /* "forwarder network 192.0.2.0/24", "pct=50" */
};

/* Several overrides may apply to one message (t=y and a forwarder, say). */
#define AM_DMARC_OVERRIDES_MAX 4

/* What the DMARC check saw that speaks for or against the message beyond
 * the RFC 9989 result itself; the policy (am_policy.c) turns these into a
 * disposition. Filled by lib/am_dmarc.c (they need DNS or the headers). */
struct am_dmarc_signals {
	bool spf_fail_in_author_org;     /* SPF fail for a MAIL FROM in the author's org domain */
	bool forwarder;                  /* a named forwarder ([dmarc] forwarder_*) matched */
	char forwarder_why[96];          /* "forwarder network 192.0.2.0/24" */
	bool list;                       /* List-Id or List-Post present */
	bool list_verified;              /* SPF pass for a MAIL FROM in the List-Id's org domain */
	char list_id[AM_DOMAIN_MAX];     /* the List-Id's domain part, as sent */
	char list_why[96];               /* "list lists.example.org, SPF pass for lists.example.org" */
};

/* One DMARC evaluation: what the AR header, the policy, the decision log
 * and an aggregate report (RFC 9990 row) need. */
struct am_dmarc_result {
	bool checked;
	enum am_result result;           /* pass fail none temperror permerror */
	enum am_dmarc_discovery discovery; /* how the record was found (psl / treewalk) */
	enum am_from_status from_status;
	char header_from[AM_DOMAIN_MAX];   /* author domain, lower-case A-label */
	char policy_domain[AM_DOMAIN_MAX]; /* polrec.domain: where the record was found */
	char org_domain[AM_DOMAIN_MAX];    /* organisational domain of header_from */
	enum am_dmarc_policy p, sp, np;    /* as published (UNSPEC: absent) */
	char policy_tag[4];              /* which tag applied: "p", "sp", "np" */
	enum am_dmarc_policy policy;     /* the published policy that applied (p/sp/np) */
	char adkim, aspf;                /* 'r' or 's' */
	int pct;                         /* 0..100 as published (100 when absent) */
	bool pct_ignored;                /* treewalk: a pct= was published and ignored (RFC 9989 A) */
	bool testing;                    /* t=y honoured (treewalk mode) */
	bool psd;                        /* the record found is a PSD record (psd=y) */
	bool nonexistent;                /* author domain does not exist (np applied) */
	bool spf_aligned, dkim_aligned;
	enum am_result spf_result;       /* SPF MAIL FROM result as evaluated */
	char spf_domain[AM_DOMAIN_MAX];
	char dkim_domain[AM_DOMAIN_MAX]; /* aligned passing d=, else first d= */
	enum am_result dkim_result;      /* result of that signature */
	/* The effective policy: the published one after t=y (RFC 9989 5.3
	 * policy test mode) and, in psl mode, pct= sampling. Scores key on it. */
	enum am_dmarc_policy effective_policy;
	/* The disposition really applied after local policy (am_policy_dmarc,
	 * called by the session: reject softened to quarantine, forwarders,
	 * lists, enforce, dry run). Straight out of am_dmarc_check it equals
	 * effective_policy (what the conformance data checks). */
	enum am_dmarc_policy disposition;
	/* Why the disposition differs from the published policy (RFC 9990). */
	struct am_dmarc_override overrides[AM_DMARC_OVERRIDES_MAX];
	unsigned noverrides;
	char evidence[64];               /* why a reject was kept: "spf_fail_in_author_org", "score", "strict" */
	struct am_dmarc_signals signals;
	char source_ip[48];
	unsigned dns_queries;            /* DMARC TXT/A queries made */
	bool other_temperror;            /* several From domains: a look-up of another
	                                  * one failed (temperror) */
	char reason[160];                /* why, for the log and the AR comment */
	/* aggregate report data (lib/am_report_data.c) */
	char rua[256];                   /* rua= of the policy record as published ("" none) */
	char fo[16];                     /* fo= as published ("" absent) */
};

/* Add an override reason (ignored past AM_DMARC_OVERRIDES_MAX or when
 * that type is already there: the first comment of a type wins). */
void am_dmarc_override_add(struct am_dmarc_result *d, enum am_dmarc_override_type t,
			   const char *comment);

/* --- Greylisting (lib/am_grey.c) -------------------------------------- */

/* What greylisting made of a message or recipient; logged as greylist=NAME.
 * Ordered by how much it matters for the log (am_grey_result_merge). */
enum am_grey_outcome {
	AM_GREY_NONE = 0,      /* not checked (off, or decided at another stage) */
	AM_GREY_SKIPPED,       /* not applied: trusted, not suspicious, skip_if */
	AM_GREY_WHITELISTED,   /* whitelist, postmaster, auto-whitelisted network */
	AM_GREY_PASS,          /* known triplet retried in time, or already passed */
	AM_GREY_ERROR,         /* the store failed (tempfail says what was done) */
	AM_GREY_EARLY,         /* retried before the delay was over */
	AM_GREY_NEW,           /* first attempt: recorded and tempfailed */
};

/* "new", "early", "pass", "whitelisted", "skipped", "error" ("none"). */
const char *am_grey_outcome_name(enum am_grey_outcome o);

struct am_grey_result {
	bool checked;
	enum am_grey_outcome outcome;
	bool tempfail;                 /* answer code/xcode/text now */
	char code[4];                  /* "451" when tempfail */
	char xcode[8];                 /* "4.7.1" (greylisted) or "4.3.0" (store down) */
	char text[160];                /* "Greylisted, please try again in 300 seconds" */
	long retry_in;                 /* s until a retry can pass (new, early) */
	char reason[160];              /* for the log: "network 10.0.0.0/8", store error */
	unsigned store_errors;         /* failed store operations (metrics) */
};

/* --- BIMI (lib/am_bimi.c) ---------------------------------------------- */

/* The bimi= result keywords of the BIMI draft. */
enum am_bimi_outcome {
	AM_BIMI_NONE = 0,      /* no BIMI record */
	AM_BIMI_PASS,          /* a valid record: BIMI-Location is added */
	AM_BIMI_FAIL,          /* an invalid record, or several */
	AM_BIMI_TEMPERROR,     /* DNS trouble */
	AM_BIMI_DECLINED,      /* a declination record (empty l= and a=) */
	AM_BIMI_SKIPPED,       /* not eligible: DMARC, its policy, or local policy */
};

/* "none", "pass", "fail", "temperror", "declined", "skipped". */
const char *am_bimi_outcome_name(enum am_bimi_outcome o);

#define AM_BIMI_URI_MAX 513      /* longest l= / a= URI we carry, plus NUL */
#define AM_BIMI_SELECTOR_MAX 64

struct am_bimi_result {
	bool checked;
	enum am_bimi_outcome result;
	char domain[AM_DOMAIN_MAX];       /* where the record was found (header.d) */
	char selector[AM_BIMI_SELECTOR_MAX]; /* header.selector */
	bool selector_signed;             /* from a BIMI-Selector under aligned DKIM */
	char location[AM_BIMI_URI_MAX];   /* l= */
	char authority[AM_BIMI_URI_MAX];  /* a= ("" when absent, empty or "self") */
	unsigned dns_queries;
	char reason[128];                 /* why, for the log and the AR comment */
};

/* --- ARC (lib/am_arc*.c, RFC 8617, verify only) ------------------------ */

/* What ARC verification found, and the one signal the DMARC decision may
 * use: a chain whose newest sealers are trusted vouches that the author's
 * domain authenticated before it was forwarded. */
struct am_arc_result {
	bool checked;
	enum am_result result;              /* pass, fail, none (RFC 8617 cv) */
	unsigned instances;                 /* newest instance N (0: no ARC set) */
	unsigned oldest_pass;               /* RFC 8617 5.2 step 5; 0 when all pass */
	char sealer[AM_DOMAIN_MAX];         /* d= of the newest ARC-Seal */
	bool trusted_author_pass;           /* a trusted sealer vouches for header_from */
	char trusted_sealer[AM_DOMAIN_MAX]; /* which one, for the override comment */
	char reason[160];                   /* why, for the log and the AR comment */
	char remote_ip[48];                 /* client, for AR smtp.remote-ip (RFC 8617 10) */
};

/* --- iprev and SMTP AUTH (lib/am_iprev.c; RFC 8601 2.7.3, 2.7.4) ------- */

/* Forward-confirmed reverse DNS of the client, once per connection. */
struct am_iprev_result {
	bool checked;
	enum am_result result;         /* pass fail temperror permerror */
	char address[48];              /* policy.iprev: the client address */
	char name[AM_DOMAIN_MAX];      /* the verified name (pass) */
	char reason[64];               /* for the log */
};

/* Everything the policy, AR writer and log see about one message. */
struct am_results {
	bool trusted;                  /* trusted network or authenticated */
	char trusted_why[48];          /* "network 10.0.0.0/8", "auth alice" */
	bool internal_error;           /* a check could not run at all */
	char internal_error_what[96];
	struct am_spf_result spf_helo;
	struct am_spf_result spf_mailfrom;
	struct am_dkim_result dkim;
	struct am_dmarc_result dmarc;   /* DMARC capability */
	struct am_grey_result grey;     /* greylisting capability */
	struct am_bimi_result bimi;     /* BIMI capability */
	struct am_arc_result arc;       /* ARC capability */
	struct am_iprev_result iprev;   /* firsthour: iprev= in AR */
	char auth_user[128];            /* firsthour: SMTP AUTH login, auth=pass smtp.auth= */
};

#endif
