#!/bin/bash
# t/load-connections.sh - many concurrent milter connections against the
# real daemon (contrib/milterload, one thread per connection, one message
# per connection as Postfix sends them) for a bounded time, in three equal
# phases: every message must be answered (no conversation error) and
# decided right (all pass SPF, DKIM or both, and DMARC: accept), and the
# daemon's RSS must stay flat after the first (warm-up) phase: it is
# printed after each phase, and the last may be at most 20% above the
# highest before it (malloc's arenas make a few MB of noise).
# Nothing here is a timing assertion; throughput is printed.
#
#   LOAD_CONNS (default 200), LOAD_SECONDS per phase (default 5) and
#   LOAD_PHASES (default 3): the make check size. The load figures in BENCHMARKS.md come from
#   LOAD_CONNS=1000 LOAD_SECONDS=20 make check TESTS=t/load-connections.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
harness_init load-connections

CONNS=${LOAD_CONNS:-200}
SECS=${LOAD_SECONDS:-5}
ML=$top_builddir/contrib/milterload
[ -x "$ML" ] || skip_all "contrib/milterload not built"
# One descriptor per connection on each side, plus the resolver's: raise
# the soft limit (the hard one allows it on Debian: 1048576 or so).
want=$((CONNS * 2 + 256))
[ "$(ulimit -n)" -ge "$want" ] || ulimit -n "$want" 2>/dev/null ||
	skip_all "cannot raise the open files limit to $want (hard limit $(ulimit -Hn))"

# DNS: SPF and DMARC for the senders, the DKIM keys of the fixtures.
{
	echo 'example.com. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"'
	echo '_dmarc.example.com. 300 IN TXT "v=DMARC1; p=reject"'
	echo 'pass.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"'
	echo '_dmarc.pass.example. 300 IN TXT "v=DMARC1; p=reject"'
	# keys.zone is "name TXT value": unbound wants quoted strings of <= 255
	awk '$2 == "TXT" && $1 ~ /^(rsa2048|ed)\./ {
		v = $0; sub(/^[^ ]+ TXT /, "", v); out = ""
		while (length(v) > 0) { out = out " \"" substr(v, 1, 250) "\""; v = substr(v, 251) }
		print $1 ". 300 IN TXT" out }' "$top_srcdir/t/data/dkim/keys.zone"
} >"$T/zone"
dns_start "$T/zone" || bail_out "no DNS server"
daemon_config "$T/am.ini" bimi.enable=no
daemon_start "$T/am.ini" || bail_out "daemon did not start"
ulimit -n >"$T/limit"
diag "open files limit $(cat "$T/limit") (daemon: $(awk '/Max open files/ {print $4}' "/proc/$AM_DAEMON_PID/limits"))"

mkdir "$T/corpus"
cp "$top_srcdir/t/data/dkim/rsa-relaxed.eml" "$top_srcdir/t/data/dkim/ed25519.eml" "$T/corpus/"
printf 'From: <user@pass.example>\nTo: <r@rcpt.example>\nSubject: load\n\nBody.\n' >"$T/corpus/plain.eml"
cat >"$T/corpus/manifest" <<'EOF'
# file             client-ip    helo              mail-from             rcpts
rsa-relaxed.eml    192.0.2.10   mx.example.com    <bounce@example.com>  a@rcpt.example
ed25519.eml        192.0.2.11   mx.example.com    <bounce@example.com>  a@rcpt.example
plain.eml          192.0.2.12   mx.pass.example   <user@pass.example>   a@rcpt.example,b@rcpt.example
EOF
# Check the corpus before loading: each message on its own is accepted.
"$ML" -s "$AM_SOCKET" -c 1 -n 3 -M "$T/corpus/manifest" >"$T/check.out" 2>&1
sum() { sed -n "s/^summary:.*[ ]$2=\\([^ ]*\\).*/\\1/p" "$1"; }
is "$(sum "$T/check.out" accept)" 3 "the corpus alone: 3 messages accepted" || sed 's/^/#   /' "$T/check.out"

rss() { awk '/^VmRSS/ {print $2}' "/proc/$AM_DAEMON_PID/status"; }
threads() { ls "/proc/$AM_DAEMON_PID/task" | wc -l; }
diag "daemon RSS $(rss) kB before the load, $(threads) threads"
# sample the daemon's open descriptors (its milter connections) meanwhile
(while kill -0 "$AM_DAEMON_PID" 2>/dev/null; do
	ls "/proc/$AM_DAEMON_PID/fd" 2>/dev/null | wc -l
	sleep 0.5
done >"$T/fds") &
sampler=$!
total=0 errors=0 wrong=0
for phase in $(seq 1 ${LOAD_PHASES:-3}); do
	"$ML" -s "$AM_SOCKET" -c "$CONNS" -d "$SECS" -t 60 -q -M "$T/corpus/manifest" >"$T/load.$phase" 2>"$T/load.$phase.err"
	st=$?
	n=$(sum "$T/load.$phase" messages)
	e=$(sum "$T/load.$phase" error)
	a=$(sum "$T/load.$phase" accept)
	total=$((total + ${n:-0}))
	errors=$((errors + ${e:-1}))
	wrong=$((wrong + ${n:-0} - ${a:-0} - ${e:-0}))
	RSS[$phase]=$(rss)
	diag "phase $phase: $CONNS connections, $n messages in $(sum "$T/load.$phase" seconds) s" \
		"($(sum "$T/load.$phase" rate) msg/s, p50 $(sum "$T/load.$phase" p50_ms) ms," \
		"p99 $(sum "$T/load.$phase" p99_ms) ms, max $(sum "$T/load.$phase" max_ms) ms), exit $st;" \
		"daemon RSS ${RSS[$phase]} kB, $(threads) threads"
	[ -s "$T/load.$phase.err" ] && head -5 "$T/load.$phase.err" | sed 's/^/#   /'
done
kill "$sampler" 2>/dev/null
wait "$sampler" 2>/dev/null
peak=$(sort -n "$T/fds" | tail -1)
ok $([ "$total" -ge "$CONNS" ] && echo 0 || echo 1) \
	"$total messages over $CONNS concurrent connections (the daemon had up to $peak descriptors open)"
is "$errors" 0 "every message answered (no connection, protocol or timeout error)"
is "$wrong" 0 "every message decided as it must be (accept)"
last=${#RSS[@]}
before=0
for ((i = 1; i < last; i++)); do [ "${RSS[$i]}" -gt "$before" ] && before=${RSS[$i]}; done
growth=$(( (RSS[last] - before) * 100 / before ))
if ldd "$top_builddir/milter/authmilter" 2>/dev/null | grep -q libtsan; then
	# ThreadSanitizer keeps shadow memory and access histories: RSS is its.
	skip "RSS under ThreadSanitizer (make check-tsan) says nothing: ${RSS[*]} kB"
else
	ok $([ "$growth" -le 20 ] && echo 0 || echo 1) \
		"RSS flat after warm-up: ${RSS[*]} kB after each phase (last ${growth}% over the earlier highest)"
fi
daemon_wait_log 'stage=eom' 5
logged=$(grep -c ' stage=eom ' "$T/daemon.log")
ok $([ "$logged" -ge "$total" ] && echo 0 || echo 1) "the daemon logged a decision per message ($logged)"
daemon_alive
ok $? "daemon still running"
daemon_stop
ok $? "daemon stops cleanly"
done_testing
