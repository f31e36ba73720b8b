#!/bin/bash
# t/dmarc-report-dest.sh - where contrib/authmilter-dmarc-report sends, and
# how often: report data for a fixed day (lines as lib/am_report_data.c
# writes them) for a dozen policy domains, the destinations' verification
# records on a real unbound, and the reports sent over SMTP to a real
# Postfix (no milter) that delivers them into a Maildir. Checked: same
# organisational domain (sent, no check needed), verified external
# destination, not verified (nothing sent), a verification record whose
# rua= names another host (nothing sent to either), one naming the same
# host (replaces the URI), a temporary DNS error (nothing sent, sent on the
# next run), the obsolete !size suffix (ignored), an unsupported scheme
# (skipped with a note), the caps (max_uris, max_per_destination for many
# policy domains verified by one destination, max_reports), the suppression list, a rerun
# that sends nothing, a refusal for size (logged, not retried),
# --resend (same file name and Report-ID), an unreadable DKIM key (retried
# next run) and sending through Postfix's sendmail -t -oi.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
harness_init dmarc-report-dest

[ -x /usr/sbin/unbound ] || skip_all "unbound is not installed"
command -v postfix >/dev/null || skip_all "postfix is not installed"
[ -r /usr/share/publicsuffix/public_suffix_list.dat ] || skip_all "no public suffix list (apt-get install publicsuffix)"
TOOL="/usr/bin/python3 $top_srcdir/contrib/authmilter-dmarc-report"
CHECK="/usr/bin/python3 $top_srcdir/t/dmarc_report_check.py"
DAY=$(date -u -d '10 days ago' +%F)  # recent: the state keeps 400 days
T0=$(date -u -d "$DAY" +%s)

cat >"$T/zone" <<'EOF2'
ver.example._report._dmarc.reports.example. 300 IN TXT "v=DMARC1"
other.example._report._dmarc.reports.example. 300 IN TXT "v=DMARC1; rua=mailto:x@elsewhere.example"
ovr.example._report._dmarc.reports.example. 300 IN TXT "v=DMARC1; rua=mailto:ovr@reports.example"
bad.example._report._dmarc.reports.example. 300 IN TXT "v=DMARC2"
w1.example._report._dmarc.victim.example. 300 IN TXT "v=DMARC1"
w2.example._report._dmarc.victim.example. 300 IN TXT "v=DMARC1"
w3.example._report._dmarc.victim.example. 300 IN TXT "v=DMARC1"
w4.example._report._dmarc.victim.example. 300 IN TXT "v=DMARC1"
tmp.example._report._dmarc.slow.example TIMEOUT
EOF2
dns_start "$T/zone" || bail_out "unbound did not start"
AM_PF_DOMAINS="same.example reports.example size.example victim.example multi.example slow.example" \
	postfix_start --no-milter || bail_out "postfix did not start"

# line N PDOM RUA: report data line N of policy domain PDOM.
line() {
	printf '{"v":1,"id":"mx1/C%s/Q/%s","t":%s,"host":"mx1","ip":"192.0.2.%s","hfrom":"%s","efrom":"%s","eto":"rcpt.example","pdom":"%s","disc":"psl","p":"reject","sp":"","np":"","adkim":"r","aspf":"r","testing":"n","fo":"","rua":"%s","disp":"reject","reasons":[],"dkim":"fail","spf":"fail","sigs":[],"spfres":["%s","fail"],"loop":false}\n' \
		"$1" "$1" "$((T0 + 3600 + $1))" "$(($1 % 250))" "$2" "$2" "$2" "$3" "$2"
}
{
	line 1 same.example "mailto:d@same.example"
	line 2 ver.example "mailto:agg@reports.example"
	line 3 unver.example "mailto:agg@reports.example"
	line 4 other.example "mailto:agg@reports.example"
	line 5 ovr.example "mailto:agg@reports.example"
	line 6 bad.example "mailto:agg@reports.example"
	line 7 tmp.example "mailto:t@slow.example"
	line 8 size.example "mailto:d@size.example!10m"
	line 9 multi.example "https://multi.example/r,mailto:a@multi.example,mailto:b@multi.example,mailto:c@multi.example"
	for i in 1 2 3 4; do line "$((20 + i))" "w$i.example" "mailto:agg@victim.example"; done
	line 30 supp.example "mailto:d@supp.example"
	line 31 sub.supp.example "mailto:d@supp.example"
} >"$T/data"

# ini [KEY=VALUE...]: the tool's configuration.
ini() {
	{
		printf '[dns]\nnameservers = %s\n[report]\nfrom = dmarc@rep.example\n' "$AM_NAMESERVERS"
		printf 'state_dir = %s\nsmtp = 127.0.0.1:%s\nsuppress = supp.example\n' "$T/state" "$AM_PF_PORT"
		printf 'max_per_destination = 2\n'
		for kv in "$@"; do printf '%s\n' "$kv"; done
	} >"$T/am.ini"
}
# tool NAME [ARGS...]: run the tool on the day's data; $T/NAME.out, .err.
tool() {
	local name=$1
	shift
	$TOOL -c "$T/am.ini" --period "$DAY" --from-logs "$T/data" "$@" >"$T/$name.out" 2>"$T/$name.err"
	ok $? "$name: exit 0"
	OUT=$(cat "$T/$name.out")
	ERR=$(cat "$T/$name.err")
}
# mails USER: the reports delivered to USER@<a test domain>.
mails() { postfix_mail_count "$1"; }

ini
tool run1
like "$OUT" 'lines=15 ' "15 data lines read"
# Expected: same 1, ver 1, ovr 1, size 1, multi 2, w* 2 (cap) = 8 mails.
wait_for 30 test "$(mails '*')" -ge 8
is "$(mails d)" 2 "same organisational domain: sent (d@same.example), and !size ignored (d@size.example)"
is "$(postfix_mail_count agg)" 3 "verified external destination: ver.example sent; w1, w2 to the victim (cap 2)"
like "$ERR" 'unver\.example: destination reports\.example for unver\.example not verified: no v=DMARC1 record' \
	"not verified: no record, logged"
like "$ERR" 'bad\.example: destination reports\.example for bad\.example not verified' "not verified: v=DMARC2"
like "$ERR" 'other\.example: .*names another host in rua=: nothing sent to either' \
	"a rua= naming another host: nothing sent to either"
is "$(mails x)" 0 "nothing to the other host"
is "$(mails ovr)" 1 "a rua= on the same host replaces the URI (ovr@reports.example)"
like "$ERR" 'tmp\.example: destination slow\.example for tmp\.example: temporary DNS error \(.*timeout\), retried next run' \
	"temporary DNS error: logged, retried next run"
is "$(mails t)" 0 "temporary DNS error: nothing sent"
like "$ERR" 'multi\.example: rua URI https://multi\.example/r skipped: unsupported scheme' "unsupported scheme: a note"
like "$ERR" 'rua URI mailto:c@multi\.example skipped: \[report\] max_uris = 2 reached' "max_uris: the third URI skipped"
is "$(( $(mails a) + $(mails b) ))" 2 "max_uris: a@ and b@multi.example got theirs"
like "$ERR" 'w3\.example: \[report\] max_per_destination = 2 reached for victim\.example' "max_per_destination: logged"
unlike "$(grep -E 'w[34]\.example\._report' "$AM_DNS_LOG")" . "max_per_destination: w3, w4 not even verified (no look-up)"
like "$OUT" ' capped=2 ' "max_per_destination: two reports left for the next run"
like "$ERR" 'supp\.example: on the suppression list' "suppression list: logged"
unlike "$ERR" "Traceback" "no Python traceback"
is "$(mails d)" 2 "suppression list: nothing to d@supp.example (not a delivered domain either way)"
like "$OUT" ' suppressed=2 ' "suppressed: supp.example and its subdomain"

# The temporary error is over: the next run sends what was left, nothing twice.
sed -i 's/^tmp\.example._report._dmarc.slow.example TIMEOUT$/tmp.example._report._dmarc.slow.example. 300 IN TXT "v=DMARC1"/' "$T/zone"
dns_restart "$T/zone" || bail_out "unbound did not restart"
tool run2
like "$OUT" ' sent=3 already=8 ' "second run: the temp-error domain and the 2 capped ones sent, 8 already sent skipped"
wait_for 30 test "$(mails '*')" -ge 11
is "$(mails t)" 1 "after the temporary error: sent on the next run"
is "$(mails agg)" 5 "the capped reports went on the next run"
tool run3
like "$OUT" ' reports=0 sent=0 already=11 ' "a rerun sends nothing new"
sleep 1
is "$(mails '*')" 11 "and nothing was delivered"

# max_reports: a dry run (no state) with one report per run allowed.
ini max_reports=1
mkdir "$T/dry"
victim_queries() { grep -c '_report\._dmarc\.victim\.example\. TXT IN$' "$AM_DNS_LOG"; }
BEFORE=$(victim_queries)
tool dry --dry-run "$T/dry"
like "$OUT" ' reports=1 sent=2 .*capped=11 ' "max_reports = 1: one report (to its two URIs), 11 left"
is "$(victim_queries)" "$BEFORE" "max_reports: no verification look-ups once the cap is reached"
like "$ERR" 'max_reports = 1 reached, left for the next run' "max_reports: logged"

# A refusal for size: logged, recorded, not retried; --resend keeps the name.
postconf -c "$AM_PF_CONF" -e message_size_limit=1200 && postfix -c "$AM_PF_CONF" reload >/dev/null 2>&1
sleep 2
ini
line 40 big.size.example "mailto:big@size.example" >>"$T/data"
tool size1
like "$OUT" ' sent=0 .* size=1 ' "refused for size: counted"
like "$ERR" 'to big@size\.example: refused for size \(552 .*\), not retried' "refused for size: logged"
tool size2
like "$OUT" ' sent=0 already=12 .* size=0 ' "refused for size: not retried on the next run"
postconf -c "$AM_PF_CONF" -e message_size_limit=10240000 && postfix -c "$AM_PF_CONF" reload >/dev/null 2>&1
sleep 2
tool resend --resend
like "$OUT" ' reports=9 sent=10 .*capped=2 ' "--resend: every report again (within max_per_destination)"
wait_for 30 test "$(mails '*')" -ge 21
files=$(for f in $(grep -l 'Report Domain: ver\.example' "$T"/postfix/mail/all/new/*); do $CHECK "$f"; done |
	/usr/bin/python3 -c 'import json, sys; print(sorted(set((j["file"], j["report_id"]) for j in map(json.loads, sys.stdin))))')
like "$files" "^\[\('rep\.example!ver\.example!$T0!$((T0 + 86399))![0-9a-f]+\.xml\.gz', '$T0\.[0-9a-f]+\.ver\.example@rep\.example'\)\]$" \
	"--resend: the same file name and Report-ID as the first time"
is "$(grep -l 'Report Domain: ver\.example' "$T"/postfix/mail/all/new/* | wc -l)" 2 "ver.example's report delivered twice"

# A key that cannot be read: nothing sent, retried next run.
line 50 x.same.example "mailto:sm@same.example" >>"$T/data"
ini "smtp =" "dkim_key = $T/nonexistent.pem" "dkim_selector = s"
tool nokey
like "$ERR" 'to sm@same\.example: not sent, retried next run: DKIM signing with .*nonexistent\.pem' \
	"an unreadable DKIM key: logged, retried next run"
like "$OUT" ' sent=0 .*temp=1 ' "an unreadable DKIM key: counted as temporary"
# sendmail -t -oi, the default way out: Postfix's own sendmail into this instance.
ini "smtp =" "sendmail = /usr/sbin/sendmail -C $AM_PF_CONF -t -oi"
tool sendmail
like "$OUT" ' reports=1 sent=1 ' "sendmail: the report left"
postfix_wait_mail sm 1 30
is "$(mails sm)" 1 "sendmail: delivered (sm@same.example)"
like "$(cat "$(_h_pf_files sm | head -1)")" 'Return-Path: <dmarc@rep\.example>' "sendmail: envelope sender is [report] from"
done_testing
