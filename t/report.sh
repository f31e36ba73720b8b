#!/bin/bash
# t/report.sh - contrib/authmilter-report on the log of real traffic: the
# daemon (greylisting on a real memcached, DNS from a real unbound) gets
# five messages from contrib/milterload - all greylisted at RCPT - and,
# after the greylisting delay, the same five again: SPF pass, SPF
# softfail, a broken DKIM signature, DMARC reject and DMARC quarantine.
# The report of $T/daemon.log must add up (decisions = lines, by action,
# by reason, by stage, per hour), name the failing domains of each check,
# pair every greylisted sender with its pass (100%, delay >= the
# greylisting delay), read the same log gzipped, on standard input and
# with syslog stamps alike, and --json must parse and agree.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_auth.sh"
harness_init report

[ -x /usr/sbin/unbound ] || skip_all "unbound is not installed"
[ -x "$top_builddir/milter/authmilter" ] || skip_all "milter/authmilter not built"
ML=$top_builddir/contrib/milterload
[ -x "$ML" ] || skip_all "contrib/milterload not built"
command -v memcached >/dev/null || skip_all "memcached is not installed"
perl -MMail::DKIM::Signer -e 1 2>/dev/null || skip_all "Mail::DKIM missing (apt-get install libmail-dkim-perl)"
[ -r /usr/share/publicsuffix/public_suffix_list.dat ] || skip_all "no public suffix list (apt-get install publicsuffix)"
REPORT="/usr/bin/python3 $top_srcdir/contrib/authmilter-report"

{
	for d in pass.example example.com rej.example quar.example; do
		zone_txt "$d" "v=spf1 ip4:192.0.2.0/24 -all"
	done
	zone_txt soft.example "v=spf1 ~all"
	zone_txt rsa2048._domainkey.example.com "$(fixture_key rsa2048)"
	zone_txt _dmarc.example.com "v=DMARC1; p=none"
	zone_txt _dmarc.rej.example "v=DMARC1; p=reject"
	zone_txt _dmarc.quar.example "v=DMARC1; p=quarantine"
} >"$T/zone"
dns_start "$T/zone" || bail_out "unbound did not start"
memcached_start || bail_out "memcached did not start"
daemon_config "$T/am.ini" greylist.enable=yes greylist.store=memcached greylist.clients=all \
	greylist.delay=1 "greylist.memcached_servers=$AM_MEMCACHED_SERVERS" bimi.enable=no \
	dmarc.quarantine_action=quarantine   # counted as quarantine (the default marks and delivers)
daemon_start "$T/am.ini" || bail_out "daemon did not start"

mkdir "$T/corpus"
mkmsg() {
	printf 'From: <user@%s>\nTo: <r@rcpt.example>\nSubject: report %s\nDate: Sat, 22 Nov 2025 12:00:00 +0000\nMessage-ID: <%s@report.example>\n\nBody of %s.\n' \
		"$2" "$1" "$1" "$1" >"$T/corpus/$1.eml"
}
mkmsg pass pass.example
mkmsg soft soft.example
mkmsg rej rej.example
mkmsg quar quar.example
mkmsg dkim example.com
perl "$DKIM_DATA/sign-mail-dkim.pl" "$DKIM_DATA/rsa2048.pem" example.com rsa2048 rsa-sha256 relaxed/relaxed \
	<"$T/corpus/dkim.eml" | sed 's/^Body of/Body Of/' >"$T/corpus/dkim-bad.eml" || bail_out "signing failed"
cat >"$T/corpus/manifest" <<'EOF'
pass.eml      192.0.2.10     mx.pass.example  <user@pass.example>  a@rcpt.example
soft.eml      192.0.2.11     mx.soft.example  <user@soft.example>  a@rcpt.example
dkim-bad.eml  192.0.2.12     mx.example.com   <user@example.com>   a@rcpt.example
rej.eml       198.51.100.9   mx.rej.example   <user@rej.example>   a@rcpt.example
quar.eml      198.51.100.77  mx.quar.example  <user@quar.example>  a@rcpt.example
EOF

"$ML" -s "$AM_SOCKET" -c 2 -n 5 -M "$T/corpus/manifest" >"$T/run1.out" 2>&1
like "$(cat "$T/run1.out")" 'tempfail=5 reject=0 error=0' "first delivery: all five greylisted"
sleep 2
"$ML" -s "$AM_SOCKET" -c 2 -n 5 -M "$T/corpus/manifest" >"$T/run2.out" 2>&1
like "$(cat "$T/run2.out")" 'accept=3 quarantine=1 discard=0 tempfail=0 reject=1 error=0' \
	"retry: 3 accepted, 1 quarantined, 1 rejected"
daemon_wait_log 'quar\.example.* stage=eom|stage=eom .*quar\.example' 5
LINES=$(grep -c ' conn=C[0-9a-f]* action=' "$T/daemon.log")
is "$LINES" 10 "the daemon logged 10 decision lines"

$REPORT --json "$T/daemon.log" >"$T/report.json" 2>"$T/report.err"
ok $? "--json: exit 0"
# j EXPR: evaluate a Python expression over the JSON report (as r).
j() { /usr/bin/python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T/report.json" "$1"; }
is "$(j 'type(r).__name__')" dict "--json: parses as one JSON object"
is "$(j 'r["decisions"]')" "$LINES" "decisions = decision lines in the log"
is "$(j 'sum(r["actions"].values())')" "$LINES" "by action: adds up"
is "$(j 'sum(r["reasons"].values())')" "$LINES" "by reason: adds up"
is "$(j 'sum(r["action_reason"].values())')" "$LINES" "by action/reason: adds up"
is "$(j 'sorted(r["stages"].items())')" "[('eom', 5), ('rcpt', 5)]" "by stage: 5 at RCPT, 5 at end of message"
is "$(j 'sum(h["total"] for h in r["per_hour"])')" "$LINES" "per hour: adds up"
is "$(j 'sorted(r["actions"].items())')" "[('accept', 3), ('quarantine', 1), ('reject', 1), ('tempfail', 5)]" \
	"actions: 3 accept, 1 quarantine, 1 reject, 5 tempfail"
is "$(j 'r["action_reason"].get("tempfail/greylist")')" 5 "tempfail/greylist: 5"
is "$(j 'r["action_reason"].get("reject/dmarc")')" 1 "reject/dmarc: 1"
is "$(j '[(d["domain"], d["count"]) for d in r["dmarc_fail_domains"]]')" "[('quar.example', 1), ('rej.example', 1)]" \
	"DMARC failing domains: quar.example and rej.example, once each"
is "$(j '[(d["domain"], d["count"], d["results"]) for d in r["spf_fail_domains"]]')" \
	"[('quar.example', 2, {'fail': 2}), ('rej.example', 2, {'fail': 2}), ('soft.example', 2, {'softfail': 2})]" \
	"SPF failing domains: once per transaction (greylisted and retried)"
is "$(j '[(d["domain"], d["count"], d["results"]) for d in r["dkim_fail_domains"]]')" "[('example.com', 1, {'fail': 1})]" \
	"DKIM failing domains: example.com"
is "$(j 'r["greylist"]["outcomes"]')" "{'new': 5, 'pass': 5}" "greylisting: 5 new, 5 pass"
is "$(j 'r["greylist"]["pass_rate"]')" "1.0" "greylisting: every greylisted sender came back and passed"
is "$(j 'r["greylist"]["delay_seconds"]["min"] >= 1')" "True" \
	"greylisting: delay at least the configured 1 s ($(j 'r["greylist"]["delay_seconds"]'))"

# ---- the text report, gzipped input, standard input, syslog stamps ----
$REPORT "$T/daemon.log" >"$T/report.txt"
TXT=$(cat "$T/report.txt")
like "$TXT" "^authmilter report: $LINES decisions \\(5 at end of message, 5 at RCPT\\)" "text: totals"
like "$TXT" '^  tempfail +5 +50\.0%$' "text: tempfail 5 (50%)"
like "$TXT" '^  rej\.example +1  \(fail 1\)$' "text: failing DMARC domain"
like "$TXT" 'came back and passed: 5 of 5 greylisted senders \(100\.0%\); delay min [0-9]+s' "text: greylisting"
gzip -c "$T/daemon.log" >"$T/daemon.log.gz"
is "$($REPORT "$T/daemon.log.gz")" "$TXT" "gzipped log: same report"
is "$($REPORT <"$T/daemon.log")" "$TXT" "standard input: same report"
sed -E 's/^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9:]{8}) authmilter: /Nov 22 \4 mx authmilter[4242]: /' \
	"$T/daemon.log" >"$T/syslog"
is "$($REPORT --json "$T/syslog" | /usr/bin/python3 -c 'import json, sys; r = json.load(sys.stdin); print(r["decisions"], r["actions"]["tempfail"], r["greylist"]["pass_rate"])')" \
	"$LINES 5 1.0" "syslog stamps: same counts"
daemon_stop
ok $? "the daemon stops cleanly (exit 0)"
$REPORT "$T/nonexistent.log" >/dev/null 2>&1
is "$?" 2 "unreadable file: exit 2"
done_testing
