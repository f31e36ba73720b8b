#!/bin/bash
# t/shipped-greylist.sh - the README's first command runs the daemon on
# etc/authmilter.ini as shipped, greylisting on in its smart mode: a
# suspicious client (no verified reverse DNS) is greylisted at end of data,
# the same client is let through when the message passes DMARC (skip_if =
# dmarc_pass, which stage = eom makes possible), a client with verified
# reverse DNS is not greylisted, and the LMDB store is written by the
# daemon's user. Only the socket (-p), the nameservers (this test's DNS
# server) and the store's path (a directory made like bootstrap.sh makes
# /var/lib/authmilter) differ from the shipped file.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
harness_init shipped-greylist

user=
if [ "$(id -u)" = 0 ]; then
	id authmilter >/dev/null 2>&1 || skip_all "no user authmilter (bootstrap.sh creates it)"
	user=authmilter
fi
cat >"$T/zone" <<'EOF2'
nodmarc.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
pass.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.pass.example. 300 IN TXT "v=DMARC1; p=reject"
mail.good.example. 300 IN A 192.0.2.8
8.2.0.192.in-addr.arpa. 300 IN PTR mail.good.example.
EOF2
dns_start "$T/zone" || bail_out "no DNS server"

cp "$top_srcdir/etc/authmilter.ini" "$T/am.ini"
like "$(grep -E '^(enable|stage|clients|skip_if|store) = ' <(awk '/^\[/ { s = $0 } s == "[greylist]"' "$T/am.ini") | tr '\n' ' ')" \
	'^enable = yes stage = eom clients = suspicious skip_if = dmarc_pass store = lmdb $' \
	"etc/authmilter.ini ships greylisting on: eom, suspicious clients, skip_if dmarc_pass, lmdb"
install -d -m 0750 ${user:+-o "$user" -g "$user"} "$T/grey"
_daemon_config_set "$T/am.ini" dns nameservers "$AM_NAMESERVERS" &&
	_daemon_config_set "$T/am.ini" greylist lmdb_path "$T/grey/greylist.lmdb" &&
	_daemon_config_set "$T/am.ini" milter user "$user" || bail_out "cannot edit the config copy"
changed=$(diff "$top_srcdir/etc/authmilter.ini" "$T/am.ini" | sed -n 's/^> //p')
unlike "$(printf '%s\n' "$changed" | grep -Ev '^(nameservers|lmdb_path|user) = ')" . \
	"only nameservers, lmdb_path (and user when not root) differ from the shipped file"
daemon_start "$T/am.ini" || bail_out "the shipped configuration did not start"

# drive IP FROM-DOMAIN NAME [milter-drive options]: one message.
drive() {
	local ip=$1 dom=$2 name=$3
	shift 3
	printf 'From: <a@%s>\nTo: <b@rcpt.example>\nSubject: %s\nMessage-ID: <%s@%s>\n\nHello.\n' \
		"$dom" "$name" "$name" "$dom" >"$T/$name.eml"
	milter_drive -t 30 -i "$ip" -H "helo.$dom" -f "<a@$dom>" -r '<b@rcpt.example>' "$@" "$T/$name.eml" 2>&1
}

out=$(drive 192.0.2.7 nodmarc.example first)
like "$out" '^eom: tempfail 451 4\.7\.1 .*Greylisted' "suspicious client, no DMARC pass: 451 4.7.1 Greylisted at end of data"
like "$out" '^rcpt <b@rcpt\.example>: continue' "not at RCPT (stage = eom)"
daemon_wait_log 'action=tempfail reason=greylist stage=eom .*client=\[192\.0\.2\.7\]'
ok $? "decision line: tempfail reason=greylist at eom"

out=$(drive 192.0.2.7 pass.example dmarcpass)
like "$out" '^result: accept$' "same client, message passes DMARC: not greylisted (skip_if)"
out=$(drive 192.0.2.8 nodmarc.example verified -n mail.good.example -m '{client_ptr}=mail.good.example')
like "$out" '^result: accept$' "client with verified reverse DNS: not greylisted (clients = suspicious)"

[ -s "$T/grey/greylist.lmdb" ]
ok $? "the LMDB store was created"
[ -z "$user" ] || is "$(stat -c %U "$T/grey/greylist.lmdb")" "$user" "and belongs to the daemon's user"
daemon_stop
ok $? "clean stop"
done_testing
