#!/bin/bash
# t/fault-memcached-hung.sh - a memcached server that accepts connections
# and never answers (a listener written here), beside two real memcached
# servers, under greylisting traffic through the real daemon
# (on_store_error = tempfail, so every store error is a 451 4.3.0):
# libmemcached times such a server out on every call and never ejects it,
# so the store takes it out of the ring itself after failure_limit (2)
# timeouts in a row. Then no greylist=error any more, every new triplet is
# stored on the two real servers (its keys moved), and after
# retry_timeout the hung server is tried again and leaves again.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
harness_init fault-memcached-hung

command -v memcached >/dev/null || skip_all "memcached is not installed (apt-get install -y memcached)"
/usr/bin/python3 -c 'import socket' 2>/dev/null || skip_all "/usr/bin/python3 is needed for the silent server"
for n in 1 2; do
	memcached_start || bail_out "could not start memcached #$n"
done
read -r P1 P2 <<<"$AM_MEMCACHED_PORTS"
HUNG=$(free_port)
# Accepts every connection, keeps it open, reads nothing, answers nothing;
# counts connections in a file.
harness_spawn hung "$T/hung.log" /usr/bin/python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(256)
held = []
while True:
    c, _ = s.accept(); held.append(c)
    open(sys.argv[2], "w").write("%d\n" % len(held))
' "$HUNG" "$T/hung.count"
wait_for 10 tcp_open "$HUNG" || bail_out "the silent server did not start"
RETRY=8
daemon_config "$T/am.ini" dkim.enable=no dmarc.enable=no spf.enable=no greylist.enable=yes \
	greylist.clients=all greylist.auto_whitelist=0 greylist.store=memcached \
	"greylist.memcached_servers=127.0.0.1:$P1,127.0.0.1:$HUNG,127.0.0.1:$P2" \
	greylist.on_store_error=tempfail greylist.memcached_timeout_ms=200 \
	greylist.memcached_connect_timeout_ms=200 greylist.memcached_failure_limit=2 \
	greylist.memcached_retry_timeout=$RETRY greylist.memcached_eject=yes
daemon_start "$T/am.ini" || bail_out "daemon did not start"

# items PORT: curr_items of a real memcached server.
items() {
	local fd line n=""
	exec {fd}<>"/dev/tcp/127.0.0.1/$1" || return 1
	printf 'stats\r\n' >&"$fd"
	while read -r -t 5 -u "$fd" line; do
		line=${line%$'\r'}
		case "$line" in "STAT curr_items "*) n=${line##* } ;; END) break ;; esac
	done
	exec {fd}>&-
	echo "${n:-0}"
}
# traffic TAG COUNT: COUNT new triplets (one recipient each) on one
# connection; NEW = the daemon log lines they caused, MS = how long.
traffic() {
	local before i t0
	before=$(wc -l <"$T/daemon.log")
	t0=$(date +%s%N)
	{
		echo "connect mx.sender.example 192.0.2.10"
		echo "helo mx.sender.example"
		for ((i = 0; i < $2; i++)); do
			echo "mail <$1@sender.example>"
			echo "rcpt <$1$i@rcpt.example>"
			echo "abort"
		done
		echo quit
	} | milter_drive -t 60 -S - >"$T/drive.$1.out" 2>&1
	MS=$((($(date +%s%N) - t0) / 1000000))
	NEW=$(tail -n +"$((before + 1))" "$T/daemon.log")
}
count() { grep -c "$1" <<<"$NEW"; }

traffic a 60
errors=$(count 'greylist=error')
ok "$([ "$errors" -ge 1 ] && [ "$errors" -le 2 ]; echo $?)" "the hung server's first keys time out: $errors greylist=error (failure_limit 2)"
is "$(count 'greylist=new')" $((60 - errors)) "every other triplet is greylisted"
like "$(cat "$T/daemon.log")" "memcached 127\.0\.0\.1:$HUNG: 2 timeouts in a row: out of the ring for $RETRY s" \
	"the hung server leaves the ring, logged"
ok "$([ "$(cat "$T/hung.count" 2>/dev/null || echo 0)" -ge 1 ]; echo $?)" "the silent server was connected to"

base=$(($(items "$P1") + $(items "$P2")))
traffic b 300
is "$(count 'greylist=error')" 0 "then: 300 new triplets, no greylist=error ($MS ms)"
is "$(count 'greylist=new')" 300 "... every one greylisted"
is $(($(items "$P1") + $(items "$P2") - base)) 300 "... and stored on the two real servers: the hung server's keys moved"
unlike "$(cat "$T/drive.b.out")" '4\.3\.0' "no 451 4.3.0 (store error) to a sender"
ok "$([ "$MS" -lt 30000 ]; echo $?)" "no waiting on the hung server: 300 triplets in $MS ms"

# after retry_timeout it is tried again, and leaves again
sleep $((RETRY + 1)) &
wait $!
traffic c 60
errors=$(count 'greylist=error')
ok "$([ "$errors" -le 2 ]; echo $?)" "after $RETRY s: tried again, at most failure_limit errors ($errors)"
like "$NEW" "memcached 127\.0\.0\.1:$HUNG: back in the ring" "logged: back in the ring"
like "$NEW" "memcached 127\.0\.0\.1:$HUNG: 2 timeouts in a row: out of the ring" "... and out again"
ok "$(daemon_alive; echo $?)" "the daemon is alive"
daemon_stop_clean

done_testing
