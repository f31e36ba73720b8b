#!/bin/bash
# t/postfix-bimi.sh - BIMI end to end through a real Postfix (smtpd_milters =
# the daemon) and a real unbound: a DMARC-passing message from a domain with
# a BIMI record, carrying forged BIMI-Location and BIMI-Indicator headers, is
# delivered with exactly one BIMI-Location header (ours, folded as Postfix
# writes it) and no BIMI-Indicator, and with bimi=pass in our AR; a message
# from a domain at p=none gets the forgeries removed and no BIMI-Location.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
harness_init postfix-bimi

postfix_require
[ -x /usr/sbin/unbound ] || skip_all "unbound is not installed"
PSL=/usr/share/publicsuffix/public_suffix_list.dat
[ -r "$PSL" ] || skip_all "no public suffix list ($PSL; apt-get install publicsuffix)"

cat >"$T/zone" <<'EOF'
brand.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.brand.example. 300 IN TXT "v=DMARC1; p=reject"
default._bimi.brand.example. 300 IN TXT "v=BIMI1; l=https://brand.example/logo.svg; a=https://brand.example/vmc.pem"
monitor.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.monitor.example. 300 IN TXT "v=DMARC1; p=none"
default._bimi.monitor.example. 300 IN TXT "v=BIMI1; l=https://monitor.example/logo.svg"
EOF
dns_start "$T/zone" || bail_out "no DNS server"
daemon_config "$T/am.ini" dmarc.psl_file="$PSL"
daemon_start "$T/am.ini" || bail_out "daemon did not start"
postfix_start || bail_out "postfix did not start"

# mkmsg FILE FROM RCPT: a message with a forged BIMI-Location and BIMI-Indicator.
mkmsg() {
	printf '%s\n' "BIMI-Location: v=BIMI1; l=https://evil.example/forged.svg" \
		"From: Brand <news@$2>" "To: $3" "Subject: logo" "Message-ID: <$(basename "$1")@$2>" \
		"BIMI-Indicator: PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4=" \
		"" "Look at our logo." >"$1"
}

mkmsg "$T/brand.eml" brand.example alice@rcpt.example
postfix_send --from news@brand.example --to alice@rcpt.example --data "@$T/brand.eml" \
	--xclient-addr 192.0.2.1 --xclient-helo mx.brand.example >"$T/brand.swaks"
ok $? "DMARC-passing message with forged BIMI headers accepted at SMTP"
postfix_wait_mail alice
ok $? "and delivered"
loc=$(postfix_headers alice BIMI-Location)
is "$(printf '%s\n' "$loc" | grep -c .)" 1 "exactly one BIMI-Location header delivered"
is "$loc" "BIMI-Location: v=BIMI1; l=https://brand.example/logo.svg; a=https://brand.example/vmc.pem" \
	"it is ours, from the domain's record"
unlike "$(postfix_mail alice)" 'evil\.example' "the forged BIMI-Location is gone"
is "$(postfix_headers alice BIMI-Indicator)" "" "the forged BIMI-Indicator is gone"
ar=$(postfix_headers alice Authentication-Results | grep '^Authentication-Results: mx\.test\.example')
like "$ar" 'dmarc=pass' "our AR: dmarc=pass"
like "$ar" 'bimi=pass header\.d=brand\.example header\.selector=default policy\.authority=none' \
	"our AR: bimi=pass header.d header.selector policy.authority=none"
qid=$(postfix_qid 'brand\.eml@brand\.example')
daemon_wait_log "$qid: conn=[^ ]+ action=accept .* bimi=pass "
ok $? "decision line under Postfix's queue id ($qid) says bimi=pass"

mkmsg "$T/monitor.eml" monitor.example bob@rcpt.example
postfix_send --from news@monitor.example --to bob@rcpt.example --data "@$T/monitor.eml" \
	--xclient-addr 192.0.2.1 --xclient-helo mx.monitor.example >"$T/monitor.swaks"
ok $? "p=none message with forged BIMI headers accepted at SMTP"
postfix_wait_mail bob
ok $? "and delivered"
is "$(postfix_headers bob BIMI-Location)" "" "p=none: no BIMI-Location at all (forgery removed, none added)"
is "$(postfix_headers bob BIMI-Indicator)" "" "p=none: the forged BIMI-Indicator is gone"
like "$(postfix_headers bob Authentication-Results)" 'bimi=skipped \(DMARC policy not at enforcement p=none\)' \
	"p=none: our AR says bimi=skipped with the reason"

postfix_stop
daemon_stop
ok $? "daemon stops cleanly"
done_testing
