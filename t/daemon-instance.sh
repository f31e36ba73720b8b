#!/bin/bash
# t/daemon-instance.sh - one daemon per socket and pidfile: a second daemon
# on the same config refuses to start and says why, and the first keeps
# its socket and answers; so does one that only shares the pidfile. A
# socket left by a killed daemon is stale: the next start replaces it.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
harness_init daemon-instance

AM="$top_builddir/milter/authmilter"
[ -x "$AM" ] || skip_all "milter/authmilter not built"

echo 'pass.example. 300 IN TXT "v=spf1 ip4:192.0.2.9 -all"' >"$T/zone"
dns_start "$T/zone" || bail_out "no DNS server"
daemon_config "$T/am.ini" dmarc.enable=no dkim.enable=no "milter.pidfile=$T/am.pid"
daemon_start "$T/am.ini" || bail_out "daemon did not start"
printf 'From: a@pass.example\n\nbody\n' >"$T/m.eml"
first=$AM_DAEMON_PID
inode=$(stat -c %i "$AM_SOCKET_PATH")

# drive: one message through the socket; prints milter-drive's result line.
drive() {
	milter_drive -t 20 -i 192.0.2.9 -H h.example -f '<a@pass.example>' -r '<b@rcpt.example>' "$T/m.eml" 2>&1 |
		grep '^result:'
}

out=$(timeout 20 "$AM" -f -c "$T/am.ini" -p "$AM_SOCKET" 2>&1)
is $? 1 "second daemon on the same socket and pidfile: exits 1"
like "$out" "^authmilter: authmilter is already running \\(pid $first\\) on $AM_SOCKET_PATH; stop it first" \
	"and says which daemon runs where"
is "$(stat -c %i "$AM_SOCKET_PATH" 2>/dev/null)" "$inode" "the first daemon's socket is untouched"
is "$(drive)" "result: accept" "the first daemon still answers"

out=$(timeout 20 "$AM" -f -c "$T/am.ini" -p "unix:$T/other.sock" 2>&1)
is $? 1 "second daemon on another socket, same pidfile: exits 1"
like "$out" "authmilter is already running \\(pid $first in $T/am\\.pid\\)" "and names the pidfile"
[ ! -e "$T/other.sock" ]
ok $? "it made no socket"

daemon_config "$T/nopid.ini" dmarc.enable=no dkim.enable=no
out=$(timeout 20 "$AM" -f -c "$T/nopid.ini" -p "$AM_SOCKET" 2>&1)
is $? 1 "second daemon without a pidfile, same socket: exits 1"
like "$out" "a daemon is already listening on $AM_SOCKET_PATH; stop it first" "and says the socket answers"
is "$(drive)" "result: accept" "the first daemon still answers after both attempts"

# A killed daemon leaves its socket and pidfile: both are stale.
kill -KILL "$first"
wait "$first" 2>/dev/null
harness_untrack "$first"
_h_daemon_pid=""
[ -S "$AM_SOCKET_PATH" ] && [ -s "$T/am.pid" ]
ok $? "after SIGKILL the socket and the pidfile are left behind"
# Not daemon_start: it removes the old socket first.
harness_spawn authmilter "$T/daemon2.log" "$AM" -f -c "$T/am.ini" -p "$AM_SOCKET"
second=$HARNESS_PID
wait_for 20 grep -q 'started on' "$T/daemon2.log"
ok $? "a new daemon starts over the stale socket and pidfile" || sed 's/^/#   /' "$T/daemon2.log"
is "$(drive)" "result: accept" "and answers on the socket"
is "$(cat "$T/am.pid")" "$second" "the pidfile names the new daemon"
harness_kill "$second" 15
ok $? "clean stop"
done_testing
