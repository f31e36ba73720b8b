/*
 * am_config.h - the loaded configuration and the one option table.
 *
 * The option table (am_config.c) drives everything: parsing, validation with
 * FILE:LINE errors, defaults, `authmilter -n`, and the generated manual page.
 * A loaded config is read-only; a reload builds a new one.
 */
#ifndef AM_CONFIG_H
#define AM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "am_addr.h"
#include "am_results.h"

/* What the MTA is told. AM_ACT_NONE in an override means "no override". */
enum am_action {
	AM_ACT_NONE = 0,
	AM_ACT_ACCEPT,
	AM_ACT_QUARANTINE,
	AM_ACT_TEMPFAIL,
	AM_ACT_REJECT,
};
const char *am_action_name(enum am_action a);

enum am_opt_type {
	AM_OPT_BOOL,
	AM_OPT_INT,
	AM_OPT_OCTAL,     /* file modes */
	AM_OPT_STRING,
	AM_OPT_CIDRS,     /* struct am_cidr_list */
	AM_OPT_SOCKET,    /* unix:PATH, local:PATH, inet:PORT@HOST, inet6:PORT@HOST */
	AM_OPT_ACTION,    /* enum am_action, choices limited by `choices` */
	AM_OPT_SCORE,     /* int, may be negative */
	AM_OPT_CHOICE,    /* char *, one word of `choices` (stored lower-case) */
	AM_OPT_CHOICES,   /* char *, words of `choices` separated by blanks/commas, or "none" */
	AM_OPT_WORDS,     /* char *, a free list of words; may continue on indented lines */
};

struct am_option {
	const char *section;
	const char *key;
	enum am_opt_type type;
	size_t offset;           /* into struct am_config */
	const char *def;         /* default, as it would be written in the file */
	long min, max;           /* for numbers */
	const char *choices;     /* for actions and choices: space separated allowed words */
	const char *help;        /* one paragraph: what and why */
};

extern const struct am_option am_options[];
extern const size_t am_options_count;

/* A deprecated key: setting it sets each of its new keys (up to 2) and
 * adds a warning naming FILE:LINE and the new keys. */
struct am_option_alias {
	const char *section;
	const char *key;
	const char *new_keys[2];
};
extern const struct am_option_alias am_option_aliases[];
extern const size_t am_option_aliases_count;

struct am_config {
	char *path;
	int *set_at;       /* per option of am_options: the first line of path that set it, or 0 */
	char *warnings;    /* "FILE:LINE: ...\n" lines (deprecated keys); NULL if none */

	/* [milter] */
	char *socket;
	int socket_mode;
	char *socket_group;
	char *user;
	char *pidfile;
	int milter_timeout;

	/* [server] */
	char *authserv_id;
	struct am_cidr_list trusted_networks;
	bool trust_authenticated;
	bool authserv_id_auto;            /* authserv_id is the host name: the MTA's {j} wins */
	char *other_authserv_ids;         /* names and .suffixes whose AR headers are forged */

	/* [log] */
	char *log_facility;
	bool log_verbose;
	char *log_format;                 /* text | json */

	/* [dns] */
	char *dns_nameservers;
	int dns_timeout_ms;
	int dns_budget_ms;
	char *dns_trust_anchor;

	/* [spf] */
	bool spf_enable;
	bool spf_check_helo;
	enum am_action spf_fail_action;
	enum am_action spf_temperror_action;

	/* [policy] */
	bool dry_run;
	enum am_action internal_error_action;

	/* [scores] and [thresholds] */
	int score_spf[AM_RES_COUNT];
	int score_dkim[AM_RES_COUNT];
	int threshold_quarantine;  /* 0: never */
	int threshold_reject;      /* 0: never */

	/* [greylist] (greylisting capability: lib/am_grey.c, lib/am_store*.c) */
	bool grey_enable;
	char *grey_stage;                 /* rcpt | eom */
	char *grey_clients;               /* all | suspicious */
	char *grey_skip_if;               /* none | list of dmarc_pass dkim_aligned_pass spf_aligned_pass */
	int grey_delay;                   /* s before a retry passes */
	int grey_retry_window;            /* s after first sight a retry may come */
	int grey_pass_lifetime;           /* s a passed triplet stays passed (refreshed) */
	int grey_auto_whitelist;          /* passes before a network is let through; 0: off */
	int grey_ipv4_prefix;
	int grey_ipv6_prefix;
	bool grey_use_spf_domain;         /* SPF-verified domain stands in for the network */
	bool grey_norm_batv, grey_norm_srs, grey_norm_extension, grey_norm_verp;
	char *grey_dynamic_keywords;      /* host name tokens that look dynamic */
	struct am_cidr_list grey_whitelist_networks;
	char *grey_whitelist_hosts;       /* verified client host names: exact, .suffix, glob */
	char *grey_whitelist_senders;     /* sender domains (and their subdomains) */
	char *grey_whitelist_recipients;  /* user@dom, @dom or dom, user@ */
	enum am_action grey_store_error_action; /* accept | tempfail */
	char *grey_store;                 /* lmdb | memcached */
	char *grey_lmdb_path;
	int grey_lmdb_map_size_mb;
	int grey_lmdb_purge_interval;
	char *grey_lmdb_on_damage;        /* refuse | move-aside (stores branch) */
	char *grey_memcached_servers;
	int grey_memcached_connect_timeout_ms;
	int grey_memcached_timeout_ms;
	int grey_memcached_retry_timeout;
	int grey_memcached_failure_limit;
	bool grey_memcached_eject;
	int grey_memcached_replicas;
	int grey_memcached_pool_size;

	/* [dkim] (DKIM capability: lib/am_dkim.c) */
	bool dkim_enable;
	int dkim_max_signatures;          /* DKIM-Signature fields verified per message */
	int dkim_min_key_bits;            /* smaller RSA keys give dkim=policy (RFC 8301) */
	char *dkim_partial_body;          /* policy | pass | fail: l= covering part of the body */

	/* [dmarc] (DMARC capability: lib/am_dmarc*.c, am_from.c, am_psl.c) */
	bool dmarc_enable;
	char *dmarc_discovery;            /* psl (RFC 7489) | treewalk (RFC 9989) */
	char *dmarc_psl_file;             /* public suffix list, psl mode */
	bool dmarc_enforce;               /* apply p=quarantine/reject; no: report only */
	bool dmarc_strict;                /* RFC 7489: reject every effective p=reject failure */
	char *dmarc_reject_evidence;      /* none | spf_fail_in_author_org score */
	enum am_action dmarc_quarantine_action; /* accept (marker header) | quarantine (hold) */
	char *dmarc_marker_header;        /* the marker's name (AM_MARKER_HEADER by default) */
	bool dmarc_list_detection;        /* guessed lists: mailing_list, never better than quarantine */
	bool dmarc_trust_arc;             /* trusted ARC sealer: trusted_forwarder */
	char *dmarc_reject_text;          /* SMTP text; {domain} = polrec.domain */
	char *dmarc_quarantine_text;      /* smfi_quarantine reason; {domain} likewise */
	enum am_action dmarc_from_error_action;  /* From missing/unparseable/several */
	enum am_action dmarc_temperror_action;   /* none | tempfail */
	bool dmarc_multi_from_evaluate;   /* several From domains: strictest of each */
	struct am_cidr_list dmarc_forwarder_networks;
	char *dmarc_forwarder_hosts;      /* verified client host names, ".suffix" */
	char *dmarc_forwarder_spf_domains;/* SPF-pass MAIL FROM domains, ".suffix" */
	char *dmarc_forwarder_dkim_domains; /* passing DKIM d=, ".suffix" */
	int score_dmarc[AM_RES_COUNT];    /* [AM_RES_FAIL] unused: see score_dmarc_fail */
	int score_dmarc_fail[AM_DMARC_P_REJECT + 1]; /* by effective policy */

	/* [bimi] (BIMI capability: lib/am_bimi*.c) */
	bool bimi_enable;
	bool bimi_require_evidence;       /* add BIMI-Location only with an a= URI */
	bool bimi_org_enforcement;        /* the organisational domain must enforce DMARC too */

	/* [arc] (ARC capability: lib/am_arc*.c, verify only) */
	bool arc_enable;
	char *arc_trusted_sealers;        /* ARC-Seal d= names, ".suffix" */
	int arc_max_ams_checks;           /* AMSs verified per message, newest first */
	bool arc_require_client;          /* the client must belong to the newest sealer */

	/* [metrics] (admin capability: lib/am_metrics.c, milter/metrics_http.c) */
	char *metrics_listen;             /* ADDRESS:PORT of the HTTP endpoint; "" off */

	/* [report] (DMARC aggregate reports: lib/am_report_data.c writes the data;
	 * contrib/authmilter-dmarc-report reads every key of this section) */
	bool report_enable;
	char *report_data_file;           /* append-only data, one JSON line per message */
	char *report_host;                /* this MX host's name in record ids; "" gethostname */
	char *report_from;                /* From/MAIL FROM of report mail (loop guard) */
	char *report_org_name;
	char *report_contact;             /* report_metadata email */
	char *report_submitter;           /* receiver domain: file name, Subject */
	char *report_state_dir;
	char *report_sendmail;
	char *report_smtp;                /* HOST:PORT instead of sendmail; "" off */
	char *report_dkim_key;
	char *report_dkim_selector;
	char *report_dkim_domain;
	char *report_suppress;            /* policy domains never reported to */
	int report_max_reports;           /* reports sent per run */
	int report_max_per_destination;   /* reports per destination domain per run */
	int report_max_uris;              /* rua URIs used per record */
};

/* Load FILE into a new config (defaults first). On error returns NULL and
 * writes "FILE:LINE: what is wrong" into err. */
struct am_config *am_config_load(const char *path, char *err, size_t errlen);
/* Defaults only (offline use, tests). */
struct am_config *am_config_defaults(char *err, size_t errlen);
/* Set one option by section/key/value as if read from file:line. */
int am_config_set(struct am_config *cfg, const char *section, const char *key,
		  const char *value, const char *file, int line, char *err, size_t errlen);
/* The first line of cfg->path that set [section] key (a list's first
 * line), 0 when the file did not set it (a default, a deprecated key's new
 * key, a -p socket the file did not set). am_config_set records no line,
 * so a -p socket over one the file set still reports the file's line. */
int am_config_line(const struct am_config *cfg, const char *section, const char *key);
void am_config_free(struct am_config *cfg);
/* Write every option with its current value as an ini file that loads
 * again to the same values (lists folded onto indented lines); the tests'
 * and the config fuzz target's check of the loader. */
void am_config_dump(const struct am_config *cfg, FILE *out);

#endif
