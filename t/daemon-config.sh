#!/bin/bash
# t/daemon-config.sh - the command line: -n on the shipped config and on
# bad ones (exit 1 with FILE:LINE), -V, -h, bad options (exit 64), the
# refusal to keep root, and a reload (SIGUSR1) of a broken file that keeps
# the running configuration.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
harness_init daemon-config

AM="$top_builddir/milter/authmilter"
[ -x "$AM" ] || skip_all "milter/authmilter not built"

out=$("$AM" -n -c "$top_srcdir/etc/authmilter.ini" 2>&1)
ok $? "-n on the shipped etc/authmilter.ini exits 0"
like "$out" 'authmilter\.ini: configuration ok$' "-n says the file is valid"

# bad CONTENT EXPECTED-LINE PATTERN NAME
bad() {
	printf '%b' "$1" >"$T/bad.ini"
	out=$("$AM" -n -c "$T/bad.ini" 2>&1)
	st=$?
	is "$st" 1 "-n exits 1: $4"
	like "$out" "^authmilter: $T/bad\\.ini:$2: .*$3" "-n names FILE:LINE: $4"
}
bad '[milter]\nsocket = tcp:25\n' 2 'expected unix:PATH' "bad socket"
bad '[milter]\nsocket = inet:70000@127.0.0.1\n' 2 'port must be' "bad port"
bad '[server]\ntrusted_networks = 192.0.2.0/24\n  10.0.0.0/40\n' 3 'prefix length' "bad CIDR on a continuation line"
bad '[dns]\ntimeout_ms = 1s\n' 2 'not a whole number' "bad number"
bad '[dns]\nmessage_budget_ms = 0\n' 2 'out of range' "number out of range"
bad '[nosuch]\n' 1 'unknown section \[nosuch\]' "unknown section"
bad '[spf]\nenabled = yes\n' 2 "unknown key 'enabled'" "unknown key"
bad '[spf]\nfail_action = bounce\n' 2 'not one of' "bad action"
bad '[dkim]\npartial_body = maybe\n' 2 'not one of: policy pass fail' "bad choice"
bad '[dmarc]\ndiscovery = dns\n' 2 'not one of: psl treewalk' "bad discovery mode"
bad '[greylist]\nstage = data\n' 2 'not one of' "bad greylist stage"
bad '[policy]\ndry_run = sometimes\n' 2 'not yes or no' "bad boolean"
bad '; comment\n[milter]\nsocket_mode = 0888\n' 3 'octal' "bad octal mode"
bad '[milter]\njust words\n' 2 'syntax error' "line without ="
bad '[spf]\nenable = yes\nenable = no\n' 3 'set twice' "duplicate key"

out=$("$AM" -n -c "$T/missing.ini" 2>&1)
is $? 1 "-n on a missing file exits 1"
like "$out" 'missing\.ini: cannot open' "missing file named"
out=$("$AM" -n -c "$top_srcdir/etc/authmilter.ini" -p tcp:1 2>&1)
is $? 1 "-p with a bad socket exits 1"
like "$out" "^authmilter: -p:0: \\[milter\\] socket: expected unix:PATH" "-p error says where it came from"

out=$("$AM" -V)
like "$out" '^authmilter [0-9]+\.[0-9]+' "-V prints the version"
out=$("$AM" -h)
like "$out" 'SIGUSR1 reloads' "-h documents the signals"
"$AM" -x >/dev/null 2>&1
is $? 64 "unknown option exits 64"
"$AM" -n extra >/dev/null 2>&1
is $? 64 "stray argument exits 64"

if [ "$(id -u)" = 0 ]; then
	daemon_config "$T/root.ini" milter.user=
	out=$("$AM" -f -c "$T/root.ini" -p "unix:$T/root.sock" 2>&1)
	is $? 1 "as root without [milter] user: refuses to start"
	like "$out" 'refusing to run as root' "and says why"
else
	skip "not root: the root refusal cannot be shown"
	skip "not root"
fi

# A broken file on reload: refused, the running configuration keeps working.
cat >"$T/zone" <<'EOF'
fail.example. 300 IN TXT "v=spf1 -all"
EOF
dns_start "$T/zone" || bail_out "no DNS server"
daemon_config "$T/am.ini" dmarc.enable=no dkim.enable=no spf.fail_action=reject
daemon_start "$T/am.ini" || bail_out "daemon did not start"
printf 'From: a@fail.example\n\nbody\n' >"$T/m.eml"
echo "bogus line" >>"$T/am.ini"
daemon_reload
daemon_wait_log "reload failed, keeping generation 1: $T/am.ini:[0-9]+: syntax error"
ok $? "broken reload refused with FILE:LINE in the log"
out=$(milter_drive -i 192.0.2.9 -H h.example -f '<a@fail.example>' -r '<b@rcpt.example>' "$T/m.eml")
like "$out" '^rcpt <b@rcpt\.example>: reject 550 5\.7\.23' "old configuration still applied"
daemon_alive
ok $? "daemon still running"
daemon_config "$T/am.ini" dmarc.enable=no dkim.enable=no spf.fail_action=none
daemon_reload
daemon_wait_log "reloaded .*: generation 2"
ok $? "good reload logged with the new generation"
out=$(milter_drive -i 192.0.2.9 -H h.example -f '<a@fail.example>' -r '<b@rcpt.example>' "$T/m.eml")
like "$out" '^result: accept$' "the next message uses the new configuration"
daemon_stop
ok $? "clean stop"
done_testing
