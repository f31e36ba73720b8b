#!/bin/bash
# t/fault-memcached.sh - the greylisting store killed (SIGKILL) and
# restarted under load: two daemons (two MX hosts) share one memcached;
# A fails open ([greylist] on_store_error = accept), B tempfails. Six
# milter clients send new triplets in loops the whole time. While the
# server is gone A lets mail through (greylist=error) and B answers 451
# 4.3.0; nobody crashes or waits past the memcached timeouts; once the
# server is back (empty, same port) both daemons greylist again without
# a restart.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
harness_init fault-memcached

command -v memcached >/dev/null || skip_all "memcached is not installed (apt-get install -y memcached)"
memcached_start || bail_out "could not start memcached"
disown "$HARNESS_PID" 2>/dev/null # killed below: no job notice
grey=(dkim.enable=no dmarc.enable=no spf.enable=no greylist.enable=yes greylist.clients=all
	greylist.store=memcached "greylist.memcached_servers=$AM_MEMCACHED_SERVERS"
	greylist.delay=600 greylist.memcached_timeout_ms=200 greylist.memcached_connect_timeout_ms=200
	greylist.memcached_retry_timeout=1)
daemon_config "$T/a.ini" "${grey[@]}" greylist.on_store_error=accept
daemon_config "$T/b.ini" "${grey[@]}" greylist.on_store_error=tempfail
daemon_start "$T/a.ini" || bail_out "daemon A did not start"
A_SOCK=$AM_SOCKET A_PID=$AM_DAEMON_PID
limit=20
[ -n "${AM_DAEMON_WRAPPER:-}" ] && limit=120
harness_spawn b "$T/b.log" ${AM_DAEMON_WRAPPER:-} "$top_builddir/milter/authmilter" -f -c "$T/b.ini" \
	-p "unix:$T/b.sock"
B_PID=$HARNESS_PID B_SOCK="unix:$T/b.sock"
wait_for "$limit" test -S "$T/b.sock" || bail_out "daemon B did not start"
printf 'From: <x@sender.example>\nTo: <bob@rcpt.example>\nSubject: grey\n\nHello.\n' >"$T/m.eml"

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# loader SOCK NAME UNTIL-MS: new triplets in a loop; one line per message:
# "START-MS END-MS EXIT RCPT-REPLY" in $T/load.NAME.
loader() {
	local sock=$1 name=$2 until=$3 i=0 t0 out st
	while [ "$(now_ms)" -lt "$until" ]; do
		i=$((i + 1))
		t0=$(now_ms)
		out=$("$top_builddir/t/milter-drive" -s "$sock" -t 20 -i "198.51.100.$((i % 200 + 1))" \
			-H mx.sender.example -f "<u$name-$i@sender.example>" -r '<bob@rcpt.example>' "$T/m.eml" 2>&1)
		st=$?
		echo "$t0 $(now_ms) $st $(printf '%s\n' "$out" | sed -n 's/^rcpt <bob@rcpt\.example>: //p' | head -1)"
	done >"$T/load.$name"
}

start=$(now_ms)
end=$((start + 15000))
pids=()
for c in 1 2 3; do
	loader "$A_SOCK" "a$c" "$end" &
	pids+=($!)
	loader "$B_SOCK" "b$c" "$end" &
	pids+=($!)
done
sleep 4
killing=$(now_ms)
memcached_kill 1
killed=$(now_ms)
sleep 5
restarting=$(now_ms)
memcached_restart 1 || bail_out "memcached did not restart"
disown "$HARNESS_PID" 2>/dev/null
restarted=$(now_ms)
wait "${pids[@]}"
diag "memcached killed at +$((killed - start)) ms, back at +$((restarted - start)) ms"

cat "$T"/load.a* >"$T/a.all"
cat "$T"/load.b* >"$T/b.all"
total=$(cat "$T/a.all" "$T/b.all" | wc -l)
ok $([ "$total" -ge 60 ] && echo 0 || echo 1) "load: $total messages from 6 clients"
is "$(awk '$3 != 0' "$T/a.all" "$T/b.all" | wc -l)" 0 "every conversation completed (no dropped connection)"
slowest=$(awk '{ d = $2 - $1; if (d > m) m = d } END { print m + 0 }' "$T/a.all" "$T/b.all")
ok $([ "$slowest" -le 3000 ] && echo 0 || echo 1) "no answer waited past the store timeouts (slowest $slowest ms)"

GREY='tempfail 451 4.7.1 '
# replies FILE FROM-MS TO-MS: the distinct reply kinds of messages started in the window.
replies() {
	awk -v a="$2" -v b="$3" '$1 >= a && $2 <= b { $1 = $2 = $3 = ""; sub(/^ +/, ""); print }' "$1" |
		sed -E 's/^(tempfail 451 [0-9.]+) .*/\1/' | sort | uniq -c | sed 's/^ *//'
}
before_a=$(replies "$T/a.all" "$start" "$killing")
is "$(printf '%s\n' "$before_a" | sed 's/^[0-9]* //')" "tempfail 451 4.7.1" "store up: new triplets greylisted (A)"
# the outage: from 1 s after the kill to the start of the restart
out_a=$(replies "$T/a.all" $((killed + 1000)) "$restarting")
out_b=$(replies "$T/b.all" $((killed + 1000)) "$restarting")
is "$(printf '%s\n' "$out_a" | sed 's/^[0-9]* //')" "continue" "store down: A fails open (every message let through)"
is "$(printf '%s\n' "$out_b" | sed 's/^[0-9]* //')" "tempfail 451 4.3.0" "store down: B tempfails 451 4.3.0"
grep -q 'greylist=error' "$T/daemon.log"
ok $? "A logs greylist=error"
# recovery: from 3 s after the restart (retry_timeout 1 s) to the end
rec_a=$(replies "$T/a.all" $((restarted + 3000)) $((end + 60000)))
rec_b=$(replies "$T/b.all" $((restarted + 3000)) $((end + 60000)))
is "$(printf '%s\n' "$rec_a" | sed 's/^[0-9]* //')" "tempfail 451 4.7.1" "store back: A greylists again, no restart"
is "$(printf '%s\n' "$rec_b" | sed 's/^[0-9]* //')" "tempfail 451 4.7.1" "store back: B greylists again, no restart"
diag "A before/outage/after: $(echo $before_a) / $(echo $out_a) / $(echo $rec_a)"
diag "B outage/after: $(echo $out_b) / $(echo $rec_b)"
kill -0 "$A_PID" && kill -0 "$B_PID"
ok $? "both daemons still running"
harness_kill "$B_PID" 15
ok $? "daemon B stops cleanly"
daemon_stop
ok $? "daemon A stops cleanly"
done_testing
