#!/bin/bash
# t/milterload.sh - contrib/milterload against the real daemon (and the
# libmilter test filter), small counts, nothing timed: a manifest of four
# messages whose verdicts differ (accept, DMARC reject, DMARC quarantine,
# SPF temperror tempfailed) replayed 40 times over 4 connections gives
# exactly 10 of each action, and the daemon logged 40 decisions; plain
# files with the default envelope and several messages per connection;
# a chain of two filters where the second sees the header the first added;
# an unreachable socket counted as errors (exit 1); bad arguments exit 64.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
harness_init milterload

[ -x /usr/sbin/unbound ] || skip_all "unbound is not installed"
[ -x "$top_builddir/milter/authmilter" ] || skip_all "milter/authmilter not built"
ML=$top_builddir/contrib/milterload
[ -x "$ML" ] || skip_all "contrib/milterload not built"
[ -r /usr/share/publicsuffix/public_suffix_list.dat ] || skip_all "no public suffix list (apt-get install publicsuffix)"

cat >"$T/zone" <<'EOF'
pass.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
rej.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
quar.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.rej.example. 300 IN TXT "v=DMARC1; p=reject"
_dmarc.quar.example. 300 IN TXT "v=DMARC1; p=quarantine"
slow.example TIMEOUT
EOF
dns_start "$T/zone" || bail_out "unbound did not start"
# quarantine_action = quarantine: a quarantine verdict to count (the
# default delivers with a marker); rej.example is rejected on its SPF fail.
daemon_config "$T/am.ini" spf.temperror_action=tempfail bimi.enable=no dmarc.quarantine_action=quarantine
daemon_start "$T/am.ini" || bail_out "daemon did not start"

mkdir "$T/corpus"
for d in pass rej quar slow; do
	printf 'From: <user@%s.example>\nTo: <r@rcpt.example>\nSubject: load %s\n\nBody of %s.\n' \
		"$d" "$d" "$d" >"$T/corpus/$d.eml"
done
cat >"$T/corpus/manifest" <<'EOF'
# file      client-ip      helo              mail-from              rcpts
pass.eml    192.0.2.10     mx.pass.example   <user@pass.example>    a@rcpt.example,b@rcpt.example
rej.eml     198.51.100.9   -                 <user@rej.example>
quar.eml    198.51.100.9   -                 <user@quar.example>    -
slow.eml    192.0.2.10     mx.slow.example   user@slow.example
EOF

# summary KEY: a value of the last run's summary line.
summary() { sed -n "s/^summary:.*[ ]$1=\\([^ ]*\\).*/\\1/p" "$T/ml.out"; }

"$ML" -s "$AM_SOCKET" -c 4 -n 40 -r default@rcpt.example -M "$T/corpus/manifest" >"$T/ml.out" 2>"$T/ml.err"
ok $? "manifest run: exit 0"
OUT=$(cat "$T/ml.out")
like "$OUT" '^milterload: 40 messages in [0-9.]+ s over 4 connections: [0-9.]+ messages/s$' "throughput line"
like "$OUT" '^latency ms: p50 [0-9.]+ p95 [0-9.]+ p99 [0-9.]+ max [0-9.]+$' "latency percentiles"
is "$(summary accept)/$(summary reject)/$(summary quarantine)/$(summary tempfail)/$(summary error)" "10/10/10/10/0" \
	"10 accepted, 10 rejected, 10 quarantined, 10 tempfailed, no error"
is "$(summary messages)" 40 "summary: 40 messages"
daemon_wait_log 'stage=eom' 5
is "$(grep -c ' stage=eom ' "$T/daemon.log")" 40 "the daemon logged 40 end-of-message decisions"
is "$(grep -c ' action=reject reason=dmarc .*from=user@rej\.example' "$T/daemon.log")" 10 "rejects: DMARC of rej.example"
is "$(grep -c ' action=tempfail reason=spf-temperror .*from=user@slow\.example' "$T/daemon.log")" 10 \
	"tempfails: SPF temperror of slow.example"
is "$(grep -c 'from=user@pass\.example' "$T/daemon.log")" 10 "manifest envelope used (MAIL FROM of pass.eml)"
is "$(grep -c 'helo=mail\.example\.com from=user@rej\.example' "$T/daemon.log")" 10 "a '-' field takes the default HELO"

# ---- plain files, default envelope, 5 messages per connection ----
"$ML" -s "$AM_SOCKET" -c 2 -n 20 -k 5 -i 192.0.2.20 -H mx.pass.example -f user@pass.example \
	-r x@rcpt.example,y@rcpt.example "$T/corpus/pass.eml" "$T/corpus/rej.eml" >"$T/ml.out" 2>&1
ok $? "plain files: exit 0"
is "$(summary accept)/$(summary reject)/$(summary quarantine)/$(summary error)" "10/0/10/0" \
	"plain files: accepted from an SPF-allowed client; rej.example's From fails DMARC with no evidence of a spoof: quarantined (RFC 9989)"

# ---- a duration instead of a count ----
"$ML" -s "$AM_SOCKET" -c 2 -d 0.5 -q -r x@rcpt.example "$T/corpus/pass.eml" >"$T/ml.out" 2>&1
ok $? "-d 0.5: exit 0"
ok $([ "$(summary messages)" -gt 0 ] && [ "$(wc -l <"$T/ml.out")" = 1 ] && echo 0 || echo 1) \
	"-d 0.5 -q: some messages, only the summary line ($(summary messages) in $(summary seconds) s)"
daemon_stop
ok $? "the daemon stops cleanly after the load (exit 0)"

# ---- a chain: the second filter sees the header the first added ----
testfilter_start first -e 'ins:0:X-Chain:added by the first filter' || bail_out "test filter"
first=$TESTFILTER_SOCKET
testfilter_start second -a 'header:X-Chain=reject' || bail_out "test filter"
"$ML" -s "$first" -s "$TESTFILTER_SOCKET" -n 3 -r x@rcpt.example "$T/corpus/pass.eml" >"$T/ml.out" 2>&1
is "$(summary reject)/$(summary accept)" "3/0" "chain: the second filter rejects on the first one's header"
like "$(cat "$TESTFILTER_LOG")" 'X-Chain' "chain: the second filter got X-Chain"
"$ML" -s "$TESTFILTER_SOCKET" -n 3 -r x@rcpt.example "$T/corpus/pass.eml" >"$T/ml.out" 2>&1
is "$(summary accept)" 3 "the second filter alone accepts"
testfilter_stop

# ---- errors and bad arguments ----
"$ML" -s "unix:$T/nothing.sock" -n 3 -r x@rcpt.example "$T/corpus/pass.eml" >"$T/ml.out" 2>"$T/ml.err"
is "$?" 1 "no filter: exit 1"
is "$(summary error)" 3 "no filter: 3 errors counted"
like "$(cat "$T/ml.err")" 'nothing\.sock' "no filter: the error names the socket"
"$ML" -s "$AM_SOCKET" -c 0 "$T/corpus/pass.eml" >/dev/null 2>&1
is "$?" 64 "-c 0: exit 64"
"$ML" -r x@y "$T/corpus/pass.eml" >/dev/null 2>&1
is "$?" 64 "no -s: exit 64"
"$ML" -s "$AM_SOCKET" "$T/corpus/pass.eml" >"$T/ml.out" 2>&1
is "$?" 64 "no recipient: exit 64"
like "$(cat "$T/ml.out")" 'no recipient' "no recipient: said so"
done_testing
