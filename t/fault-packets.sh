#!/bin/bash
# t/fault-packets.sh - malformed milter packets on the daemon's socket
# (t/milter-raw.py): lengths cut short, zero, oversized (2 GB, 4 MB),
# packets without their NULs, bad address families, unknown commands,
# events out of order, random bytes. Packets that cannot be valid get the
# connection dropped; incomplete ones are waited for (as a slow MTA would
# be) without holding up anybody else. The daemon stays up and keeps
# deciding messages correctly throughout, and stops cleanly.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
harness_init fault-packets

RAW="$top_srcdir/t/milter-raw.py"
[ -x /usr/bin/python3 ] || skip_all "/usr/bin/python3 missing"
cat >"$T/zone" <<'EOF'
sender.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
EOF
dns_start "$T/zone" || bail_out "no DNS server"
daemon_config "$T/am.ini" dkim.enable=no dmarc.enable=no spf.fail_action=reject
daemon_start "$T/am.ini" || bail_out "daemon did not start"
printf 'From: <a@sender.example>\nSubject: x\n\nbody\n' >"$T/m.eml"

# good: a message decided as it must be (pass accepted, fail rejected).
good() {
	local out
	out=$(milter_drive -t 30 -i 192.0.2.1 -H client.example -f '<a@sender.example>' -r '<b@rcpt.example>' "$T/m.eml" 2>&1)
	grep -q '^result: accept$' <<<"$out" || return 1
	out=$(milter_drive -t 30 -i 198.51.100.1 -H client.example -f '<a@sender.example>' -r '<b@rcpt.example>' "$T/m.eml" 2>&1)
	grep -q '^rcpt <b@rcpt\.example>: reject 550 5\.7\.23 ' <<<"$out"
}

# Packets no valid conversation has: the daemon hangs up on them.
DROPPED="huge-length over-max short-optneg garbage unknown-command connect-no-nul
	connect-bad-family connect-short-port connect-bad-address helo-empty mail-empty mail-no-nul
	rcpt-empty header-no-value header-empty header-no-nul body-oversized macro-empty
	random-after-negotiation"
# Incomplete or harmless ones: waited for, answered, or ignored.
OTHERS="short-length zero-length truncated no-optneg macro-no-nul macro-odd body-before-mail
	eoh-before-mail eom-before-mail events-out-of-order"
all=$(/usr/bin/python3 "$RAW" "$AM_SOCKET" list)
is "$(echo $all | tr ' ' '\n' | sort | tr '\n' ' ')" "$(echo $DROPPED $OTHERS | tr ' ' '\n' | sort | tr '\n' ' ')" \
	"the test knows every malformed conversation the client has"

# All at once (each waits up to a few seconds for the daemon's answer).
for k in $DROPPED; do
	/usr/bin/python3 "$RAW" "$AM_SOCKET" bad "$k" >"$T/bad.$k" 2>&1 &
done
for k in $OTHERS; do
	/usr/bin/python3 "$RAW" "$AM_SOCKET" bad "$k" 1.5 >"$T/bad.$k" 2>&1 &
done
wait_for 30 sh -c "[ \$(cat $T/bad.* | wc -l) -ge $(echo $DROPPED $OTHERS | wc -w) ]"
for k in $DROPPED; do
	is "$(cat "$T/bad.$k")" "bad $k: dropped" "$k: connection dropped"
done
for k in $OTHERS; do
	like "$(cat "$T/bad.$k")" "^bad $k: (dropped|open|replied [ct])" "$k: $(cat "$T/bad.$k")"
done
daemon_alive
ok $? "daemon still running after every malformed conversation"
good
ok $? "messages still decided correctly (pass accepted, SPF fail rejected)"

# Twenty connections stuck in the middle of a packet do not hold up others.
pids=()
for i in $(seq 1 20); do
	/usr/bin/python3 - "$AM_SOCKET_PATH" <<'EOF' &
import socket, struct, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(struct.pack(">I", 13) + b"O\0\0\0\6")
time.sleep(6)
s.close()
EOF
	pids+=($!)
done
sleep 1
t0=$(date +%s%N)
good
ok $? "with 20 half-sent packets pending: messages decided ($((($(date +%s%N) - t0) / 1000000)) ms)"
wait "${pids[@]}"
daemon_alive
ok $? "daemon still running"
daemon_stop
ok $? "daemon stops cleanly"
like "$(cat "$T/daemon.log")" 'authmilter: stopping$' "stop logged"
done_testing
