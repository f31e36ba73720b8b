#!/bin/bash
# t/dmarc-report-e2e.sh - DMARC aggregate reports end to end through a real
# Postfix with the daemon as its milter and a real unbound: three messages
# from sender.example come in over SMTP (XCLIENT poses as their clients:
# two pass, one is rejected under p=reject), the daemon writes their report
# data, the tool sends the report over SMTP to the same Postfix, which
# delivers it into a local Maildir (agg@reports.example, verified as an
# external destination). The delivered mail's attachment has the RFC file
# name, validates against the RFC 9990 schema and counts what was sent;
# the report mail itself, DKIM-signed by the tool, passes our own DMARC
# check (its Authentication-Results); its own data line is marked as ours
# and a rerun neither sends again nor reports on it (loop guard).
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_auth.sh"
harness_init dmarc-report-e2e

daemon_auth_require psl
command -v postfix >/dev/null || skip_all "postfix is not installed"
command -v swaks >/dev/null || skip_all "swaks is not installed"
/usr/bin/python3 -c 'import dkim' 2>/dev/null || skip_all "python3-dkim missing (apt-get install python3-dkim)"
TOOL="/usr/bin/python3 $top_srcdir/contrib/authmilter-dmarc-report"
CHECK="/usr/bin/python3 $top_srcdir/t/dmarc_report_check.py"
XSD="${AM_SHARED:-$top_srcdir/../shared}/conformance/dmarc-reports/dmarc-2.0.xsd"

{
	zone_txt sender.example "v=spf1 ip4:192.0.2.0/24 -all"
	zone_txt _dmarc.sender.example "v=DMARC1; p=reject; rua=mailto:agg@reports.example"
	zone_txt sender.example._report._dmarc.reports.example "v=DMARC1"
	# The reporter's own domain: the report mail leaves from 127.0.0.1, DKIM-signed.
	zone_txt rep.example "v=spf1 ip4:127.0.0.1 -all"
	zone_txt _dmarc.rep.example "v=DMARC1; p=reject; adkim=s; aspf=s"
	zone_txt sel._domainkey.rep.example "$(fixture_key rsa2048)"
} >"$T/zone"
dns_start "$T/zone" || bail_out "unbound did not start"
mkdir "$T/data" "$T/state" && { [ "$(id -u)" != 0 ] || chown nobody "$T/data"; }
daemon_config "$T/am.ini" report.enable=yes report.host=mx1.authmilter.example "report.data_file=$T/data/report.data" \
	report.from=dmarc@rep.example "report.state_dir=$T/state" "report.dkim_key=$DKIM_DATA/rsa2048.pem" \
	report.dkim_selector=sel bimi.enable=no
daemon_start "$T/am.ini" || bail_out "daemon did not start"
AM_PF_DOMAINS="rcpt.example reports.example" postfix_start || bail_out "postfix did not start"
_daemon_config_set "$T/am.ini" report smtp "127.0.0.1:$AM_PF_PORT"

# msg_in N IP: one message from user@sender.example posing as client IP.
msg_in() {
	printf 'From: <user@sender.example>\nTo: <u@rcpt.example>\nSubject: e2e %s\nMessage-ID: <%s@sender.example>\n\nHello %s.\n' \
		"$1" "$1" "$1" >"$T/msg$1.eml"
	postfix_send --from user@sender.example --to u@rcpt.example --data "@$T/msg$1.eml" \
		--xclient-addr "$2" --xclient-helo mx.sender.example >"$T/swaks$1.out" 2>&1
}
msg_in 1 192.0.2.10
ok $? "message 1 (192.0.2.10, SPF pass) accepted"
msg_in 2 192.0.2.10
ok $? "message 2 (192.0.2.10) accepted"
msg_in 3 203.0.113.9
like "$(cat "$T/swaks3.out")" '<\*\* +550 5\.7\.1' "message 3 (203.0.113.9, SPF fail) rejected by p=reject"
wait_for 20 test "$(wc -l <"$T/data/report.data" 2>/dev/null || echo 0)" -ge 3
is "$(wc -l <"$T/data/report.data")" 3 "the daemon wrote 3 report data lines"

NOW=$(date +%s)
PERIOD="$((NOW - 3600)):$((NOW + 3600))"
$TOOL -c "$T/am.ini" --period "$PERIOD" >"$T/run1.out" 2>"$T/run1.err"
ok $? "the tool ran (exit 0)" || sed 's/^/#   /' "$T/run1.err"
like "$(cat "$T/run1.out")" 'lines=3 .* reports=1 sent=1 ' "one report, sent"
postfix_wait_mail agg 1 30
is "$(postfix_mail_count agg)" 1 "the report mail was delivered to agg@reports.example"
MAIL=$(_h_pf_files agg | head -1)

$CHECK "$MAIL" >"$T/report.json" || bail_out "no report attachment in the delivered mail"
j() { /usr/bin/python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T/report.json" "$1"; }
like "$(j 'r["file"]')" "^rep\\.example!sender\\.example!$((NOW - 3600))!$((NOW + 3600))![0-9a-f]+\\.xml\\.gz\$" \
	"attachment: the RFC file name"
is "$(j 'r["pdom"]')" sender.example "policy domain sender.example"
is "$(j 'r["total"]')" 3 "3 messages counted"
is "$(j 'sorted(r["by_ip_disp"].items())')" "[('192.0.2.10 pass', 2), ('203.0.113.9 reject', 1)]" \
	"records: 2 passes from 192.0.2.10, 1 reject from 203.0.113.9"
SUBJECT=$(/usr/bin/python3 -c 'import email, email.policy, sys
print(email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)["Subject"])' "$MAIL")
like "Subject: $SUBJECT" "^Subject: Report Domain: sender\\.example Submitter: rep\\.example Report-ID: <$(j 'r["report_id"]')>" \
	"Subject (unfolded): the RFC form with the report's Report-ID"
if [ ! -r "$XSD" ]; then
	skip "schema check: $XSD is absent (AM_SHARED)"
else
	/usr/bin/python3 -c 'import email, email.policy, gzip, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
p = [x for x in m.walk() if x.get_content_type() == "application/gzip"][0]
sys.stdout.buffer.write(gzip.decompress(p.get_payload(decode=True)))' "$MAIL" >"$T/report.xml"
	xmllint --noout --schema "$XSD" "$T/report.xml" >"$T/xmllint.out" 2>&1
	ok $? "the delivered report validates against the RFC 9990 schema" || sed 's/^/#   /' "$T/xmllint.out"
fi
AR=$(sed -n '/^Authentication-Results: mx\.test\.example/,/^[^ \t]/p' "$MAIL" | tr -d '\n\t')
like "$AR" 'dkim=pass[^;]*header\.d=rep\.example' "the report mail: DKIM pass for rep.example (signed by the tool)"
like "$AR" 'dmarc=pass[^;]*header\.from=rep\.example' "the report mail passes our own DMARC check (aligned, p=reject, strict)"
wait_for 10 test "$(wc -l <"$T/data/report.data")" -ge 4
like "$(tail -1 "$T/data/report.data")" '"hfrom":"rep\.example".*"loop":true' "the report mail's own data line is marked as ours"

$TOOL -c "$T/am.ini" --period "$PERIOD" >"$T/run2.out" 2>"$T/run2.err"
like "$(cat "$T/run2.out")" 'lines=3 duplicates=0 bad=0 loop=1 reports=0 sent=0 already=1 ' \
	"a rerun sends nothing, and does not report on our own report mail"
sleep 2
is "$(postfix_mail_count agg)" 1 "still one report delivered"
daemon_stop_clean
done_testing
