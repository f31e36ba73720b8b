#!/bin/bash
# t/daemon-stop.sh - how long a stop takes. An idle daemon exits within a
# second of SIGTERM (libmilter's listener alone polls every 5 s; the main
# thread wakes it), and so it does for SIGINT and SIGHUP; a daemon with a
# message waiting on a silent DNS server answers that message and exits
# within the message's DNS budget. Times are printed as diagnostics; the
# bounds are generous for a busy machine but below libmilter's 5 s tick.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
harness_init daemon-stop

command -v perl >/dev/null || skip_all "perl not installed (the silent DNS server is a perl one-liner)"
echo 'pass.example. 300 IN TXT "v=spf1 ip4:192.0.2.9 -all"' >"$T/zone"
dns_start "$T/zone" || bail_out "no DNS server"

# stop_ms SIGNAL: send it to the daemon, print the ms until it has exited.
stop_ms() {
	local pid=$_h_daemon_pid t0 t1
	t0=$(date +%s%N)
	kill "-$1" "$pid"
	while kill -0 "$pid" 2>/dev/null && [ "$(_h_proc_state "$pid")" != Z ]; do sleep 0.01; done
	t1=$(date +%s%N)
	wait "$pid" 2>/dev/null
	harness_untrack "$pid"
	_h_daemon_pid=""
	echo $(( (t1 - t0) / 1000000 ))
}

daemon_config "$T/am.ini" dmarc.enable=no dkim.enable=no
for sig in TERM INT HUP; do
	daemon_start "$T/am.ini" || bail_out "daemon did not start"
	sleep 1  # idle: the listener is inside its select()
	ms=$(stop_ms "$sig")
	diag "idle daemon: SIG$sig to exit: $ms ms"
	[ "$ms" -lt 2500 ]
	ok $? "idle daemon exits within 2.5 s of SIG$sig ($ms ms)"
	like "$(cat "$T/daemon.log")" "stopping" "SIG$sig: logged the stop"
	: >"$T/daemon.log"
done

# In flight: the message's SPF look-up goes to a server that never answers;
# timeout_ms 2000, budget 4000: the stop waits for its verdict.
[ -n "${AM_SILENT_NAMESERVERS:-}" ] || bail_out "no silent DNS server"
daemon_config "$T/slow.ini" dmarc.enable=no dkim.enable=no "dns.nameservers=$AM_SILENT_NAMESERVERS" \
	dns.timeout_ms=2000 dns.message_budget_ms=4000
daemon_start "$T/slow.ini" || bail_out "daemon did not start"
printf 'From: a@slow.example\n\nbody\n' >"$T/m.eml"
milter_drive -t 30 -i 192.0.2.9 -H h.example -f '<a@slow.example>' -r '<b@rcpt.example>' "$T/m.eml" \
	>"$T/drive.out" 2>&1 &
drive=$!
sleep 1  # the SPF look-up at MAIL FROM is now waiting on the silent server
ms=$(stop_ms TERM)
wait "$drive"
diag "daemon with a message waiting on DNS: SIGTERM to exit: $ms ms"
[ "$ms" -lt 9000 ]
ok $? "with a message in flight: exits within its DNS budget and some ($ms ms)"
like "$(cat "$T/drive.out")" '^(mail|rcpt)[^:]*: (continue|tempfail)' "the message in flight got its answer"
like "$(cat "$T/daemon.log")" 'waiting for [0-9]+ running callback' "the stop waited for it"
done_testing
