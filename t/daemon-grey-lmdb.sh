#!/bin/bash
# t/daemon-grey-lmdb.sh - greylisting through the real daemon on the
# embedded LMDB store: the state survives a daemon restart (a triplet first
# seen by one daemon process passes after the delay at the next one),
# expired entries are purged (on the first write after a start, and every
# lmdb_purge_interval seconds while running) and never honoured, and the
# daemon writes a 36-day pass lifetime, refreshed on use. The daemon cannot
# wait 36 days: t/grey_store_probe reads the LMDB file the daemon wrote
# (every record with its expiry) and asks the store, with the daemon's own
# config and an injected clock, what it answers 36 days on; records "from
# the past" are written through the same store API.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
harness_init daemon-grey-lmdb

PROBE="$top_builddir/t/grey_store_probe"
[ -x "$PROBE" ] || skip_all "t/grey_store_probe is not built"

mkdir "$T/lmdb"
[ "$(id -u)" = 0 ] && chown nobody "$T/lmdb"
DB="$T/lmdb/grey.lmdb"
LIFE=3110400 # pass_lifetime default: 36 days
conf=(greylist.enable=yes greylist.store=lmdb "greylist.lmdb_path=$DB" greylist.delay=2
	greylist.retry_window=60 greylist.lmdb_purge_interval=1 spf.enable=no dkim.enable=no dmarc.enable=no)
daemon_config "$T/am.ini" "${conf[@]}" greylist.clients=all
printf 'From: <x@sender.example>\nTo: <bob@rcpt.example>\nSubject: grey\n\nHello.\n' >"$T/m.eml"

# send IP FROM RCPT [ARGS]: one message; OUT = milter-drive's output, NEW =
# the daemon log lines it caused.
send() {
	local before
	before=$(wc -l <"$T/daemon.log")
	OUT=$(milter_drive -t 30 -i "$1" -H mx.sender.example -f "<$2>" -r "<$3>" "${@:4}" "$T/m.eml" 2>&1)
	NEW=$(tail -n +"$((before + 1))" "$T/daemon.log")
}
probe() { "$PROBE" "$T/am.ini" "$@"; }
# rec KEY: the record's line in the file ("" when absent)
rec() { probe dump | grep "^$1 "; }
# field NAME LINE: a number from a record line
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$2"; }
now() { date +%s; }

daemon_start "$T/am.ini" || bail_out "daemon did not start"
pid1=$AM_DAEMON_PID
send 192.0.2.10 alice@sender.example bob@rcpt.example
like "$OUT" '^rcpt <bob@rcpt\.example>: tempfail 451 4\.7\.1 Greylisted, please try again in 2 seconds$' \
	"first attempt: 451 4.7.1"
like "$NEW" 'greylist=new' "log: greylist=new"
t_first=$(date +%s%N)
K1=$(probe key 192.0.2.10 alice@sender.example bob@rcpt.example)
r=$(rec "$K1")
like "$r" ' state=1 ' "the file holds the pending triplet"
is "$(($(field expires "$r") - $(field first "$r")))" 60 "pending entry expires after retry_window (60 s)"
if [ "$(id -u)" = 0 ]; then
	is "$(stat -c %U "$DB")" nobody "the LMDB file belongs to the daemon's user"
fi

daemon_stop
is "$?" 0 "daemon stopped cleanly"
# While it is down: entries that expired long ago (as the daemon would have
# written them then) and a pass from a day ago.
n=$(now)
for i in 1 2 3 4 5; do
	probe set $((n - 1000)) 60 "g:expired-at-start-$i" 1 $((n - 1000)) 0 || bail_out "probe set failed"
done
K4=$(probe key 192.0.2.40 monthly@sender.example bob@rcpt.example)
probe set $((n - 86400)) $LIFE "$K4" 2 $((n - 86500)) 1
is "$(probe dump | grep -c '^g:expired-at-start-')" 5 "five expired entries in the file"

daemon_start "$T/am.ini" || bail_out "daemon did not restart"
ok "$([ "$AM_DAEMON_PID" != "$pid1" ]; echo $?)" "a new daemon process ($pid1 -> $AM_DAEMON_PID)"
sleep "$(awk -v w="$(($(date +%s%N) - t_first))" 'BEGIN { s = 2.3 - w / 1e9; print (s > 0 ? s : 0) }')"
send 192.0.2.10 alice@sender.example bob@rcpt.example
like "$OUT" '^rcpt <bob@rcpt\.example>: continue$' "after the restart: the retry passes"
like "$NEW" 'action=accept .*greylist=pass greylist_reason="retried in time"' "log: greylist=pass, retried in time"
dump=$(probe dump)
is "$(grep -c '^g:expired-at-start-' <<<"$dump")" 0 "expired entries purged by the first write after the start"
r=$(grep "^$K1 " <<<"$dump")
like "$r" ' state=2 .* count=1$' "the triplet is passed"
last=$(field last "$r")
is "$(($(field expires "$r") - last))" $LIFE "the daemon wrote a 36-day (3110400 s) pass lifetime"
like "$(probe get $((last + LIFE - 1)) "$K1")" '^state=2 ' "36 days minus a second later: still passed"
probe get $((last + LIFE + 1)) "$K1" >/dev/null
is "$?" 1 "36 days plus a second later: gone"

send 192.0.2.40 monthly@sender.example bob@rcpt.example
like "$NEW" 'greylist=pass greylist_reason="known triplet"' "a pass from a day ago (written before the start) is honoured"
r=$(rec "$K4")
ok "$([ "$(field expires "$r")" -ge $(($(now) + LIFE - 2)) ]; echo $?)" "... and its lifetime refreshed to 36 days from now"
# a pass that expired but is not purged yet
K3=$(probe key 192.0.2.30 old@sender.example bob@rcpt.example)
n=$(now)
probe set $((n - LIFE - 100)) $LIFE "$K3" 2 $((n - LIFE - 200)) 1
like "$(rec "$K3")" ' state=2 ' "an expired pass sits in the file"
send 192.0.2.30 old@sender.example bob@rcpt.example
like "$NEW" 'greylist=new' "... and is not honoured: the triplet starts over"

# purge while running (lmdb_purge_interval = 1)
n=$(now)
for i in 1 2 3; do probe set $((n - 1000)) 60 "g:expired-running-$i" 1 $((n - 1000)) 0; done
is "$(probe dump | grep -c '^g:expired-running-')" 3 "three more expired entries written"
sleep 1.2
send 192.0.2.50 new@sender.example carol@rcpt.example
like "$NEW" 'greylist=new' "a write by the daemon (first attempt)"
dump=$(probe dump)
is "$(grep -c '^g:expired-running-' <<<"$dump")" 0 "... purged the expired entries (interval 1 s)"
like "$dump" "^$K1 " "live entries stay"
K5=$(probe key 192.0.2.50 new@sender.example carol@rcpt.example)
like "$dump" "^$K5 .* state=1 " "the new pending triplet is in the file"
# a reload keeps the store (LMDB forbids a second open in one process)
# and brings the new settings: clients = suspicious (the default)
daemon_config "$T/am.ini" "${conf[@]}"
daemon_reload
daemon_wait_log 'reloaded .*: generation 2'
ok $? "reloaded (SIGUSR1) with clients = suspicious"
send 192.0.2.10 alice@sender.example bob@rcpt.example
like "$NEW" 'greylist=pass greylist_reason="known triplet"' "after the reload: the same store, the triplet still passes"
send 192.0.2.60 a@sender.example bob@rcpt.example -n mail.sender.example
like "$OUT" '^rcpt <bob@rcpt\.example>: continue$' "suspicious: a client with a verified host name is not greylisted"
like "$NEW" 'greylist=skipped greylist_reason="client not suspicious"' "... logged as skipped"
send 192.0.2.61 a@sender.example bob@rcpt.example
like "$NEW" 'greylist=new greylist_reason="first attempt \(no reverse DNS\)"' "suspicious: no reverse DNS: greylisted, and why"
send 192.0.2.62 a@sender.example dave@rcpt.example -n dsl-62.pool.isp.example
like "$NEW" 'greylist=new greylist_reason="first attempt \(dynamic-looking host name\)"' "suspicious: a dynamic-looking host name: greylisted"
unlike "$(cat "$T/daemon.log")" 'greylist=error' "no store error"
daemon_stop_clean   # after the exit, when LeakSanitizer has written

done_testing
