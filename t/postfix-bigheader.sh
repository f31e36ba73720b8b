#!/bin/bash
# t/postfix-bigheader.sh - big header fields through a real Postfix reach
# the daemon and are checked and decided, not dropped. Measured here
# (Postfix 3.7): with smtpd_milters one header field is cut to about
# 60,000 bytes (without milters header_size_limit, 102400, is the bound),
# so Postfix never sends libmilter a header packet near its 64 KB default;
# the daemon asks for 1 MB anyway. Sent: a 58 KB field, DKIM-signed over
# it (dkim=pass: the daemon read every byte), and fields of 72, 100 and
# 150 KB (Postfix keeps 60,000 bytes: the signature fails, the message is
# still decided). Each: 250 at SMTP, delivered with our
# Authentication-Results, the decision line under Postfix's queue id.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
. "$top_srcdir/t/lib/bigheader.sh"
harness_init postfix-bigheader

postfix_require
perl -MMail::DKIM::Signer -e1 2>/dev/null || skip_all "Mail::DKIM not installed (libmail-dkim-perl)"
{
	echo 'example.com. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"'
	zone_txt rsa2048._domainkey.example.com "$(fixture_key rsa2048)"
} >"$T/zone"
dns_start "$T/zone" || bail_out "no DNS server"
daemon_config "$T/am.ini" dmarc.enable=no
daemon_start "$T/am.ini" || bail_out "daemon did not start"
postfix_start || bail_out "postfix did not start"
is "$(postconf -c "$AM_PF_CONF" -h header_size_limit)" 102400 "Postfix's header_size_limit: 102400 (the default)"

# big ID BYTES DKIM LABEL: send it, check delivery, AR and decision line.
big() {
	local out msg ar qid
	bigheader_msg "$1" "$2" "$1@rcpt.example"
	out=$(postfix_send --from alice@example.com --to "$1@rcpt.example" --data "@$T/$1.eml" \
		--xclient-addr 192.0.2.1 --xclient-helo client.example)
	ok $? "$4: accepted at SMTP" || printf '%s\n' "$out" | grep -E '^ *<' | tail -4 | sed 's/^/#   /'
	postfix_wait_mail "$1"
	ok $? "$4: delivered"
	msg=$(postfix_mail "$1")
	ar=$(postfix_ar "$msg")
	like "$ar" "spf=pass .*dkim=$3" "$4: delivered with our AR: spf=pass, dkim=$3"
	qid=$(postfix_qid "$1@example\.com")
	daemon_wait_log "$qid: conn=[^ ]+ action=accept .*dkim=\"$3"
	ok $? "$4: decision line under Postfix's queue id ($qid)"
}
big big58k 59000 pass "58 KB header field"
for kb in 72 100 150; do
	big "big${kb}k" $((kb * 1024)) fail "$kb KB header field (Postfix keeps 60,000 bytes)"
	kept=$(postfix_mail "big${kb}k" | awk '/^X-Big:/ { p = 1 } p && /^[^ \t]/ && !/^X-Big:/ { p = 0 } p' | wc -c)
	ok "$([ "$kept" -ge 59000 ] && [ "$kept" -le 61440 ]; echo $?)" "$kb KB: Postfix delivered $kept bytes of it"
done
unlike "$(postfix_log)" 'milter.*(unreachable|error|default_action)' "Postfix logged no milter error"
ok "$(daemon_alive; echo $?)" "the daemon is alive"
postfix_stop
daemon_stop_clean
done_testing
