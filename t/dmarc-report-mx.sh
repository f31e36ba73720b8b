#!/bin/bash
# t/dmarc-report-mx.sh - two MX hosts feed one report: two daemons on one
# real unbound, each with its own [report] host and data file, get parts of
# the same traffic from contrib/milterload (DMARC pass under p=quarantine,
# a reject, failures from a trusted forwarder network, which become
# trusted_forwarder overrides, failures under p=reject; t=y, quarantined
# with a policy_test_mode override, and list mail under p=reject,
# quarantined with a mailing_list override). Host A is restarted half-way and its data
# file rotated (renamed and gzipped, no signal). The tool, given both
# hosts' files (the rotated one gzipped, and one file twice), writes in a
# dry run one report per policy domain whose counts are the sum of both
# hosts' messages, the override reasons with their comments, and each
# report validates against the RFC 9990 schema. Bad lines are counted and
# skipped with one warning each; the same file given twice counts once.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_auth.sh"
harness_init dmarc-report-mx

daemon_auth_require psl
ML=$top_builddir/contrib/milterload
[ -x "$ML" ] || skip_all "contrib/milterload not built"
TOOL="/usr/bin/python3 $top_srcdir/contrib/authmilter-dmarc-report"
CHECK="/usr/bin/python3 $top_srcdir/t/dmarc_report_check.py"
XSD="${AM_SHARED:-$top_srcdir/../shared}/conformance/dmarc-reports/dmarc-2.0.xsd"

{
	zone_txt pass.example "v=spf1 ip4:192.0.2.0/24 -all"
	zone_txt rej.example "v=spf1 ip4:192.0.2.0/24 -all"
	zone_txt fwd.example "v=spf1 ip4:192.0.2.0/24 -all"
	zone_txt _dmarc.pass.example "v=DMARC1; p=quarantine; rua=mailto:d@pass.example"
	zone_txt _dmarc.rej.example "v=DMARC1; p=reject; fo=1; rua=mailto:d@rej.example!10m"
	zone_txt _dmarc.fwd.example "v=DMARC1; p=reject; rua=mailto:agg@reports.example"
	zone_txt tst.example "v=spf1 ip4:192.0.2.0/24 -all"
	zone_txt _dmarc.tst.example "v=DMARC1; p=reject; t=y; rua=mailto:d@tst.example"
	zone_txt lists.example "v=spf1 ip4:192.0.2.0/24 -all"
	zone_txt _dmarc.lst.example "v=DMARC1; p=reject; rua=mailto:d@lst.example"
	zone_txt fwd.example._report._dmarc.reports.example "v=DMARC1"
	echo "sub.pass.example. 300 IN A 192.0.2.80"
} >"$T/zone"
dns_start "$T/zone" || bail_out "unbound did not start"

# The daemons drop to user nobody: their data directory must be theirs.
mkdir "$T/data" && { [ "$(id -u)" != 0 ] || chown nobody "$T/data"; }
# conf HOST: the ini of one MX host.
conf() {
	daemon_config "$T/$1.ini" report.enable=yes "report.host=$1" "report.data_file=$T/data/$1.data" \
		report.from=dmarc@rep.example "report.state_dir=$T/state" \
		"dmarc.forwarder_networks=198.51.100.0/24" bimi.enable=no
}
conf mxa
conf mxb
mkdir "$T/corpus"
for d in pass.example sub.pass.example rej.example fwd.example tst.example; do
	printf 'From: <user@%s>\nTo: <r@rcpt.example>\nSubject: mx %s\nMessage-ID: <%s@t.example>\n\nBody.\n' \
		"$d" "$d" "$d" >"$T/corpus/$d.eml"
done
printf 'From: <user@lst.example>\nTo: <news@lists.example>\nList-Id: News <news.lists.example>\nSubject: mx list\nMessage-ID: <l@t.example>\n\nBody.\n' \
	>"$T/corpus/lst.example.eml"
cat >"$T/corpus/manifest" <<'EOF2'
pass.example.eml      192.0.2.10     mx.pass.example  <user@pass.example>  a@rcpt.example
sub.pass.example.eml  192.0.2.11     mx.pass.example  <user@pass.example>  a@rcpt.example
rej.example.eml       203.0.113.5    bad.example      <user@rej.example>   a@rcpt.example
fwd.example.eml       198.51.100.7   fwd.list.example <bounce@list.example> a@rcpt.example
tst.example.eml       203.0.113.6    bad.example      <user@tst.example>   a@rcpt.example
lst.example.eml       192.0.2.50     mx.lists.example <bounce@lists.example> a@rcpt.example
EOF2

# feed N: N messages of the corpus (round robin) to the daemon on $AM_SOCKET.
feed() {
	"$ML" -s "$AM_SOCKET" -c 2 -n "$1" -q -M "$T/corpus/manifest" >>"$T/feed.out" 2>&1
	ok $? "milterload: $1 messages to $AM_SOCKET"
}

# Host A: 12 messages, a restart and a rotation, 6 more.
daemon_start "$T/mxa.ini" || bail_out "daemon A did not start"
feed 12
daemon_stop
mv "$T/data/mxa.data" "$T/data/mxa.data.1" && gzip "$T/data/mxa.data.1"
daemon_start "$T/mxa.ini" || bail_out "daemon A did not restart"
feed 6
A_SOCKET=$AM_SOCKET
# Host B, beside A on the same unbound: 18 messages.
harness_spawn authmilter-b "$T/daemon-b.log" "$top_builddir/milter/authmilter" -f -c "$T/mxb.ini" -p "unix:$T/mxb.sock"
B_PID=$HARNESS_PID
wait_for 20 test -S "$T/mxb.sock" || bail_out "daemon B did not start"
AM_SOCKET=unix:$T/mxb.sock feed 18
AM_SOCKET=$A_SOCKET
daemon_stop

A_LINES=$(($(gzip -dc "$T/data/mxa.data.1.gz" | wc -l) + $(wc -l <"$T/data/mxa.data")))
B_LINES=$(wc -l <"$T/data/mxb.data")
is "$A_LINES" 18 "host A wrote 18 lines across its restart and rotation"
is "$B_LINES" 18 "host B wrote 18 lines"
is "$(cat "$T/data/mxa.data" "$T/data/mxb.data" <(gzip -dc "$T/data/mxa.data.1.gz") | sed 's/.*"id":"\([^"]*\)".*/\1/' | sort -u | wc -l)" 36 \
	"36 distinct record ids"
printf '{"v":1,"broken\nnot json at all\n' >"$T/bad.data"

NOW=$(date +%s)
mkdir "$T/dry"
$TOOL -c "$T/mxa.ini" --period "$((NOW - 3600)):$((NOW + 3600))" --dry-run "$T/dry" \
	--from-logs "$T/data/mxa.data.1.gz" "$T/data/mxa.data" "$T/data/mxb.data" "$T/data/mxa.data" "$T/bad.data" \
	>"$T/tool.out" 2>"$T/tool.err"
ok $? "the tool ran (exit 0)"
SUMMARY=$(cat "$T/tool.out")
like "$SUMMARY" 'lines=36 duplicates=6 bad=2 loop=0' "36 lines used, host A's current file given twice counted once, 2 bad lines"
is "$(grep -c 'bad data line skipped' "$T/tool.err")" 2 "one warning per bad line"
like "$SUMMARY" ' reports=5 sent=5 ' "5 reports (one per policy domain), each to its one destination"
is "$(find "$T/dry" -name '*.xml.gz' | wc -l)" 5 "5 report files"
is "$(find "$T/dry" -name '*.eml' | wc -l)" 5 "5 report mails"

$CHECK "$T"/dry/*.xml.gz >"$T/reports.json" || bail_out "reports unreadable"
# j PDOM EXPR: a Python expression over the report of PDOM (as r).
j() { /usr/bin/python3 -c 'import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
r = [x for x in rs if x["pdom"] == sys.argv[2]][0]
print(eval(sys.argv[3]))' "$T/reports.json" "$1" "$2"; }
# Per domain: A sent 18 (3 per manifest line), B 18 (3 per line).
is "$(j pass.example 'r["total"]')" 12 "pass.example: 12 = A's 6 + B's 6 (its own and sub.pass.example's mail)"
is "$(j pass.example 'sorted(r["by_ip_disp"].items())')" "[('192.0.2.10 pass', 6), ('192.0.2.11 pass', 6)]" \
	"pass.example: disposition pass from both source IPs"
is "$(j rej.example 'r["by_ip_disp"]')" "{'203.0.113.5 reject': 6}" "rej.example: 6 rejects = 3 + 3"
is "$(j fwd.example 'r["by_ip_disp"]')" "{'198.51.100.7 none': 6}" "fwd.example: 6 = 3 + 3, disposition none"
is "$(j fwd.example 'sorted(set(r["reasons"]))')" "['trusted_forwarder: forwarder network 198.51.100.0/24']" \
	"fwd.example: override reason trusted_forwarder with its comment"
is "$(j fwd.example 'r["records"]')" 1 "fwd.example: both hosts' rows merged into one record"
is "$(j tst.example 'r["by_ip_disp"]')" "{'203.0.113.6 quarantine': 6}" "tst.example (p=reject; t=y): 6 quarantined = 3 + 3"
is "$(j tst.example 'sorted(set(r["reasons"]))')" "['policy_test_mode: t=y']" \
	"tst.example: override reason policy_test_mode"
is "$(j lst.example 'r["by_ip_disp"]')" "{'192.0.2.50 quarantine': 6}" \
	"lst.example (p=reject, list mail): 6 quarantined = 3 + 3"
like "$(j lst.example 'sorted(set(r["reasons"]))')" "^\\['mailing_list: [^']*lists\\.example[^']*'\\]\$" \
	"lst.example: override reason mailing_list naming the list"
like "$(gzip -dc "$T"/dry/*tst.example*.xml.gz)" '<discovery_method>treewalk</discovery_method>' \
	"policy_published: the discovery method"
like "$(gzip -dc "$T"/dry/*tst.example*.xml.gz)" '<testing>y</testing>' "policy_published: testing y"
like "$(ls "$T/dry")" 'rep\.example!fwd\.example![0-9]+![0-9]+![0-9a-f]+\.xml\.gz' "RFC file name"
like "$(cat "$T"/dry/*fwd.example*.eml)" 'Subject: Report Domain: fwd\.example Submitter: rep\.example' \
	"RFC Subject"
like "$(cat "$T"/dry/*fwd.example*.eml)" 'To: agg@reports\.example' \
	"the verified external destination (fwd.example._report._dmarc.reports.example)"

# Standard input (gzipped) gives the same reports.
mkdir "$T/dry2"
gzip -c "$T/data/mxb.data" | $TOOL -c "$T/mxa.ini" --period "$((NOW - 3600)):$((NOW + 3600))" --dry-run "$T/dry2" \
	--from-logs "$T/data/mxa.data.1.gz" - "$T/data/mxa.data" >"$T/tool2.out" 2>"$T/tool2.err"
like "$(cat "$T/tool2.out")" 'lines=36 duplicates=0 bad=0 .* reports=5 sent=5 ' "--from-logs - (gzipped): the same 36 lines"
is "$(cd "$T/dry2" && ls *.xml.gz | sort | xargs cat | md5sum)" "$(cd "$T/dry" && ls *.xml.gz | sort | xargs cat | md5sum)" \
	"byte-identical reports"

if [ ! -r "$XSD" ]; then
	skip "schema check: $XSD is absent (AM_SHARED)"
else
	for f in "$T"/dry/*.xml.gz; do
		gzip -dc "$f" >"${f%.gz}"
		xmllint --noout --schema "$XSD" "${f%.gz}" >"$T/xmllint.out" 2>&1
		ok $? "validates against the RFC 9990 schema: ${f##*/}" || sed 's/^/#   /' "$T/xmllint.out"
	done
fi

# The tool reads while a daemon writes: it sees whole lines only.
"$ML" -s "unix:$T/mxb.sock" -c 2 -d 3 -n 100000 -q -M "$T/corpus/manifest" >"$T/feed-bg.out" 2>&1 &
FEED=$!
mkdir "$T/dry3"
for i in 1 2 3; do
	$TOOL -c "$T/mxb.ini" --period "$((NOW - 3600)):$((NOW + 3600))" --dry-run "$T/dry3" \
		--from-logs "$T/data/mxb.data" >"$T/tool3.out" 2>"$T/tool3.err"
	like "$(cat "$T/tool3.out")" ' bad=0 ' "run $i while host B writes: no bad line ($(grep -o 'lines=[0-9]*' "$T/tool3.out"))"
done
wait "$FEED"
FED=$(sed -n 's/.*messages=\([0-9]*\).*/\1/p' "$T/feed-bg.out")
is "$(wc -l <"$T/data/mxb.data")" "$((18 + FED))" "host B: 18 + $FED lines, one per message"
is "$(/usr/bin/python3 -c 'import json, sys; [json.loads(l) for l in open(sys.argv[1])]; print("ok")' "$T/data/mxb.data")" ok \
	"every line of host B parses"
harness_kill "$B_PID" 15
unlike "$(cat "$T/daemon.log" "$T/daemon-b.log")" 'report data:' "no report data write errors"
done_testing
