#!/bin/bash
# t/from-limit.sh - issue 12 item 1: more From domains or headers than
# DMARC evaluates can never get a p=reject spoof through. A real unbound
# serves example.com with p=reject and an SPF record that does not cover
# the client; the spoof ceo@example.com comes last, after up to 499 others.
# In the offline mode (`authmilter -t`, the issue's own reproduction: 9
# domains in one folded From) and over the milter socket (9, 21 and 500
# From headers, one From naming 21 domains): refused with 550 5.7.1 and
# reason=from-limit naming the count. At the limit (4 domains) and with
# two, the domains are evaluated and DMARC rejects as it would for
# ceo@example.com alone, also when the three others' look-ups time out
# (each From domain gets a share of the DNS budget, so theirs cannot
# spend example.com's).
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_auth.sh"
harness_init from-limit

daemon_auth_require psl
AM=$top_builddir/milter/authmilter
CLIENT=203.0.113.5
{
	zone_txt example.com 'v=spf1 ip4:192.0.2.0/24 -all'
	zone_txt _dmarc.example.com 'v=DMARC1; p=reject'
	echo "slow.example TIMEOUT"
} >"$T/zone"
dns_start "$T/zone" || bail_out "unbound did not start"
# 2 s a query, 5 s a budget: three slow From domains would spend it all
daemon_config "$T/am.ini" dns.timeout_ms=2000
chmod 0644 "$T/am.ini"

# mkmsg NAME FROM-LINE...: $T/NAME.eml with these From header lines first.
mkmsg() {
	local name=$1
	shift
	{
		printf '%s\n' "$@"
		printf 'To: bob@rcpt.example\nSubject: from-limit %s\nDate: Sat, 22 Nov 2025 12:00:00 +0000\n' "$name"
		printf 'Message-ID: <%s@from-limit.example>\n\nHello.\n' "$name"
	} >"$T/$name.eml"
}
# froms N: N From header lines a0@n0.example ... then ceo@example.com (N in all).
froms() {
	for ((i = 0; i < $1 - 1; i++)); do printf 'From: a%d@n%d.example\n' $i $i; done
	printf 'From: ceo@example.com\n'
}
# one_from N: one From header naming N-1 n-domains and ceo@example.com, folded.
one_from() {
	local v="From: a0@n0.example"
	for ((i = 1; i < $1 - 1; i++)); do v+=$(printf ',\n a%d@n%d.example' $i $i); done
	printf '%s,\n ceo@example.com\n' "$v"
}

mkmsg issue 'From: a0@n0.example, a1@n1.example, a2@n2.example, a3@n3.example,' \
	' a4@n4.example, a5@n5.example, a6@n6.example, a7@n7.example, ceo@example.com'
mkmsg two 'From: a0@n0.example, ceo@example.com'
mkmsg four "$(one_from 4)"
mkmsg five "$(one_from 5)"
mkmsg h9 "$(froms 9)"
mkmsg h21 "$(froms 21)"
mkmsg h500 "$(froms 500)"
mkmsg d21 "$(one_from 21)"
mkmsg slow 'From: a@x1.slow.example, a@x2.slow.example, a@x3.slow.example, ceo@example.com'
# junk before the spoofed mailbox: it must not hide example.com from DMARC
mkmsg junk1 'From: <<<, ceo@example.com'
mkmsg junk2 'From: garbage, ceo@example.com'
mkmsg junk3 'From: ;ceo@example.com'

LIMIT_TEXT='550 5\.7\.1 Cannot determine the author: '

# ---- the offline mode: the issue's reproduction ----
# offline NAME: authmilter -t on $T/NAME.eml from $CLIENT; sets OUT, ST, LOG.
offline() {
	"$AM" -c "$T/am.ini" -t "$T/$1.eml" --client-ip $CLIENT --helo mx.example.net \
		--mail-from '<ceo@example.com>' --rcpt bob@rcpt.example >"$T/$1.out" 2>"$T/$1.err"
	ST=$?
	OUT=$(cat "$T/$1.out")
	LOG=$(sed -n 's/^log: //p' "$T/$1.out")
}
offline issue
is "$ST" 4 "offline, 9 From domains (issue 12): exit 4 (reject)"
like "$OUT" "^reply: ${LIMIT_TEXT}From names more than 4 distinct domains \\(9 mailboxes\\)\$" \
	"offline, 9 From domains: 550 5.7.1 saying why"
like "$LOG" ' action=reject reason=from-limit .* dmarc=permerror .*dmarc_reason="From names more than 4 distinct domains \(9 mailboxes\)"' \
	"offline, 9 From domains: reason=from-limit, the count in dmarc_reason"
unlike "$LOG" 'dmarc=none' "offline, 9 From domains: never dmarc=none"
offline two
is "$ST" 4 "offline, 2 From domains: exit 4"
like "$LOG" ' action=reject reason=dmarc .*dmarc="fail\(p=reject,dis=reject\)" hfrom=example\.com ' \
	"offline, 2 From domains: DMARC rejects for example.com"
offline four
like "$LOG" ' action=reject reason=dmarc .*hfrom=example\.com .*strictest of 4 From domains' \
	"offline, 4 From domains (the limit), example.com last: evaluated, DMARC rejects"
offline five
like "$LOG" ' action=reject reason=from-limit .*\(5 mailboxes\)' "offline, 5 From domains: from-limit"
for name in junk1 junk2 junk3; do
	offline $name
	like "$LOG" ' action=reject reason=dmarc .*dmarc="fail\(p=reject,dis=reject\)" hfrom=example\.com ' \
		"offline, $(sed -n 1p "$T/$name.eml"): DMARC still rejects for example.com"
done

# ---- over the milter socket ----
daemon_start "$T/am.ini" || bail_out "daemon did not start"
for name in h9 h21 h500 d21; do
	send "$name" -i $CLIENT -H mx.example.net -f '<ceo@example.com>' -r bob@rcpt.example "$T/$name.eml"
	case $name in
	h*) count=${name#h} want="$count From headers, more than the 8 evaluated" ;;
	d*) want="From names more than 4 distinct domains \\(21 mailboxes\\)" ;;
	esac
	like "$OUT" "^eom: reject ${LIMIT_TEXT}${want}\$" "socket, $name: 550 5.7.1 at end of message"
	like "$LOG" " action=reject reason=from-limit .*dmarc_reason=\"${want}\"" \
		"socket, $name: decision line reason=from-limit naming the count"
done
send four -i $CLIENT -H mx.example.net -f '<ceo@example.com>' -r bob@rcpt.example "$T/four.eml"
like "$OUT" '^eom: reject 550 5\.7\.1 Rejected by the DMARC policy of example\.com$' \
	"socket, 4 From domains (the limit): DMARC rejects for example.com"
send slow -i $CLIENT -H mx.example.net -f '<ceo@example.com>' -r bob@rcpt.example "$T/slow.eml"
like "$OUT" '^eom: reject 550 5\.7\.1 Rejected by the DMARC policy of example\.com$' \
	"socket, 3 From domains timing out and example.com: DMARC still rejects for example.com"
send junk1 -i $CLIENT -H mx.example.net -f '<ceo@example.com>' -r bob@rcpt.example "$T/junk1.eml"
like "$OUT" '^eom: reject 550 5\.7\.1 Rejected by the DMARC policy of example\.com$' \
	"socket, junk before the spoofed mailbox: DMARC still rejects for example.com"
ok "$(daemon_alive && echo 0 || echo 1)" "daemon alive after 500 From headers"
daemon_stop_clean

done_testing
