/*
 * am_options.c - the one option table: every option's section, key, type,
 * place in struct am_config, default, range and a paragraph of help. The
 * loader (am_config.c), `authmilter -n` and the documentation read it; an
 * option exists exactly when it has a row here.
 */
#include <stddef.h>

#include "am_arc.h"
#include "am_config.h"

#define OPT(sec, key, type, field, def, min, max, choices, help)                           \
	{sec, key, type, offsetof(struct am_config, field), def, min, max, choices, help}
#define SCORE(check, res, arr, idx, def)                                                    \
	{"scores", check "_" res, AM_OPT_SCORE, offsetof(struct am_config, arr) + sizeof(int) * (idx), \
	 def, -1000, 1000, NULL, "Points added when " check " gives " res "."}

#define ACTIONS_OVERRIDE "none quarantine tempfail reject"

const struct am_option am_options[] = {
	/* [milter] */
	OPT("milter", "socket", AM_OPT_SOCKET, socket, "unix:/run/authmilter/authmilter.sock", 0, 0, NULL,
	    "Where the MTA connects: unix:PATH (or local:PATH), inet:PORT@HOST or inet6:PORT@HOST. "
	    "Overridden by -p. The directory of a unix socket is created when missing."),
	OPT("milter", "socket_mode", AM_OPT_OCTAL, socket_mode, "0660", 0, 0777, NULL,
	    "Permissions of a unix socket. Postfix's smtpd runs as user postfix: it needs write access "
	    "through this mode and socket_group."),
	OPT("milter", "socket_group", AM_OPT_STRING, socket_group, "", 0, 0, NULL,
	    "Group of a unix socket (e.g. postfix); empty keeps the group of the daemon's user."),
	OPT("milter", "user", AM_OPT_STRING, user, "", 0, 0, NULL,
	    "User to run as after opening the socket. Required when started as root: the daemon "
	    "refuses to keep root privileges."),
	OPT("milter", "pidfile", AM_OPT_STRING, pidfile, "", 0, 0, NULL,
	    "File to write the daemon's process id to; empty for none."),
	OPT("milter", "timeout", AM_OPT_INT, milter_timeout, "300", 1, 3600, NULL,
	    "Seconds libmilter waits for the MTA before dropping a connection."),
	/* [server] */
	OPT("server", "authserv_id", AM_OPT_STRING, authserv_id, "", 0, 0, NULL,
	    "The authserv-id of our Authentication-Results header (RFC 8601). Empty uses the MTA's "
	    "own name (its j macro: Postfix's myhostname, Sendmail's $j), and the machine's host "
	    "name when the MTA sends none (authmilter -t). Incoming AR headers claiming this id are "
	    "removed as forgeries."),
	/* [server] other_authserv_ids (firsthour: forged AR of sibling hosts) */
	OPT("server", "other_authserv_ids", AM_OPT_WORDS, other_authserv_ids, "", 0, 0, NULL,
	    "Further authserv-ids of the organisation (sibling MX hosts) whose Authentication-Results "
	    "headers arriving from outside are removed as forgeries too: names (mx2.example.org), "
	    "or .example.org for that domain and every name below it."),
	OPT("server", "trusted_networks", AM_OPT_CIDRS, trusted_networks, "127.0.0.0/8 ::1", 0, 0, NULL,
	    "Client networks whose mail is not checked (submission hosts, internal relays). A list "
	    "of address[/prefix], separated by blanks or commas; may continue on indented lines."),
	OPT("server", "trust_authenticated", AM_OPT_BOOL, trust_authenticated, "yes", 0, 0, NULL,
	    "Skip the checks for SMTP AUTH sessions (the MTA's {auth_authen} macro)."),
	/* [log] */
	OPT("log", "facility", AM_OPT_STRING, log_facility, "mail", 0, 0, NULL,
	    "Syslog facility of the decision lines: mail, or local0 to local7."),
	OPT("log", "verbose", AM_OPT_BOOL, log_verbose, "no", 0, 0, NULL,
	    "After each decision line, one detail line per check at debug level, for debugging a "
	    "failure: the SPF record, the term that matched and why, each DKIM signature and why it "
	    "failed, the DMARC record's domain, the tag that applied and the alignment modes, and "
	    "iprev. authmilter -t prints them too."),
	/* [log] format (firsthour: JSON decision lines) */
	OPT("log", "format", AM_OPT_CHOICE, log_format, "text", 0, 0, "text json",
	    "text: the decision line as QUEUEID: key=value pairs. json: the same fields as one JSON "
	    "object a line (queue_id first), for log pipelines. contrib/authmilter-report reads both."),
	/* [dns] */
	OPT("dns", "nameservers", AM_OPT_STRING, dns_nameservers, "", 0, 0, NULL,
	    "Recursive nameservers as IP[@PORT], separated by blanks; empty uses /etc/resolv.conf."),
	OPT("dns", "timeout_ms", AM_OPT_INT, dns_timeout_ms, "5000", 100, 60000, NULL,
	    "Longest wait for one DNS answer, in milliseconds; a query past it is cancelled."),
	OPT("dns", "message_budget_ms", AM_OPT_INT, dns_budget_ms, "20000", 100, 600000, NULL,
	    "Total DNS time one message may spend; DMARC and BIMI get another budget of their own at end "
	    "of message, so look-ups the sender chose (SPF, DKIM keys) never spend the author's. Keep it "
	    "below the MTA's milter timeouts (Postfix: milter_command_timeout 30 s) so a dead nameserver "
	    "never makes the MTA give up."),
	OPT("dns", "trust_anchor_file", AM_OPT_STRING, dns_trust_anchor, "", 0, 0, NULL,
	    "DNSSEC trust anchor file (e.g. /usr/share/dns/root.key); empty: no validation."),
	/* [spf] */
	OPT("spf", "enable", AM_OPT_BOOL, spf_enable, "yes", 0, 0, NULL, "Check SPF (RFC 7208)."),
	OPT("spf", "check_helo", AM_OPT_BOOL, spf_check_helo, "yes", 0, 0, NULL,
	    "Also check the HELO identity (always done for the null sender <>)."),
	OPT("spf", "fail_action", AM_OPT_ACTION, spf_fail_action, "none", 0, 0, ACTIONS_OVERRIDE,
	    "Override for an SPF fail of the MAIL FROM identity: none leaves it to the scores. "
	    "reject is applied at RCPT when DMARC is off, else at end of message (RFC 7489 10.1)."),
	OPT("spf", "temperror_action", AM_OPT_ACTION, spf_temperror_action, "none", 0, 0,
	    "none tempfail", "Override for an SPF temperror: none leaves it to the scores."),
	/* [policy] */
	OPT("policy", "dry_run", AM_OPT_BOOL, dry_run, "no", 0, 0, NULL,
	    "Log what would have been done, but accept every message (headers are still added)."),
	OPT("policy", "internal_error_action", AM_OPT_ACTION, internal_error_action, "tempfail", 0, 0,
	    "accept tempfail", "What to do when a check cannot run at all (out of memory, "
	    "library failure): tempfail lets the sender retry; accept never delays mail."),
	/* [greylist] (greylisting capability: lib/am_grey.c, lib/am_store*.c) */
	OPT("greylist", "enable", AM_OPT_BOOL, grey_enable, "no", 0, 0, NULL,
	    "Greylist (RFC 6647): tempfail the first attempt of an unknown (client network, "
	    "sender, recipient) triplet and accept its retry. Off by default: it delays real mail "
	    "and needs a writable store."),
	OPT("greylist", "stage", AM_OPT_CHOICE, grey_stage, "rcpt", 0, 0, "rcpt eom",
	    "rcpt: decide per recipient at RCPT, before the body is sent (cheapest). eom: decide "
	    "at end of data, once for the message, so that skip_if can spare authenticated mail. "
	    "The null sender <> is always decided at end of data (greylisting it at RCPT breaks "
	    "other sites' sender-verification callouts)."),
	OPT("greylist", "clients", AM_OPT_CHOICE, grey_clients, "suspicious", 0, 0, "all suspicious",
	    "all: greylist every client (classic). suspicious: only clients with no reverse DNS, "
	    "reverse DNS that does not resolve back, or a dynamic-looking host name. The default "
	    "is suspicious because large senders retry from other addresses of a pool (so their "
	    "mail is delayed for hours) and all have proper reverse DNS, while most spam bots do not."),
	OPT("greylist", "skip_if", AM_OPT_CHOICES, grey_skip_if, "dmarc_pass", 0, 0,
	    "none dmarc_pass dkim_aligned_pass spf_aligned_pass",
	    "With stage = eom: messages that pass any of these are not greylisted: dmarc_pass, "
	    "dkim_aligned_pass, spf_aligned_pass (a list), or none."),
	OPT("greylist", "delay", AM_OPT_INT, grey_delay, "300", 0, 86400, NULL,
	    "Seconds after the first attempt before a retry is accepted."),
	OPT("greylist", "retry_window", AM_OPT_INT, grey_retry_window, "172800", 60, 2592000, NULL,
	    "Seconds after the first attempt during which a retry is accepted (2 days); a later "
	    "retry starts over."),
	OPT("greylist", "pass_lifetime", AM_OPT_INT, grey_pass_lifetime, "3110400", 3600, 34560000,
	    NULL, "Seconds a passed triplet stays passed without being greylisted again (36 days, "
	    "so monthly mail keeps passing), from its last use; a record in use is rewritten at most "
	    "once per 1/64 of this (13.5 hours), so it may end up to that much earlier."),
	OPT("greylist", "auto_whitelist", AM_OPT_INT, grey_auto_whitelist, "5", 0, 1000000, NULL,
	    "After this many passed deliveries from a client network, the network is let through "
	    "for every sender and recipient (for pass_lifetime, refreshed); 0 turns it off."),
	OPT("greylist", "ipv4_prefix", AM_OPT_INT, grey_ipv4_prefix, "24", 8, 32, NULL,
	    "IPv4 client addresses are masked to this prefix: senders retry from a neighbour."),
	OPT("greylist", "ipv6_prefix", AM_OPT_INT, grey_ipv6_prefix, "64", 16, 128, NULL,
	    "IPv6 client addresses are masked to this prefix (a /64 is one site)."),
	OPT("greylist", "use_spf_domain", AM_OPT_BOOL, grey_use_spf_domain, "yes", 0, 0, NULL,
	    "When SPF passes, the SPF-verified MAIL FROM domain stands in for the client network, "
	    "so a retry from another address of the sender's pool still matches."),
	OPT("greylist", "normalise_batv", AM_OPT_BOOL, grey_norm_batv, "yes", 0, 0, NULL,
	    "Sender prvs=TAG=user@dom (BATV) counts as user@dom."),
	OPT("greylist", "normalise_srs", AM_OPT_BOOL, grey_norm_srs, "yes", 0, 0, NULL,
	    "Sender SRS0=HASH=TT=dom=user@fwd (and SRS1) counts as the original user@dom."),
	OPT("greylist", "normalise_extension", AM_OPT_BOOL, grey_norm_extension, "yes", 0, 0, NULL,
	    "Sender user+anything@dom counts as user@dom."),
	OPT("greylist", "normalise_verp", AM_OPT_BOOL, grey_norm_verp, "yes", 0, 0, NULL,
	    "Every run of digits in the sender's local part counts as one '#', so list and "
	    "bounce senders (bounce-12345@) do not make a new triplet per message."),
	OPT("greylist", "dynamic_keywords", AM_OPT_WORDS, grey_dynamic_keywords,
	    "dyn dynamic dynip dhcp dsl adsl vdsl xdsl ppp pppoe dial dialup pool cable cpe "
	    "broadband customer cust residential res ftth fttx", 0, 0, NULL,
	    "With clients = suspicious: a host name looks dynamic when a label left of its last "
	    "two is one of these words (optionally followed by digits), or when it spells the "
	    "client's IPv4 address."),
	OPT("greylist", "whitelist_networks", AM_OPT_CIDRS, grey_whitelist_networks, "", 0, 0, NULL,
	    "Client networks never greylisted (address[/prefix] list)."),
	OPT("greylist", "whitelist_hosts", AM_OPT_WORDS, grey_whitelist_hosts, "", 0, 0, NULL,
	    "Client host names never greylisted: name, .domain (it and every name below it) or a "
	    "glob (mx*.example.com). Only a verified reverse DNS name counts."),
	OPT("greylist", "whitelist_senders", AM_OPT_WORDS, grey_whitelist_senders, "", 0, 0, NULL,
	    "Sender domains never greylisted: name, or .domain for it and every name below it. "
	    "Senders can be forged: prefer whitelist_hosts or skip_if."),
	OPT("greylist", "whitelist_recipients", AM_OPT_WORDS, grey_whitelist_recipients, "", 0, 0,
	    NULL, "Recipients never greylisted: user@example.com, example.com (whole domain) or "
	    "user@ (that local part anywhere). postmaster@ is never greylisted."),
	OPT("greylist", "on_store_error", AM_OPT_ACTION, grey_store_error_action, "accept", 0, 0,
	    "accept tempfail", "When the store fails (memcached down, LMDB full): accept (fail "
	    "open, logged greylist=error) or tempfail (451 4.3.0). A store that cannot be opened "
	    "at start stops the start whatever this says, and authmilter -n fails on it too."),
	OPT("greylist", "store", AM_OPT_CHOICE, grey_store, "lmdb", 0, 0, "lmdb memcached",
	    "lmdb: one local file, no server (one MX host). memcached: a cluster shared by "
	    "several MX hosts. Stores are opened once per process and kept across reloads."),
	OPT("greylist", "lmdb_path", AM_OPT_STRING, grey_lmdb_path,
	    "/var/lib/authmilter/greylist.lmdb", 0, 0, NULL,
	    "The LMDB data file (a PATH-lock file sits beside it); its directory must exist and "
	    "be writable by the daemon's user."),
	OPT("greylist", "lmdb_map_size", AM_OPT_INT, grey_lmdb_map_size_mb, "64", 1, 1048576, NULL,
	    "Largest size of the LMDB file in MB (about 100 bytes per triplet). A full map is a "
	    "store error, after one purge of expired entries."),
	OPT("greylist", "lmdb_purge_interval", AM_OPT_INT, grey_lmdb_purge_interval, "3600", 0,
	    604800, NULL, "Seconds between purges of expired LMDB entries, run by the next write "
	    "(and once after start); 0: only when the map is full."),
	OPT("greylist", "lmdb_on_damage", AM_OPT_CHOICE, grey_lmdb_on_damage, "move-aside", 0, 0,
	    "refuse move-aside", "An LMDB file found truncated or with unreadable pages at start: "
	    "move-aside renames it FILE.damaged.UNIXTIME and starts an empty store (logged); "
	    "refuse stops the start. authmilter -n reports it either way."),
	OPT("greylist", "memcached_servers", AM_OPT_STRING, grey_memcached_servers,
	    "127.0.0.1:11211", 0, 0, NULL,
	    "host:port[:weight] list. Keys are spread by consistent (ketama) hashing, so losing "
	    "or adding one server moves only its share of the triplets."),
	OPT("greylist", "memcached_connect_timeout_ms", AM_OPT_INT,
	    grey_memcached_connect_timeout_ms, "200", 10, 10000, NULL,
	    "Longest wait to connect to a memcached server, in milliseconds."),
	OPT("greylist", "memcached_timeout_ms", AM_OPT_INT, grey_memcached_timeout_ms, "200", 10,
	    10000, NULL, "Longest wait for a memcached answer (poll, send, receive), in ms."),
	OPT("greylist", "memcached_retry_timeout", AM_OPT_INT, grey_memcached_retry_timeout, "30", 1,
	    3600, NULL, "Seconds a failed memcached server is left alone before it is tried again."),
	OPT("greylist", "memcached_failure_limit", AM_OPT_INT, grey_memcached_failure_limit, "1", 1,
	    100, NULL, "Failures in a row after which a memcached server is marked dead: "
	    "connection failures (libmemcached) or timeouts (a server that accepts and never "
	    "answers)."),
	OPT("greylist", "memcached_eject", AM_OPT_BOOL, grey_memcached_eject, "yes", 0, 0, NULL,
	    "yes: a dead or hung server leaves the hash ring, its keys go to the others (their "
	    "triplets start over); it is tried again after retry_timeout. no: its keys fail "
	    "(on_store_error) meanwhile."),
	OPT("greylist", "memcached_replicas", AM_OPT_INT, grey_memcached_replicas, "0", 0, 4, NULL,
	    "Extra copies of each entry on other servers (binary protocol replication)."),
	OPT("greylist", "memcached_pool_size", AM_OPT_INT, grey_memcached_pool_size, "32", 1, 1024,
	    NULL, "Connections kept per memcached server set: one per concurrently busy thread."),
	/* [dkim] (DKIM capability: lib/am_dkim.c) */
	OPT("dkim", "enable", AM_OPT_BOOL, dkim_enable, "yes", 0, 0, NULL,
	    "Verify DKIM signatures (RFC 6376; rsa-sha256 and ed25519-sha256, RFC 8463)."),
	OPT("dkim", "max_signatures", AM_OPT_INT, dkim_max_signatures, "5", 1, AM_DKIM_MAX_SIGS, NULL,
	    "How many DKIM-Signature fields of one message are verified (each costs a DNS look-up "
	    "and a hash of the body), those whose d= can align with a From domain first; the rest "
	    "are left unverified and counted in the log."),
	OPT("dkim", "min_key_bits", AM_OPT_INT, dkim_min_key_bits, "1024", 512, 8192, NULL,
	    "RSA keys shorter than this give dkim=policy, never pass (RFC 8301 requires 1024). "
	    "rsa-sha1 signatures give dkim=policy too."),
	OPT("dkim", "partial_body", AM_OPT_CHOICE, dkim_partial_body, "policy", 0, 0, "policy pass fail",
	    "The result of a good signature whose l= tag covers only part of the body: anything "
	    "can be appended after the signed part, so by default it is dkim=policy (RFC 8601 "
	    "2.7.1, with the reason in the AR comment) and does not count for DMARC. pass or fail "
	    "as before. It is reported in the log either way."),
	/* [dmarc] (DMARC capability: lib/am_dmarc*.c, am_from.c, am_psl.c) */
	OPT("dmarc", "enable", AM_OPT_BOOL, dmarc_enable, "yes", 0, 0, NULL,
	    "Evaluate DMARC (needs the SPF and DKIM results of the message)."),
	OPT("dmarc", "discovery", AM_OPT_CHOICE, dmarc_discovery, "treewalk", 0, 0, "psl treewalk",
	    "treewalk: RFC 9989 (DNS tree walk, at most 8 queries; psd=, t=, np=; pct= ignored). "
	    "psl: the RFC 7489 compatibility mode (From domain, then its organisational domain "
	    "from the public suffix list), with RFC 9091 np= and pct= sampling."),
	OPT("dmarc", "psl_file", AM_OPT_STRING, dmarc_psl_file,
	    "/usr/share/publicsuffix/public_suffix_list.dat", 0, 0, NULL,
	    "Public suffix list for discovery = psl (Debian package publicsuffix); re-read on reload."),
	OPT("dmarc", "enforce", AM_OPT_BOOL, dmarc_enforce, "yes", 0, 0, NULL,
	    "Act on failures under an effective p=quarantine / p=reject (as below); no: results "
	    "and logs only (override local_policy)."),
	OPT("dmarc", "strict", AM_OPT_BOOL, dmarc_strict, "no", 0, 0, NULL,
	    "yes: RFC 7489 behaviour, every failure under an effective p=reject is rejected "
	    "(named forwarders and trusted ARC sealers still accepted). This rejects mailing-list "
	    "mail and gets recipients unsubscribed. no (RFC 9989 7.4): such a failure is "
	    "quarantined (override local_policy) unless reject_evidence names a spoof."),
	OPT("dmarc", "reject_evidence", AM_OPT_CHOICES, dmarc_reject_evidence,
	    "spf_fail_in_author_org score", 0, 0, "none spf_fail_in_author_org score",
	    "What turns a failure under an effective p=reject into a reject when strict = no: "
	    "spf_fail_in_author_org (an SPF fail for a MAIL FROM inside the author's organisational "
	    "domain: the author's domain says this host may not send for it; a forwarder that "
	    "keeps the MAIL FROM without SRS hits it too, name it in forwarder_*), score (the "
	    "total score reaches [thresholds] reject), a list of them, or none."),
	OPT("dmarc", "quarantine_action", AM_OPT_ACTION, dmarc_quarantine_action, "accept", 0, 0,
	    "quarantine accept", "What a quarantine disposition does: accept (deliver with the "
	    "marker header and the DMARC failure in the AR, for an MUA or Sieve rule to file as "
	    "junk) or quarantine (the MTA's hold queue: every list message waits for an admin)."),
	OPT("dmarc", "marker_header", AM_OPT_STRING, dmarc_marker_header, "X-Authmilter-Quarantine", 0,
	    0, NULL, "Name of the header that marks a message delivered under quarantine_action = "
	    "accept (its value is quarantine_text), for an MUA or Sieve rule to file as junk. "
	    "Incoming copies of it are always removed. At most 31 characters."),
	OPT("dmarc", "list_detection", AM_OPT_BOOL, dmarc_list_detection, "yes", 0, 0, NULL,
	    "Guess mailing lists: a List-Id (RFC 2919) or List-Post header, with SPF pass for a MAIL "
	    "FROM in the List-Id's organisational domain, reports the quarantine of an effective "
	    "p=reject as mailing_list. A guess never does better than quarantine (anyone can add "
	    "List-Id); name a list in forwarder_* to accept its mail."),
	OPT("dmarc", "trust_arc", AM_OPT_BOOL, dmarc_trust_arc, "yes", 0, 0, NULL,
	    "A valid ARC chain whose trusted sealer vouches that the author's domain authenticated "
	    "(the ARC check's trusted-sealer signal) accepts a DMARC failure as trusted_forwarder."),
	OPT("dmarc", "reject_text", AM_OPT_STRING, dmarc_reject_text,
	    "Rejected by the DMARC policy of {domain}", 0, 0, NULL,
	    "Text of the 550 5.7.1 reply for p=reject; {domain} becomes the policy domain."),
	OPT("dmarc", "quarantine_text", AM_OPT_STRING, dmarc_quarantine_text,
	    "Held by the DMARC policy of {domain}", 0, 0, NULL,
	    "Reason given with a quarantine for p=quarantine; {domain} as above."),
	OPT("dmarc", "from_error_action", AM_OPT_ACTION, dmarc_from_error_action, "none", 0, 0,
	    ACTIONS_OVERRIDE, "When the From header is missing, unparseable or names several "
	    "domains (and they are not evaluated): none leaves it to the scores (dmarc=permerror); "
	    "RFC 7489 6.6.1 allows reject."),
	OPT("dmarc", "temperror_action", AM_OPT_ACTION, dmarc_temperror_action, "none", 0, 0,
	    "none tempfail", "When DNS trouble leaves DMARC undecided: none (fail open) or tempfail."),
	OPT("dmarc", "multi_from_evaluate", AM_OPT_BOOL, dmarc_multi_from_evaluate, "yes", 0, 0, NULL,
	    "Several From domains: evaluate each and keep the strictest result (RFC 7489 6.6.1); "
	    "no: dmarc=permerror and from_error_action."),
	OPT("dmarc", "forwarder_networks", AM_OPT_CIDRS, dmarc_forwarder_networks, "", 0, 0, NULL,
	    "Trusted forwarders by client network: a failing message from them is accepted "
	    "(override trusted_forwarder, logged)."),
	OPT("dmarc", "forwarder_hosts", AM_OPT_WORDS, dmarc_forwarder_hosts, "", 0, 0, NULL,
	    "Trusted forwarders by verified client host name: name, or .domain for it and below."),
	OPT("dmarc", "forwarder_spf_domains", AM_OPT_WORDS, dmarc_forwarder_spf_domains, "", 0, 0, NULL,
	    "Trusted forwarders by SPF-verified MAIL FROM domain: name, or .domain."),
	OPT("dmarc", "forwarder_dkim_domains", AM_OPT_WORDS, dmarc_forwarder_dkim_domains, "", 0, 0,
	    NULL, "Mailing lists by the d= of a passing DKIM signature: name, or .domain. A list's "
	    "signature alone proves nothing about this delivery (anyone can re-send the list's "
	    "signed copy), so the client must belong to the list too: SPF pass for a MAIL FROM, or "
	    "a verified host name, in the signature's organisational domain."),
	/* [bimi] (BIMI capability: lib/am_bimi*.c) */
	OPT("bimi", "enable", AM_OPT_BOOL, bimi_enable, "yes", 0, 0, NULL,
	    "Look up the BIMI record of mail that passes DMARC under a policy at enforcement, and add "
	    "a BIMI-Location header when it is valid. Incoming BIMI-Location and BIMI-Indicator "
	    "headers are removed whatever this says."),
	OPT("bimi", "require_evidence", AM_OPT_BOOL, bimi_require_evidence, "no", 0, 0, NULL,
	    "Add BIMI-Location only when the record names authority evidence (an a= URI, e.g. a "
	    "VMC); without it bimi=skipped. The evidence is not fetched (policy.authority=none)."),
	OPT("bimi", "org_domain_enforcement", AM_OPT_BOOL, bimi_org_enforcement, "yes", 0, 0, NULL,
	    "When the author's DMARC record is not its organisational domain's, that domain must "
	    "publish a DMARC policy at enforcement too (p=quarantine or p=reject, sp= not none, "
	    "pct=100 in psl mode, no t=y in treewalk mode), as the BIMI draft and Mail::BIMI ask; "
	    "no: the author's record alone decides, as some large mailbox providers do."),
	/* [arc] (ARC capability: lib/am_arc*.c, verify only) */
	OPT("arc", "enable", AM_OPT_BOOL, arc_enable, "yes", 0, 0, NULL,
	    "Verify ARC chains (RFC 8617) and report arc=pass/fail/none in Authentication-Results "
	    "and the decision line. Verify only: authmilter never seals."),
	OPT("arc", "trusted_sealers", AM_OPT_WORDS, arc_trusted_sealers, "", 0, 0, NULL,
	    "ARC-Seal d= domains whose ARC-Authentication-Results are believed: name, or .domain for "
	    "it and below. When the newest sealers of a passing chain are listed and one of them "
	    "saw DMARC (or aligned DKIM or SPF) pass for the author domain, DMARC's failure here is "
	    "overridden as trusted_forwarder. Empty trusts nobody."),
	OPT("arc", "max_ams_checks", AM_OPT_INT, arc_max_ams_checks, "3", 1, AM_ARC_MAX_INSTANCES, NULL,
	    "ARC-Message-Signatures verified per message, newest first: 1 checks only the newest "
	    "(enough for pass/fail); more find the oldest instance that still passes "
	    "(header.oldest-pass). Each costs a signature check."),
	OPT("arc", "require_client", AM_OPT_BOOL, arc_require_client, "yes", 0, 0, NULL,
	    "Trust a sealer's word only when the client belongs to the newest sealer: SPF pass for "
	    "a MAIL FROM domain, or a verified client host name, aligned with its d=. Stops a "
	    "sealed message being replayed from elsewhere."),
	/* [metrics] (admin capability: lib/am_metrics.c, milter/metrics_http.c) */
	OPT("metrics", "listen", AM_OPT_STRING, metrics_listen, "", 0, 0, NULL,
	    "ADDRESS:PORT (or [IPV6]:PORT) where counters and latency histograms are served in the "
	    "Prometheus text format (GET /metrics); empty turns the endpoint off. Read at start "
	    "only: a change takes a restart. There is no authentication: keep it on loopback or "
	    "an internal network."),
	/* [report] (DMARC aggregate reports: lib/am_report_data.c, contrib/authmilter-dmarc-report) */
	OPT("report", "enable", AM_OPT_BOOL, report_enable, "no", 0, 0, NULL,
	    "Append one line of RFC 9990 report data per DMARC-evaluated message to data_file, "
	    "for authmilter-dmarc-report(8) to send the daily aggregate reports."),
	OPT("report", "data_file", AM_OPT_STRING, report_data_file,
	    "/var/lib/authmilter/dmarc-report.data", 0, 0, NULL,
	    "Where the report data goes: opened in append mode for each line, so renaming it "
	    "(log rotation) needs no signal. Rotated copies (FILE.1, FILE.2.gz, ...) are read too."),
	OPT("report", "host", AM_OPT_STRING, report_host, "", 0, 0, NULL,
	    "This MX host's name in each record's unique id, so several hosts' data can be merged "
	    "into one report and a record read twice is counted once; empty uses the host name."),
	OPT("report", "from", AM_OPT_STRING, report_from, "", 0, 0, NULL,
	    "Sender address of report mail (From and MAIL FROM). Mail from this MAIL FROM is "
	    "recorded as ours and never reported on (loop guard). Required to send."),
	OPT("report", "org_name", AM_OPT_STRING, report_org_name, "", 0, 0, NULL,
	    "report_metadata org_name; empty uses submitter."),
	OPT("report", "contact", AM_OPT_STRING, report_contact, "", 0, 0, NULL,
	    "report_metadata email (a contact address); empty uses from."),
	OPT("report", "submitter", AM_OPT_STRING, report_submitter, "", 0, 0, NULL,
	    "The receiver's domain named in the report file name and Subject; empty uses the "
	    "domain of from."),
	OPT("report", "state_dir", AM_OPT_STRING, report_state_dir, "/var/lib/authmilter/dmarc-report",
	    0, 0, NULL, "Where the tool remembers what it sent (a rerun sends nothing twice)."),
	OPT("report", "sendmail", AM_OPT_STRING, report_sendmail, "/usr/sbin/sendmail -t -oi", 0, 0,
	    NULL, "Command that sends a report mail (read from standard input) when smtp is empty."),
	OPT("report", "smtp", AM_OPT_STRING, report_smtp, "", 0, 0, NULL,
	    "HOST:PORT of an SMTP server to send report mail through instead of sendmail; the "
	    "server's answer is seen, so a refusal for size is logged and not retried."),
	OPT("report", "dkim_key", AM_OPT_STRING, report_dkim_key, "", 0, 0, NULL,
	    "PEM private key to DKIM-sign report mail with (python3-dkim); empty leaves signing to "
	    "the MTA. RFC 9990 wants report mail to pass DMARC aligned."),
	OPT("report", "dkim_selector", AM_OPT_STRING, report_dkim_selector, "", 0, 0, NULL,
	    "DKIM selector (s=) of dkim_key."),
	OPT("report", "dkim_domain", AM_OPT_STRING, report_dkim_domain, "", 0, 0, NULL,
	    "DKIM signing domain (d=); empty uses the domain of from (aligned)."),
	OPT("report", "suppress", AM_OPT_WORDS, report_suppress, "", 0, 0, NULL,
	    "Policy domains never reported to (and their subdomains)."),
	OPT("report", "max_reports", AM_OPT_INT, report_max_reports, "1000", 1, 1000000, NULL,
	    "Reports sent per run at most; the rest wait for the next run (logged)."),
	OPT("report", "max_per_destination", AM_OPT_INT, report_max_per_destination, "50", 1, 1000000,
	    NULL, "Reports per run to one destination domain at most: a wildcard _dmarc record can "
	    "create thousands of policy domains reporting to one victim (logged)."),
	OPT("report", "max_uris", AM_OPT_INT, report_max_uris, "2", 1, 10, NULL,
	    "rua URIs used per policy record at most (RFC 9990 allows the receiver's limits)."),
	/* [thresholds] */
	OPT("thresholds", "quarantine", AM_OPT_INT, threshold_quarantine, "10", 0, 10000, NULL,
	    "Total score at or above which a message is quarantined; 0 turns it off."),
	OPT("thresholds", "reject", AM_OPT_INT, threshold_reject, "15", 0, 10000, NULL,
	    "Total score at or above which a message is rejected; 0 turns it off."),
	/* [scores] */
	SCORE("spf", "pass", score_spf, AM_RES_PASS, "0"),
	SCORE("spf", "fail", score_spf, AM_RES_FAIL, "5"),
	SCORE("spf", "softfail", score_spf, AM_RES_SOFTFAIL, "2"),
	SCORE("spf", "neutral", score_spf, AM_RES_NEUTRAL, "0"),
	SCORE("spf", "none", score_spf, AM_RES_NONE, "0"),
	SCORE("spf", "temperror", score_spf, AM_RES_TEMPERROR, "0"),
	SCORE("spf", "permerror", score_spf, AM_RES_PERMERROR, "1"),
	/* [scores] dkim_* (DKIM capability) */
	SCORE("dkim", "pass", score_dkim, AM_RES_PASS, "0"),
	SCORE("dkim", "fail", score_dkim, AM_RES_FAIL, "2"),
	SCORE("dkim", "neutral", score_dkim, AM_RES_NEUTRAL, "0"),
	SCORE("dkim", "policy", score_dkim, AM_RES_POLICY, "0"),
	SCORE("dkim", "none", score_dkim, AM_RES_NONE, "0"),
	SCORE("dkim", "temperror", score_dkim, AM_RES_TEMPERROR, "0"),
	SCORE("dkim", "permerror", score_dkim, AM_RES_PERMERROR, "1"),
	/* [scores] dmarc_* (DMARC capability) */
	SCORE("dmarc", "pass", score_dmarc, AM_RES_PASS, "0"),
	/* A failure scores by its effective policy (after t=): p=none must not
	 * change handling (RFC 9989 5.8); dmarc_fail is their deprecated alias. */
	OPT("scores", "dmarc_fail_none", AM_OPT_SCORE, score_dmarc_fail[AM_DMARC_P_NONE], "0", -1000, 1000,
	    NULL, "Points for a DMARC fail under an effective p=none (p=none, or t=y on p=quarantine)."),
	OPT("scores", "dmarc_fail_quarantine", AM_OPT_SCORE, score_dmarc_fail[AM_DMARC_P_QUARANTINE], "3",
	    -1000, 1000, NULL, "Points for a DMARC fail under an effective p=quarantine."),
	OPT("scores", "dmarc_fail_reject", AM_OPT_SCORE, score_dmarc_fail[AM_DMARC_P_REJECT], "3", -1000,
	    1000, NULL, "Points for a DMARC fail under an effective p=reject."),
	SCORE("dmarc", "none", score_dmarc, AM_RES_NONE, "0"),
	SCORE("dmarc", "temperror", score_dmarc, AM_RES_TEMPERROR, "0"),
	SCORE("dmarc", "permerror", score_dmarc, AM_RES_PERMERROR, "1"),
};
const size_t am_options_count = sizeof(am_options) / sizeof(am_options[0]);

/* Renamed keys still accepted, with a warning naming the new ones. */
const struct am_option_alias am_option_aliases[] = {
	{"scores", "dmarc_fail", {"dmarc_fail_quarantine", "dmarc_fail_reject"}},
};
const size_t am_option_aliases_count = sizeof(am_option_aliases) / sizeof(am_option_aliases[0]);
