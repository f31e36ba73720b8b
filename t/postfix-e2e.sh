#!/bin/bash
# t/postfix-e2e.sh - end to end through a real Postfix (smtpd_milters from
# etc/postfix-main.cf) with the daemon and a real unbound: a DKIM-signed
# message (signed at test time by Mail::DKIM) delivered with spf, dkim and
# dmarc pass in our Authentication-Results header; forged AR headers gone;
# the decision line under Postfix's queue id; a DMARC p=reject failure
# refused with 550 at SMTP; a p=quarantine failure in Postfix's hold queue;
# and a SIGUSR1 reload that turns SPF fail into a 5xx at RCPT.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
harness_init postfix-e2e

command -v postfix >/dev/null || skip_all "postfix not installed (bootstrap.sh installs it)"
command -v swaks >/dev/null || skip_all "swaks not installed (bootstrap.sh installs it)"
perl -MMail::DKIM::Signer -e1 2>/dev/null || skip_all "Mail::DKIM not installed (libmail-dkim-perl)"
DATA="$top_srcdir/t/data/dkim"

# Zone: SPF, DMARC and the DKIM key (the fixture's public key, in 255-byte strings).
{
	cat <<'EOF'
example.com. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.example.com. 300 IN TXT "v=DMARC1; p=reject"
quar.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.quar.example. 300 IN TXT "v=DMARC1; p=quarantine"
pass.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
fail.example. 300 IN TXT "v=spf1 -all"
EOF
	awk '$1 == "rsa2048._domainkey.example.com" {
		v = $0; sub(/^[^ ]+ TXT /, "", v); out = ""
		while (length(v) > 0) { out = out " \"" substr(v, 1, 255) "\""; v = substr(v, 256) }
		print $1 ". 300 IN TXT" out }' "$DATA/keys.zone"
} >"$T/zone"
dns_start "$T/zone" || bail_out "no DNS server"
# The hold queue is an option now (the default delivers with a marker,
# shown by t/postfix-dmarc.sh): this test keeps it covered.
daemon_config "$T/am.ini" dmarc.quarantine_action=quarantine
daemon_start "$T/am.ini" || bail_out "daemon did not start"
postfix_start || bail_out "postfix did not start"

# send FROM RCPT FILE CLIENT-IP: swaks transcript; status 0 when accepted.
send() {
	postfix_send --from "$1" --to "$2" --data "@$3" --xclient-addr "$4" --xclient-helo client.example
}

printf 'From: Alice <alice@example.com>\nTo: bob@rcpt.example\nSubject: signed\nMessage-ID: <signed@example.com>\n\nA signed message.\n' |
	perl "$DATA/sign-mail-dkim.pl" "$DATA/rsa2048.pem" example.com rsa2048 rsa-sha256 relaxed >"$T/signed.eml"
out=$(send alice@example.com bob@rcpt.example "$T/signed.eml" 192.0.2.1)
ok $? "signed message accepted at SMTP"
postfix_wait_mail bob
ok $? "signed message delivered"
msg=$(postfix_mail bob)
ar=$(printf '%s\n' "$msg" | awk '/^Authentication-Results: mx\.test\.example/ {p = 1; print; next} p && /^[ \t]/ {print; next} {p = 0}' | tr -d '\n')
like "$ar" 'spf=pass smtp\.mailfrom=example\.com' "delivered AR: spf=pass"
like "$ar" 'dkim=pass \(2048-bit key\)[[:space:]]+header\.d=example\.com' "delivered AR: dkim=pass with the key size"
like "$ar" 'dmarc=pass \(p=reject dis=none\)[[:space:]]+header\.from=example\.com' "delivered AR: dmarc=pass"
qid=$(sed -n 's/.*postfix\/cleanup\[[0-9]*\]: \([0-9A-F]*\): message-id=<signed@example\.com>.*/\1/p' "$AM_PF_LOG" | head -1)
ok $([ -n "$qid" ] && echo 0 || echo 1) "Postfix queue id found ($qid)"
daemon_wait_log "$qid: conn=[^ ]+ action=accept reason=pass stage=eom client=\\[192\\.0\\.2\\.1\\] .*dkim=\"pass\\(d=example\\.com\\)\" dmarc=\"pass"
ok $? "decision line in the daemon's log under Postfix's queue id"

cat >"$T/forged.eml" <<'EOF'
Authentication-Results: mx.test.example; spf=pass smtp.mailfrom=pass.example; dmarc=pass
Authentication-Results: elsewhere.example; spf=neutral
From: Carol <carol@pass.example>
To: dave@rcpt.example
Subject: forged
Message-ID: <forged@pass.example>

Forged verdicts.
EOF
send carol@pass.example dave@rcpt.example "$T/forged.eml" 192.0.2.1 >/dev/null
ok $? "message with a forged AR accepted"
postfix_wait_mail dave
msg=$(postfix_mail dave)
is "$(printf '%s\n' "$msg" | grep -ci '^Authentication-Results: mx\.test\.example')" 1 "one AR with our authserv-id"
unlike "$msg" 'dmarc=pass$' "the forged AR is gone"
like "$msg" '^Authentication-Results: elsewhere\.example; spf=neutral' "another server's AR is kept"

printf 'From: Mallory <ceo@example.com>\nTo: erin@rcpt.example\nSubject: spoof\n\nPay now.\n' >"$T/spoof.eml"
out=$(send mallory@example.com erin@rcpt.example "$T/spoof.eml" 198.51.100.7)
like "$out" '<\*\* +550[ -]5\.7\.1 Rejected by the DMARC policy of example\.com' "DMARC p=reject failure: 550 5.7.1 at SMTP"
daemon_wait_log 'action=reject reason=dmarc stage=eom client=\[198\.51\.100\.7\].* dmarc="fail\(p=reject,dis=reject\)".* dmarc_evidence=spf_fail_in_author_org'
ok $? "DMARC reject logged, with its evidence (SPF fail inside the author's domain)"

printf 'From: Mallory <boss@quar.example>\nTo: frank@rcpt.example\nSubject: spoof\nMessage-ID: <held@quar.example>\n\nHold me.\n' >"$T/quar.eml"
send boss@quar.example frank@rcpt.example "$T/quar.eml" 198.51.100.7 >/dev/null
ok $? "DMARC p=quarantine failure accepted at SMTP"
wait_for 20 test "$(postfix_held_count)" -ge 1
ok $? "and held in Postfix's hold queue"
is "$(postfix_mail_count frank)" 0 "held message not delivered"

printf 'From: x@fail.example\nTo: grace@rcpt.example\nSubject: spf\n\nSPF fail.\n' >"$T/fail.eml"
send x@fail.example grace@rcpt.example "$T/fail.eml" 192.0.2.1 >/dev/null
ok $? "SPF fail accepted while [spf] fail_action = none"
daemon_config "$T/am.ini" dmarc.quarantine_action=quarantine spf.fail_action=reject dmarc.enable=no
daemon_reload
daemon_wait_log "reloaded .*generation 2"
ok $? "SIGUSR1: configuration reloaded"
out=$(send x@fail.example grace@rcpt.example "$T/fail.eml" 192.0.2.1)
like "$out" '<\*\* +550[ -]5\.7\.23 SPF check failed for fail\.example' "after the reload: SPF fail rejected with 5xx at RCPT"

postfix_stop
daemon_stop
ok $? "daemon stops cleanly"
done_testing
