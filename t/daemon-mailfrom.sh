#!/bin/bash
# t/daemon-mailfrom.sh - MAIL FROM paths that are not plainly one mailbox,
# through the real daemon against a real unbound: "<a@ b.example>" (a
# blank) and "<a@x.example, b@y.example>" (two addresses), each with and
# without the MTA's normalised {mail_addr}. The macro is preferred when
# sent; a path that is not one mailbox is spf=none (RFC 7208 4.3) every
# time, never SPF on some part of it. Then the same paths through a real
# Postfix, which sends {mail_addr} (or refuses the path itself).
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
. "$top_srcdir/t/lib/daemon_auth.sh"
harness_init daemon-mailfrom

[ -x /usr/sbin/unbound ] || skip_all "unbound is not installed"
cat >"$T/zone" <<'EOF2'
b.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 ip4:127.0.0.0/8 -all"
x.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 ip4:127.0.0.0/8 -all"
y.example. 300 IN TXT "v=spf1 -all"
EOF2
dns_start "$T/zone" || bail_out "no DNS server"
daemon_config "$T/am.ini" dkim.enable=no dmarc.enable=no
daemon_start "$T/am.ini" || bail_out "daemon did not start"
printf 'From: <a@b.example>\nTo: <bob@rcpt.example>\nSubject: path\n\nBody.\n' >"$T/m.eml"

# spf FROM [milter-drive args]: the spf= entry for the MAIL FROM identity.
# The milter client sends a {mail_addr} of its own unless told one: an
# empty value stands for an MTA that sends none.
spf() {
	local from=$1
	shift
	send spf -i 192.0.2.1 -H mx.b.example -f "$from" -r '<bob@rcpt.example>' "$@" "$T/m.eml"
	ar_entries spf | grep -v 'smtp\.helo'
}

is "$(spf '<a@ b.example>' -m '{mail_addr}=')" "spf=none (MAIL FROM is not one mailbox)" \
	"<a@ b.example> without {mail_addr}: spf=none, not a mailbox"
is "$(spf '<a@ b.example>' -m '{mail_addr}=a@b.example')" "spf=pass smtp.mailfrom=b.example" \
	"<a@ b.example> with {mail_addr}=a@b.example: the MTA's parse is used"
is "$(spf '<a@x.example, b@y.example>' -m '{mail_addr}=')" "spf=none (MAIL FROM is not one mailbox)" \
	"two addresses without {mail_addr}: spf=none, not SPF on the last domain"
is "$(spf '<a@x.example, b@y.example>' -m '{mail_addr}=a@x.example')" "spf=pass smtp.mailfrom=x.example" \
	"two addresses with {mail_addr}=a@x.example: the MTA's parse is used"
is "$(spf '<a@x.example, b@y.example>' -m '{mail_addr}=a@x.example, b@y.example')" \
	"spf=none (MAIL FROM is not one mailbox)" "two addresses in {mail_addr} too: spf=none"
is "$(spf '<a@x.example,b@y.example>' -m '{mail_addr}=')" "spf=none (MAIL FROM is not one mailbox)" \
	"two addresses without a blank: the same"
is "$(spf '<a@b.example>')" "spf=pass smtp.mailfrom=b.example" "a plain mailbox still passes"
daemon_wait_log 'from="a@x\.example, b@y\.example" .*spf=none\(\)'
ok $? "the decision line shows the path as given, spf=none"

# ---- through a real Postfix ----
if ! command -v postfix >/dev/null || ! command -v swaks >/dev/null; then
	skip "postfix or swaks not installed (bootstrap.sh installs them)"
elif ! postfix_start; then
	skip "postfix did not start"
else
	out=$(postfix_send --from 'a@ b.example' --to bob@rcpt.example --data "@$T/m.eml" \
		--xclient-addr 192.0.2.1 --xclient-helo mx.b.example)
	st=$?
	daemon_wait_log 'client=\[192\.0\.2\.1\] .*stage=eom' 20
	line=$(grep 'stage=eom' "$T/daemon.log" | tail -1)
	diag "Postfix, MAIL FROM:<a@ b.example>: swaks status $st; $line"
	is "$st" 0 "Postfix accepts MAIL FROM:<a@ b.example>"
	like "$line" 'from=a@b\.example .*spf=pass\(b\.example\)' "Postfix: its {mail_addr} gives SPF on b.example"
	out=$(postfix_send --from 'a@x.example, b@y.example' --to bob@rcpt.example --data "@$T/m.eml" \
		--xclient-addr 192.0.2.1 --xclient-helo mx.b.example)
	like "$out" '<\*\* 501 5\.1\.7 ' "Postfix refuses MAIL FROM:<a@x.example, b@y.example> itself (501)"
	postfix_stop
fi
daemon_stop_clean
done_testing
