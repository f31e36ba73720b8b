#!/bin/bash
# t/postfix-grey.sh - greylisting end to end: a private Postfix hands mail to
# the daemon (smtpd_milters from etc/postfix-main.cf), swaks plays the
# sending MTA from a non-local address (XCLIENT). The first delivery attempt
# gets 451 4.7.1 at RCPT, the retry after the delay is delivered; mail from
# the null sender is refused at end of DATA only, then delivered on retry.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
harness_init postfix-grey

postfix_require

cat >"$T/zone" <<'EOF'
sender.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
EOF
dns_start "$T/zone" || bail_out "no DNS server"
mkdir "$T/lmdb"
[ "$(id -u)" = 0 ] && chown nobody "$T/lmdb"
daemon_config "$T/am.ini" greylist.enable=yes greylist.clients=all greylist.delay=2 \
	greylist.retry_window=60 "greylist.lmdb_path=$T/lmdb/grey.lmdb"
daemon_start "$T/am.ini" || bail_out "daemon did not start"
postfix_start || bail_out "Postfix did not start"

# smtp FROM RCPT: one SMTP transaction posing as client 192.0.2.9; OUT = the
# transcript, ST = swaks' status.
smtp() {
	OUT=$(postfix_send --from "$1" --to "$2" --xclient-addr 192.0.2.9 \
		--xclient-name mail.sender.example --helo mail.sender.example \
		--header 'Subject: greylisting end to end' --body 'Hello.')
	ST=$?
}

smtp alice@sender.example bob@rcpt.example
t_first=$(date +%s%N)
ok "$([ "$ST" != 0 ]; echo $?)" "first attempt: not accepted (swaks status $ST)"
like "$OUT" '^<\*\* +451 4\.7\.1 Greylisted, please try again in 2 seconds' "first attempt: 451 4.7.1 at SMTP"
unlike "$OUT" '^ *-> DATA' "... refused at RCPT: no DATA sent"
smtp '<>' carol@rcpt.example
like "$OUT" '^ *<- +250 .*\r?$' "null sender: envelope accepted"
like "$OUT" '^<\*\* +451 4\.7\.1 Greylisted' "null sender: 451 4.7.1 at end of DATA"
like "$(sed -n '/-> \./,$p' <<<"$OUT")" '451 4\.7\.1' "... in answer to the final dot"
postfix_wait_log 'milter-reject: END-OF-MESSAGE .*4\.7\.1 Greylisted' 10
like "$(postfix_log)" 'milter-reject: RCPT from .*\[192\.0\.2\.9\]: 451 4\.7\.1 Greylisted, please try again in 2 seconds' \
	"Postfix logged the milter's 451 at RCPT"
like "$(postfix_log)" 'milter-reject: END-OF-MESSAGE from .*\[192\.0\.2\.9\]: 4\.7\.1 Greylisted.* from=<>' \
	"Postfix logged the milter's 451 at end of message"
is "$(postfix_mail_count '*')" 0 "nothing delivered yet"

sleep "$(awk -v w="$(($(date +%s%N) - t_first))" 'BEGIN { s = 2.3 - w / 1e9; print (s > 0 ? s : 0) }')"
smtp alice@sender.example bob@rcpt.example
is "$ST" 0 "retry after the delay: accepted"
like "$OUT" '^<- +250 2\.0\.0 Ok: queued' "retry: 250 queued"
postfix_wait_mail bob 1
ok $? "retry: delivered to bob"
mail=$(postfix_mail bob)
like "$mail" '^Authentication-Results: mx\.test\.example;$' "delivered with our Authentication-Results"
like "$mail" '^[[:space:]]+spf=pass smtp\.mailfrom=sender\.example;$' "... saying spf=pass"
unlike "$mail" '^Authentication-Results:.*grey' "greylisting is not in Authentication-Results"
like "$(cat "$T/daemon.log")" 'action=accept .*from=alice@sender\.example .*greylist=pass greylist_reason="retried in time"' \
	"daemon log: greylist=pass"
smtp '<>' carol@rcpt.example
is "$ST" 0 "null sender retry: accepted"
postfix_wait_mail carol 1
ok $? "null sender retry: delivered"
unlike "$(cat "$T/daemon.log")" 'greylist=error' "no store error"
postfix_stop
daemon_stop_clean   # after the exit, when LeakSanitizer has written

done_testing
