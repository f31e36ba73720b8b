#!/bin/bash
# t/fault-reload.sh - reloads under load: four milter clients send
# messages that must pass and messages that must be rejected (SPF fail,
# [spf] fail_action = reject) while the configuration is reloaded
# (SIGUSR1) every second, alternating two good files and two bad ones. A
# bad file, if it were ever applied even in part, would accept the SPF
# failures. No message may be lost or decided wrongly, every bad file is
# refused, every good one applied (its authserv-id shows in the AR
# header). Then SIGHUP, which libmilter treats as a stop: the check in
# progress is finished and answered, no new conversation starts, the
# daemon exits 0.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
harness_init fault-reload

cat >"$T/zone" <<'EOF'
pass.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
fail.example. 300 IN TXT "v=spf1 -all"
_dmarc.slow.example TIMEOUT
EOF
dns_start "$T/zone" || bail_out "no DNS server"
base=(dkim.enable=no dmarc.enable=yes spf.fail_action=reject dns.timeout_ms=6000
	dns.message_budget_ms=7000)
# write_config KIND: the next file, replaced atomically (as an admin's
# editor or config management does). good1/good2 differ in the
# authserv-id; bad1 has a syntax error, bad2 an invalid value; both also
# turn the SPF reject off, so applying them would show.
write_config() {
	case $1 in
	good1) daemon_config "$T/next.ini" "${base[@]}" server.authserv_id=mx1.test.example ;;
	good2) daemon_config "$T/next.ini" "${base[@]}" server.authserv_id=mx2.test.example ;;
	bad1) daemon_config "$T/next.ini" "${base[@]}" spf.fail_action=none server.authserv_id=bad1.test.example
		echo "this line is not ini" >>"$T/next.ini" ;;
	bad2) daemon_config "$T/next.ini" "${base[@]}" spf.fail_action=none server.authserv_id=bad2.test.example \
		dns.timeout_ms=forever ;;
	esac
	mv "$T/next.ini" "$T/am.ini"
}
write_config good1
daemon_start "$T/am.ini" || bail_out "daemon did not start"
printf 'From: <a@pass.example>\nSubject: reload\n\nbody\n' >"$T/pass.eml"
printf 'From: <a@fail.example>\nSubject: reload\n\nbody\n' >"$T/fail.eml"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# client N UNTIL: alternate pass and fail messages; one line per message:
# "KIND EXIT VERDICT AUTHSERV-ID" in $T/client.N.
client() {
	local i=0 kind out st
	while [ "$(now_ms)" -lt "$2" ]; do
		i=$((i + 1))
		kind=pass
		[ $((i % 2)) = 0 ] && kind=fail
		out=$(milter_drive -t 30 -i 192.0.2.1 -H client.example -f "<a@$kind.example>" \
			-r '<b@rcpt.example>' "$T/$kind.eml" 2>&1)
		st=$?
		echo "$kind $st $(sed -n 's/^result: //p' <<<"$out" | head -1 | cut -d' ' -f1-3)" \
			"$(sed -n 's/^insheader 1 Authentication-Results: \([^;]*\);.*/\1/p' <<<"$out")"
	done >"$T/client.$1"
}

end=$(($(now_ms) + 12000))
pids=()
for c in 1 2 3 4; do
	client "$c" "$end" &
	pids+=($!)
done
kinds=(bad1 good2 bad2 good1)
n=0
while [ "$(now_ms)" -lt $((end - 1000)) ]; do
	sleep 1
	write_config "${kinds[$((n % 4))]}"
	daemon_reload
	n=$((n + 1))
done
wait "${pids[@]}"
sleep 1
good=$(grep -c 'reloaded .*: generation' "$T/daemon.log")
badn=$(grep -c 'reload failed, keeping generation' "$T/daemon.log")
diag "$n reloads sent: $good applied, $badn refused"
is "$good" $((n / 2)) "every good file applied"
is "$badn" $(((n + 1) / 2)) "every bad file refused"
like "$(grep 'reload failed' "$T/daemon.log")" 'am\.ini:[0-9]+: ' "refusals name FILE:LINE"
cat "$T"/client.* >"$T/all"
total=$(wc -l <"$T/all")
ok $([ "$total" -ge 20 ] && echo 0 || echo 1) "$total messages sent during the reloads"
is "$(awk '$2 != 0' "$T/all" | head -3)" "" "no conversation failed"
is "$(awk '$1 == "pass" && $3 != "accept"' "$T/all" | head -3)" "" "every pass message accepted"
is "$(awk '$1 == "fail" && !($3 == "reject" && $4 == "550")' "$T/all" | head -3)" "" \
	"every SPF-fail message rejected (a bad file was never applied)"
is "$(grep -c 'bad[12]\.test\.example' "$T/all")" 0 "no AR header with a bad file's authserv-id"
ids=$(awk '$1 == "pass" {print $NF}' "$T/all" | sort -u | tr '\n' ' ')
is "$ids" "mx1.test.example mx2.test.example " "both good files were in use under load"
daemon_alive
ok $? "daemon still running"

# ---- SIGHUP: libmilter's stop ----
# A message whose end-of-message check is waiting on DNS (its DMARC record
# never answers: 6 s) when SIGHUP comes still gets its verdict, then the
# daemon exits 0. libmilter itself closes conversations that are between
# two commands at that moment (the MTA then applies milter_default_action)
# and takes no new ones.
cat >"$T/slow.script" <<'EOF'
connect client.example 192.0.2.1
helo client.example
mail <a@pass.example>
rcpt <b@rcpt.example>
header From: <a@slow.example>
header Subject: slow
eoh
body slow body
eom
EOF
cat >"$T/idle.script" <<'EOF'
connect client.example 192.0.2.1
helo client.example
mail <a@pass.example>
sleep 4
rcpt <b@rcpt.example>
EOF
milter_drive -t 30 -S "$T/idle.script" >"$T/idle.out" 2>&1 &
idle=$!
t0=$(date +%s%N)
milter_drive -t 30 -S "$T/slow.script" >"$T/slow.out" 2>&1 &
slow=$!
sleep 1
kill -HUP "$AM_DAEMON_PID"
sleep 0.5
milter_drive -t 10 -i 192.0.2.1 -H client.example -f '<a@pass.example>' -r '<b@rcpt.example>' \
	"$T/pass.eml" >"$T/late.out" 2>&1
late=$?
wait $slow
is $? 0 "SIGHUP: the end of message in progress completed ($((($(date +%s%N) - t0) / 1000000)) ms)"
like "$(cat "$T/slow.out")" '^eom: accept$' "SIGHUP: and its verdict reached the MTA"
like "$(cat "$T/slow.out")" 'dmarc=temperror header\.from=slow\.example' "SIGHUP: with its AR header"
wait $idle
ok $([ $? -ne 0 ] && echo 0 || echo 1) "SIGHUP: a conversation idle between commands is closed ($(tail -1 "$T/idle.out"))"
ok $([ $late -ne 0 ] && echo 0 || echo 1) "SIGHUP: no new conversation after the stop ($(tail -1 "$T/late.out"))"
wait_for 20 sh -c "! kill -0 $AM_DAEMON_PID 2>/dev/null || [ \"\$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' /proc/$AM_DAEMON_PID/status)\" = Z ]"
ok $? "SIGHUP: the daemon exited by itself"
daemon_stop
is $? 0 "SIGHUP: exit status 0"
like "$(cat "$T/daemon.log")" 'waiting for 1 running callback' "SIGHUP: it waited for the running callback"
like "$(cat "$T/daemon.log")" 'authmilter: stopping$' "SIGHUP: stop logged"
# libmilter drops the idle conversation without xxfi_close, and the slow
# one's close comes after the stop (refused): the daemon frees both itself
# (the ASan build's leak check sees it when it does not).
like "$(cat "$T/daemon.log")" 'closed 2 conversations the stop left open' "SIGHUP: the two conversations left open were closed by the daemon"
done_testing
