#!/bin/bash
# t/sendmail-e2e.sh - end to end through a real Sendmail (Debian's
# sendmail-bin, unpacked, not installed: it conflicts with Postfix) with
# the INPUT_MAIL_FILTER line of etc/sendmail.mc, the daemon and a real
# unbound. Seen at the SMTP session (swaks from 127.0.0.1): an SPF pass
# accepted, an SPF fail rejected at RCPT ([spf] fail_action = reject with
# DMARC off), a greylisted sender tempfailed at RCPT; our
# Authentication-Results in the queued message (the H lines of its qf file:
# Sendmail keeps it queued, delivery mode "queue"); and F=T: with the
# daemon stopped, Sendmail tempfails instead of passing mail unchecked.
#
# Sendmail (sendmail-bin, sendmail-cf, m4, libwrap0) is unpacked by
# bootstrap.sh into /opt/authmilter-test/sendmail (AM_SENDMAIL_ROOT
# overrides); the test downloads nothing and says SKIP when it is missing.
# The daemon's socket is under $T, which the harness keeps out of
# world-writable directories (Sendmail refuses a socket below /tmp).
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
. "$top_srcdir/t/lib/harness_sendmail.sh"
harness_init sendmail-e2e

sendmail_prepare

cat >"$T/zone" <<'EOF2'
pass.example. 300 IN TXT "v=spf1 ip4:127.0.0.1 -all"
fail.example. 300 IN TXT "v=spf1 -all"
grey.example. 300 IN TXT "v=spf1 ip4:127.0.0.1 -all"
EOF2
dns_start "$T/zone" || bail_out "no DNS server"
mkdir "$T/lmdb" && chown nobody "$T/lmdb"
daemon_config "$T/am.ini" spf.fail_action=reject dmarc.enable=no \
	greylist.enable=yes greylist.clients=all greylist.store=lmdb "greylist.lmdb_path=$T/lmdb/g.lmdb" \
	"greylist.whitelist_senders=pass.example fail.example"
daemon_start "$T/am.ini" || bail_out "daemon did not start"

# Sendmail (t/lib/harness_sendmail.sh): its own queue, pidfile, port and
# files; no DNS of its own (hosts from /etc/hosts only), no delivery (queue
# only); our filter line from etc/sendmail.mc with the test socket.
like "$(sendmail_filter)" "F=T, T=C:10s;S:30s;R:1m;E:5m" "etc/sendmail.mc: INPUT_MAIL_FILTER with F=T and timeouts"
sendmail_cf
ok $? "sendmail.cf built with m4"
sendmail_run
ok $? "sendmail -bd started" || bail_out "sendmail does not listen on $SM_PORT"

# send FROM RCPT ID: swaks transcript; status 0 when accepted.
send() {
	printf 'From: <%s>\nTo: <%s>\nSubject: %s\nMessage-ID: <%s@test.example>\n\nHello.\n' "$1" "$2" "$3" "$3" >"$T/$3.eml"
	sendmail_send "$1" "$2" "$T/$3.eml"
}

out=$(send alice@pass.example bob@rcpt.example pass)
ok $? "SPF pass: accepted at SMTP" || printf '%s\n' "$out" | tail -8 | sed 's/^/#   /'
like "$out" '<- +250 .*(queued|Message accepted)' "SPF pass: 250 after DATA"
qf=$(sendmail_qf 'pass@test\.example')
ok $([ -n "$qf" ] && echo 0 || echo 1) "the message is in Sendmail's queue (${qf##*/})"
ar=$(sendmail_qf_ar "$qf")
like "$ar" '^mx\.test\.example; spf=pass smtp\.mailfrom=pass\.example' "qf file: our Authentication-Results, spf=pass"
daemon_wait_log 'action=accept .*client=\[127\.0\.0\.1\] .*from=alice@pass\.example'
ok $? "decision line: accept"

out=$(send x@fail.example bob@rcpt.example fail)
like "$out" '<\*\* +550[ -]5\.7\.23 .*SPF check failed for fail\.example' "SPF fail: 550 5.7.23 at RCPT"
unlike "$out" '<- +354' "SPF fail: no DATA"

out=$(send carol@grey.example bob@rcpt.example grey)
like "$out" '<\*\* +451[ -]4\.7\.1 Greylisted' "greylisting: 451 4.7.1 at RCPT"
daemon_wait_log 'action=tempfail reason=greylist stage=rcpt .*from=carol@grey\.example'
ok $? "decision line: greylist tempfail"
is "$(grep -l 'fail@test\.example\|grey@test\.example' "$T"/mqueue/qf* 2>/dev/null | wc -l)" 0 \
	"refused messages are not queued"

# F=T: the filter gone, Sendmail tempfails.
daemon_stop
is "$?" 0 "daemon stops cleanly"
out=$(send alice@pass.example bob@rcpt.example down)
like "$out" '<\*\* +4[0-9][0-9] ' "daemon stopped: Sendmail answers 4xx (F=T)"

harness_kill "$SM_PID" 10
done_testing
