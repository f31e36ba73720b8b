#!/bin/bash
# t/fault-disconnect.sh - the MTA goes away at every milter stage
# (connect, helo, mail, rcpt, header, eoh, body, eom): it hangs up right
# after sending the event, or after the reply, or sends ABORT or QUIT
# first (libmilter's abort and close paths, with SPF, DKIM and DMARC state
# in flight). The daemon must not crash, must keep serving, and must free
# everything: once more with the daemon under valgrind (no leak, no
# error; skipped in sanitizer builds, which check leaks at exit instead).
# The raw client is t/milter-raw.py.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
harness_init fault-disconnect

RAW="$top_srcdir/t/milter-raw.py"
[ -x /usr/bin/python3 ] || skip_all "/usr/bin/python3 missing"
cat >"$T/zone" <<'EOF'
sender.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.sender.example. 300 IN TXT "v=DMARC1; p=reject"
sel._domainkey.sender.example. 300 IN TXT "v=DKIM1; k=rsa; p=MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAL0ZZ1yG1ekNQ4wXm7BbUEtCVVQMEW9Ck+2wpFOz5yy2lrxJ1rQGETKOfH0oHy2q5i8wk1h0XIGV6hWTlTkK3O0CAwEAAQ=="
EOF
dns_start "$T/zone" || bail_out "no DNS server"
daemon_config "$T/am.ini"
printf 'From: <a@sender.example>\nTo: <b@rcpt.example>\nSubject: after\n\nbody\n' >"$T/m.eml"
STAGES="connect helo mail rcpt header eoh body eom"

# matrix: every stage, every way of going away; prints the client's lines.
matrix() {
	local st how
	for st in $STAGES; do
		for how in close reply abort quit; do
			/usr/bin/python3 "$RAW" "$AM_SOCKET" stage "$st" "$how"
		done
	done
}

# after NAME: the daemon is alive and a whole message still goes through.
after() {
	local out
	daemon_alive
	ok $? "$1: daemon still running"
	out=$(milter_drive -t 60 -i 192.0.2.1 -H client.example -f '<a@sender.example>' -r '<b@rcpt.example>' "$T/m.eml" 2>&1)
	like "$out" '^result: accept$' "$1: a whole message is still served"
	like "$out" 'spf=pass smtp\.mailfrom=sender\.example' "$1: with its checks"
}

daemon_start "$T/am.ini" || bail_out "daemon did not start"
rss0=$(awk '/^VmRSS/ {print $2}' "/proc/$AM_DAEMON_PID/status")
for round in 1 2 3; do
	matrix >"$T/matrix.$round"
done
is "$(grep -c ': hung up$' "$T/matrix.1")" 8 "hang-ups right after each of the 8 events"
is "$(grep -cE ' (reply|abort|quit): replied [ca]$' "$T/matrix.1")" 24 \
	"hang-ups after the reply, after ABORT and after QUIT: every event answered first"
unlike "$(cat "$T"/matrix.*)" 'negotiation failed|dropped|open' "no conversation refused or left hanging"
after "96 disconnects"
rss1=$(awk '/^VmRSS/ {print $2}' "/proc/$AM_DAEMON_PID/status")
diag "RSS ${rss0} kB at start, ${rss1} kB after 96 disconnects"
daemon_stop
ok $? "daemon stops cleanly (exit 0; in a sanitizer build: no leak at exit)"

# ---- the same under valgrind ----
if ! command -v valgrind >/dev/null; then
	skip "valgrind is not installed (apt-get install -y valgrind)"
elif grep -aq __asan_init "$top_builddir/milter/authmilter" 2>/dev/null ||
	grep -aq __ubsan_handle "$top_builddir/milter/authmilter" 2>/dev/null; then
	skip "sanitizer build: valgrind cannot run it (leaks are checked by LeakSanitizer above)"
else
	AM_DAEMON_WRAPPER="valgrind --leak-check=full --errors-for-leak-kinds=definite,possible --error-exitcode=99 --suppressions=$top_srcdir/t/valgrind.supp --log-file=$T/valgrind.log"
	daemon_start "$T/am.ini" || bail_out "daemon did not start under valgrind"
	matrix >"$T/matrix.vg"
	unlike "$(cat "$T/matrix.vg")" 'negotiation failed|dropped|open' "valgrind: every conversation as before"
	after "valgrind"
	daemon_stop
	is $? 0 "valgrind: daemon exits 0 (valgrind exits 99 on an error or a leak)"
	like "$(cat "$T/valgrind.log")" 'ERROR SUMMARY: 0 errors' "valgrind: ERROR SUMMARY: 0 errors"
	unlike "$(cat "$T/valgrind.log")" '(definitely|indirectly|possibly) lost: [1-9]' "valgrind: nothing lost (libmilter's own unjoined threads suppressed: t/valgrind.supp)"
	diag "valgrind: $(grep -E 'ERROR SUMMARY|definitely lost|possibly lost|still reachable' "$T/valgrind.log" | sed 's/^==[0-9]*== *//' | tr '\n' ';')"
	unset AM_DAEMON_WRAPPER
fi
done_testing
