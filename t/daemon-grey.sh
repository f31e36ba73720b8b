#!/bin/bash
# t/daemon-grey.sh - greylisting through the real daemon over its milter
# socket, on a cluster of THREE real memcached servers, with a 4 s delay:
# first attempt 451 4.7.1, early retry 451, retry after the delay passes,
# later messages pass, postmaster@ and the whitelists exempt, the
# auto-whitelist after N passes, the null sender decided at end of data,
# two daemons (two MX hosts) sharing the cluster see each other's triplets,
# the 36-day pass lifetime as the servers hold it, stage = eom with
# skip_if = dmarc_pass (SPF + DMARC records on the harness's unbound), and
# one memcached server stopped mid-run: no crash, no hang past the timeout,
# fail-open (accept, greylist=error) on one daemon and 451 4.3.0 on the
# other, the other servers' keys still served.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
harness_init daemon-grey

command -v memcached >/dev/null || skip_all "memcached is not installed (apt-get install -y memcached)"
PROBE="$top_builddir/t/grey_store_probe"
[ -x "$PROBE" ] || skip_all "t/grey_store_probe is not built"

cat >"$T/zone" <<'EOF'
dpass.example. 300 IN TXT "v=spf1 ip4:10.0.8.0/24 -all"
_dmarc.dpass.example. 300 IN TXT "v=DMARC1; p=reject"
EOF
dns_start "$T/zone" || bail_out "no DNS server"
mc_pid=()
for n in 1 2 3; do
	memcached_start || bail_out "could not start memcached #$n"
	mc_pid[n]=$HARNESS_PID
	disown "$HARNESS_PID" 2>/dev/null # one is stopped and killed below: no job notices
done
read -ra mc_port <<<"$AM_MEMCACHED_PORTS"
mc_port=("" "${mc_port[@]}") # numbered from 1, as the harness numbers the servers

# Daemon A (the harness's) fails open; daemon B, a second MX host on the
# same cluster, tempfails when the store fails; daemon C greylists at end
# of data and spares DMARC-passing mail.
grey=(greylist.enable=yes greylist.clients=all greylist.store=memcached
	"greylist.memcached_servers=$AM_MEMCACHED_SERVERS" greylist.delay=4 greylist.retry_window=60
	greylist.auto_whitelist=3 greylist.memcached_timeout_ms=200
	greylist.memcached_connect_timeout_ms=200 greylist.memcached_retry_timeout=30
	greylist.whitelist_networks=10.9.9.0/24 greylist.whitelist_hosts=.relay.example
	greylist.whitelist_senders=friend.example greylist.whitelist_recipients=abuse@)
daemon_config "$T/a.ini" "${grey[@]}" greylist.on_store_error=accept
daemon_config "$T/b.ini" "${grey[@]}" greylist.on_store_error=tempfail
daemon_config "$T/c.ini" "${grey[@]}" greylist.stage=eom greylist.skip_if=dmarc_pass
daemon_start "$T/a.ini" || bail_out "daemon A did not start"
A_SOCK=$AM_SOCKET A_LOG="$T/daemon.log"

# other_daemon NAME CONFIG: one more daemon on unix:$T/NAME.sock, log $T/NAME.log.
other_daemon() {
	local sock="$T/$1.sock" limit=20
	[ -n "${AM_DAEMON_WRAPPER:-}" ] && limit=120
	rm -f "$sock"
	# shellcheck disable=SC2086 # the wrapper is a command line
	harness_spawn "$1" "$T/$1.log" ${AM_DAEMON_WRAPPER:-} "$top_builddir/milter/authmilter" \
		-f -c "$2" -p "unix:$sock"
	wait_for "$limit" test -S "$sock" || bail_out "daemon $1 did not start"
}
other_daemon b "$T/b.ini"
B_PID=$HARNESS_PID B_SOCK="unix:$T/b.sock" B_LOG="$T/b.log"
other_daemon c "$T/c.ini"
C_PID=$HARNESS_PID C_SOCK="unix:$T/c.sock" C_LOG="$T/c.log"

# send SOCK LOG ARGS...: one milter conversation. OUT = milter-drive's
# output, NEW = the daemon log lines it caused, MS = its wall-clock ms.
send() {
	local sock=$1 log=$2 before t0
	shift 2
	before=$(wc -l <"$log")
	t0=$(date +%s%N)
	OUT=$("$top_builddir/t/milter-drive" -s "$sock" -t 30 "$@" 2>&1)
	MS=$((($(date +%s%N) - t0) / 1000000))
	NEW=$(tail -n +"$((before + 1))" "$log")
}
msg() { # FILE FROM-DOMAIN: a small message
	printf 'From: <x@%s>\nTo: <bob@rcpt.example>\nSubject: grey\n\nHello.\n' "$2" >"$T/$1"
}
msg m.eml sender.example
msg dpass.eml dpass.example
msg nodmarc.eml nodmarc.example
# mc_line PORT COMMAND: the first line of a (live) memcached server's answer.
mc_line() {
	local fd line
	exec {fd}<>"/dev/tcp/127.0.0.1/$1" || return 1
	printf '%s\r\n' "$2" >&"$fd"
	read -r -t 2 -u "$fd" line
	exec {fd}>&-
	printf '%s\n' "${line%$'\r'}"
}
# where KEY: the number of the live server holding KEY ("" if none).
where() {
	local n
	for n in 1 2 3; do
		[ -n "${down:-}" ] && [ "$n" = "$down" ] && continue
		case "$(mc_line "${mc_port[$n]}" "mg $1 t")" in HD*) echo "$n" ;; esac
	done
}
key() { "$PROBE" "$T/a.ini" key "$@"; }
GREYTEXT='451 4\.7\.1 Greylisted, please try again in [1-4] seconds'

# ---- phase 1: first attempts (the delay starts) ----
send "$A_SOCK" "$A_LOG" -i 192.0.2.10 -H mx.sender.example -f '<alice@sender.example>' \
	-r '<bob@rcpt.example>' -r '<Postmaster@rcpt.example>' "$T/m.eml"
like "$OUT" "^rcpt <bob@rcpt\.example>: tempfail $GREYTEXT\$" "first attempt: 451 4.7.1, says greylisted and when to retry"
like "$OUT" '^rcpt <Postmaster@rcpt\.example>: continue$' "postmaster@ is never greylisted"
like "$OUT" '^result: accept$' "the message goes on to postmaster alone"
like "$NEW" 'NOQUEUE: .*action=tempfail reason=greylist stage=rcpt client=\[192\.0\.2\.10\] .*rcpt=bob@rcpt\.example .*greylist=new greylist_reason="first attempt"' \
	"log: greylist=new at RCPT"
like "$NEW" 'action=accept .*stage=eom .*greylist=whitelisted greylist_reason=postmaster' \
	"log: the delivered message's line names its own recipient's outcome"
unlike "$NEW" 'stage=eom .*greylist=new' "log: the refused recipient is not part of the message's line"
unlike "$OUT" 'Authentication-Results: .*grey' "greylisting is not put in Authentication-Results"
send "$A_SOCK" "$A_LOG" -i 192.0.2.10 -H mx.sender.example -f '<alice@sender.example>' -r '<bob@rcpt.example>' "$T/m.eml"
like "$OUT" "^rcpt <bob@rcpt\.example>: tempfail $GREYTEXT\$" "early retry: 451 again"
like "$NEW" 'greylist=early greylist_reason="retry too early"' "log: greylist=early"
send "$B_SOCK" "$B_LOG" -i 192.0.2.10 -H mx.sender.example -f '<alice@sender.example>' -r '<bob@rcpt.example>' "$T/m.eml"
like "$NEW" 'greylist=early' "second MX: sees the first MX's triplet (early, not new: the timer is kept)"
send "$B_SOCK" "$B_LOG" -i 192.0.2.20 -H mx2.sender.example -f '<carol@sender.example>' -r '<dave@rcpt.example>' "$T/m.eml"
like "$NEW" 'greylist=new' "second MX: a first attempt of its own"
T1=$(key 192.0.2.10 alice@sender.example bob@rcpt.example)
is "$(where "$T1" | wc -l)" 1 "the triplet is on exactly one of the three servers"

# the null sender: never at RCPT (callouts), at end of data
send "$A_SOCK" "$A_LOG" -i 10.0.3.30 -H bounce.sender.example -f '<>' -r '<erin@rcpt.example>' "$T/m.eml"
like "$OUT" '^rcpt <erin@rcpt\.example>: continue$' "null sender: not greylisted at RCPT"
like "$OUT" "^eom: tempfail $GREYTEXT\$" "null sender: 451 4.7.1 at end of data"
like "$NEW" 'action=tempfail reason=greylist stage=eom .*greylist=new' "null sender: log at eom"

# whitelists
send "$A_SOCK" "$A_LOG" -i 10.9.9.7 -H h.example -f '<a@sender.example>' -r '<bob@rcpt.example>' "$T/m.eml"
like "$OUT" '^rcpt <bob@rcpt\.example>: continue$' "whitelist_networks: passes at once"
like "$NEW" 'greylist=whitelisted greylist_reason="network 10\.9\.9\.0/24"' "whitelist_networks: logged"
send "$A_SOCK" "$A_LOG" -i 10.0.4.5 -n mx1.relay.example -H mx1.relay.example -f '<a@sender.example>' -r '<bob@rcpt.example>' "$T/m.eml"
like "$NEW" 'greylist=whitelisted greylist_reason="host \.relay\.example"' "whitelist_hosts (verified name)"
send "$A_SOCK" "$A_LOG" -i 10.0.4.6 -H h.example -f '<pal@friend.example>' -r '<bob@rcpt.example>' "$T/m.eml"
like "$NEW" 'greylist=whitelisted greylist_reason="sender domain friend\.example"' "whitelist_senders"
send "$A_SOCK" "$A_LOG" -i 10.0.4.7 -H h.example -f '<a@sender.example>' -r '<abuse@rcpt.example>' "$T/m.eml"
like "$OUT" '^rcpt <abuse@rcpt\.example>: continue$' "whitelist_recipients: passes at once"
like "$NEW" 'greylist=whitelisted greylist_reason="recipient abuse@"' "whitelist_recipients: logged"

# stage = eom, skip_if = dmarc_pass (daemon C)
send "$C_SOCK" "$C_LOG" -i 10.0.8.1 -H mta.dpass.example -f '<x@dpass.example>' -r '<bob@rcpt.example>' "$T/dpass.eml"
like "$OUT" '^result: accept$' "stage=eom: a DMARC-passing message is accepted on its first attempt"
like "$NEW" 'dmarc="?pass.*greylist=skipped greylist_reason="skip_if dmarc_pass"' "log: skipped by skip_if dmarc_pass"
send "$C_SOCK" "$C_LOG" -i 10.0.8.1 -H mta.dpass.example -f '<x@nodmarc.example>' -r '<bob@rcpt.example>' -r '<postmaster@rcpt.example>' "$T/nodmarc.eml"
like "$OUT" '^rcpt <bob@rcpt\.example>: continue$' "stage=eom: nothing decided at RCPT"
like "$OUT" "^eom: tempfail $GREYTEXT\$" "stage=eom: mail without DMARC pass is greylisted at end of data"
like "$NEW" 'stage=eom .*dmarc=none.*greylist=new' "log: greylist=new at eom"

# auto-whitelist: first attempt from 10.0.5.0/24
send "$A_SOCK" "$A_LOG" -i 10.0.5.10 -H h5.example -f '<aw@sender.example>' -r '<bob@rcpt.example>' "$T/m.eml"
like "$NEW" 'greylist=new' "auto-whitelist network: first attempt greylisted"

# store-failure candidates: 16 triplets from 10.0.7.40, spread over the servers
fr=()
for i in $(seq 1 16); do fr+=(-r "<u$i@rcpt.example>"); done
send "$A_SOCK" "$A_LOG" -i 10.0.7.40 -H h7.example -f '<f@fail.example>' "${fr[@]}" "$T/m.eml"
is "$(grep -c 'greylist=new' <<<"$NEW")" 16 "16 more first attempts"
first_done=$(date +%s%N)

# ---- phase 2: after the delay ----
sleep "$(awk -v w="$(($(date +%s%N) - first_done))" 'BEGIN { s = 4.3 - w / 1e9; print (s > 0 ? s : 0) }')"
send "$A_SOCK" "$A_LOG" -i 192.0.2.10 -H mx.sender.example -f '<alice@sender.example>' -r '<bob@rcpt.example>' "$T/m.eml"
like "$OUT" '^rcpt <bob@rcpt\.example>: continue$' "retry after the delay: accepted at RCPT"
like "$OUT" '^result: accept$' "retry after the delay: message accepted"
like "$NEW" 'action=accept .*greylist=pass greylist_reason="retried in time"' "log: greylist=pass"
send "$A_SOCK" "$A_LOG" -i 192.0.2.21 -H mx2.sender.example -f '<carol@sender.example>' -r '<dave@rcpt.example>' "$T/m.eml"
like "$NEW" 'greylist=pass greylist_reason="retried in time"' \
	"first MX: passes a retry (from a neighbour address) of a triplet first seen by the second MX"
send "$B_SOCK" "$B_LOG" -i 192.0.2.10 -H mx.sender.example -f '<alice@sender.example>' -r '<bob@rcpt.example>' "$T/m.eml"
like "$NEW" 'greylist=pass greylist_reason="known triplet"' "later messages pass (at the second MX too)"
# 36 days: over memcached's 30-day limit, so it must be sent as an absolute time
ttl=$(mc_line "${mc_port[$(where "$T1")]}" "mg $T1 t")
ttl=${ttl#HD t}
# (the server counts from its own clock, which may lag a second)
ok "$([ "$ttl" -gt $((3110400 - 30)) ] && [ "$ttl" -le $((3110400 + 2)) ]; echo $?)" \
	"a passed triplet lives 36 days on its server (ttl $ttl s, not expired at once)"

send "$A_SOCK" "$A_LOG" -i 10.0.3.30 -H bounce.sender.example -f '<>' -r '<erin@rcpt.example>' "$T/m.eml"
like "$OUT" '^eom: accept$' "null sender: retry after the delay accepted"
like "$NEW" 'stage=eom .*greylist=pass' "null sender: greylist=pass at eom"

send "$C_SOCK" "$C_LOG" -i 10.0.8.2 -H mta.dpass.example -f '<x@nodmarc.example>' -r '<bob@rcpt.example>' -r '<postmaster@rcpt.example>' "$T/nodmarc.eml"
like "$OUT" '^eom: accept$' "stage=eom: retry after the delay accepted"
like "$NEW" 'stage=eom .*greylist=pass' "stage=eom: greylist=pass"

aw() { send "$A_SOCK" "$A_LOG" -i "10.0.5.$1" -H h5.example -f "<$2@sender.example>" -r "<$3@rcpt.example>" "$T/m.eml"; }
aw 10 aw bob
like "$NEW" 'greylist=pass' "auto-whitelist network: pass 1"
aw 11 aw bob
aw 12 other carol
like "$NEW" 'greylist=new' "after 2 passes (auto_whitelist = 3) a new triplet is still greylisted"
aw 10 aw bob
like "$NEW" 'greylist=pass' "auto-whitelist network: pass 3"
aw 99 third dave
like "$OUT" '^rcpt <dave@rcpt\.example>: continue$' "after 3 passes the network passes for any sender and recipient"
like "$NEW" 'greylist=whitelisted greylist_reason="auto-whitelisted network 10\.0\.5\.0/24 \(3 passes\)"' \
	"log: auto-whitelisted network"

# ---- phase 3: one memcached server stops answering ----
fsend() { send "$1" "$2" -i 10.0.7.40 -H h7.example -f '<f@fail.example>' -r "<u$3@rcpt.example>" "$T/m.eml"; }
fsend "$A_SOCK" "$A_LOG" 1
like "$NEW" 'greylist=pass' "store-failure network: one pass (creates its counter)"
netsrv=$(where "$("$PROBE" "$T/a.ini" netkey 10.0.7.40)")
declare -A on
for i in $(seq 2 16); do
	s=$(where "$(key 10.0.7.40 f@fail.example "u$i@rcpt.example")")
	[ -n "$s" ] || bail_out "the triplet of u$i is on no server"
	on[$s]="${on[$s]:-} $i"
done
# the victim: not the counter's server (its failure is not decisive anyway),
# the one of the other two holding more of the triplets
count() { local a; read -ra a <<<"${on[$1]:-}"; echo "${#a[@]}"; }
down=""
for n in 1 2 3; do
	[ "$n" = "$netsrv" ] && continue
	if [ -z "$down" ] || [ "$(count "$n")" -gt "$(count "$down")" ]; then down=$n; fi
done
read -ra deadk <<<"${on[$down]:-}"
livek=()
for n in 1 2 3; do
	[ "$n" = "$down" ] && continue
	read -ra a <<<"${on[$n]:-}"
	livek+=("${a[@]}")
done
diag "counter on server $netsrv; stopping server $down (triplets:${on[$down]:-}); others:${livek[*]}"
if [ ${#deadk[@]} -lt 3 ] || [ ${#livek[@]} -lt 2 ]; then bail_out "unlucky spread of the keys"; fi
tA=$(date +%s%N)
kill -STOP "${mc_pid[$down]}"

fsend "$A_SOCK" "$A_LOG" "${deadk[0]}"
like "$OUT" '^rcpt <u[0-9]+@rcpt\.example>: continue$' "server stopped, fail-open daemon: recipient accepted"
like "$NEW" "action=accept .*greylist=error greylist_reason=\"store memcached: memcached get 127\\.0\\.0\\.1:${mc_port[$down]}: [^\"]*\"" \
	"fail-open: greylist=error in the log, naming the server"
ok "$([ "$MS" -lt 3000 ]; echo $?)" "fail-open: answered in $MS ms (timeout 200 ms: no hang)"
fsend "$B_SOCK" "$B_LOG" "${deadk[1]}"
like "$OUT" '^rcpt <u[0-9]+@rcpt\.example>: tempfail 451 4\.3\.0 Greylisting temporarily unavailable' \
	"server stopped, tempfail daemon: 451 4.3.0"
like "$NEW" 'action=tempfail .*greylist=error' "tempfail daemon: greylist=error in the log"
ok "$([ "$MS" -lt 3000 ]; echo $?)" "tempfail: answered in $MS ms (no hang)"
fsend "$A_SOCK" "$A_LOG" "${livek[0]}"
like "$NEW" 'action=accept .*greylist=pass greylist_reason="retried in time"' \
	"a triplet on a remaining server is still served (pending -> pass)"
fsend "$A_SOCK" "$A_LOG" "${deadk[0]}"
like "$NEW" 'greylist=new greylist_reason="first attempt"' \
	"the stopped server left the ring (memcached_eject): its triplet starts over on another server"
ok "$([ "$MS" -lt 1000 ]; echo $?)" "... at once ($MS ms): no second wait for the stopped server"
fsend "$B_SOCK" "$B_LOG" "${deadk[2]}"
like "$OUT" 'tempfail 451 4\.7\.1 Greylisted' "tempfail daemon: its keys moved too: greylisted, not 4.3.0 ($MS ms)"
ok "$([ "$MS" -lt 1000 ]; echo $?)" "... without waiting"
fsend "$B_SOCK" "$B_LOG" "${livek[1]}"
like "$NEW" 'greylist=pass greylist_reason="retried in time"' "the second MX is served by the remaining servers too"
diag "phase 3 (server stopped) took $((($(date +%s%N) - tA) / 1000000)) ms"

# the stopped server dies for good
memcached_kill "$down"
fsend "$B_SOCK" "$B_LOG" "${livek[0]}"
like "$NEW" 'greylist=whitelisted greylist_reason="auto-whitelisted network 10\.0\.7\.0/24 \(3 passes\)"' \
	"server killed: the network's counter (3 passes, on a remaining server) still served"
ok "$([ "$MS" -lt 3000 ]; echo $?)" "... in $MS ms"
daemon_alive
ok $? "daemon A survived"
kill -0 "$B_PID" 2>/dev/null
ok $? "daemon B survived"
# libmilter notices SIGTERM within seconds: stop the three at once
kill -TERM "$B_PID" "$C_PID"
daemon_stop
is "$?" 0 "daemon A stops cleanly"
harness_kill "$B_PID" 15
is "$?" 0 "daemon B stops cleanly"
harness_kill "$C_PID" 15
is "$?" 0 "daemon C stops cleanly"
# LeakSanitizer writes at exit: read the logs once all three have stopped
unlike "$(cat "$A_LOG" "$B_LOG" "$C_LOG")" 'AddressSanitizer|runtime error|LeakSanitizer' "no crash or sanitizer report"

done_testing
