#!/bin/bash
# t/daemon-config.sh - the command line: -n on the shipped config and on
# bad ones (exit 1 with FILE:LINE; also what only start used to find: a
# missing user, file or store directory, a store directory the [milter]
# user cannot write), its warnings, -V, -h, bad options (exit 64), the
# refusal to keep root, and a reload (SIGUSR1) of a broken file that keeps
# the running configuration.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
harness_init daemon-config

AM="$top_builddir/milter/authmilter"
[ -x "$AM" ] || skip_all "milter/authmilter not built"

# The shipped file runs as user authmilter with its store in
# /var/lib/authmilter: bootstrap.sh makes both.
if id authmilter >/dev/null 2>&1 && [ -d /var/lib/authmilter ]; then
	out=$("$AM" -n -c "$top_srcdir/etc/authmilter.ini" 2>&1)
	ok $? "-n on the shipped etc/authmilter.ini exits 0" || diag "$out"
	like "$out" 'authmilter\.ini: configuration ok$' "-n says the file is valid"
else
	skip "no user authmilter or no /var/lib/authmilter (bootstrap.sh makes them)"
	skip "bootstrap.sh not run"
fi

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

# Checks start runs too (issue 16): each names FILE:LINE of the key.
U='[milter]\nuser = nobody\n'  # as root a user is required before anything else
bad '[milter]\nuser = no-such-user-16\n' 2 "\\[milter\\] user: user 'no-such-user-16' does not exist" "unknown [milter] user"
bad '[milter]\nuser = nobody\nsocket_group = no-such-group-16\n' 3 "socket_group: group 'no-such-group-16' does not exist" "unknown socket_group"
bad "$U[dmarc]\ndiscovery = psl\npsl_file = /nonexistent/psl.dat\n" 5 'psl_file: /nonexistent/psl.dat: No such file' "missing psl_file"
bad "$U[dns]\nnameservers = 1.2.3\n" 4 "nameservers: nameserver '1\\.2\\.3'" "nameservers = 1.2.3"
bad "$U[greylist]\nenable = yes\nstore = lmdb\nlmdb_path = $T/nodir/g.lmdb\n" 6 "lmdb_path: directory $T/nodir: No such file" "greylist store directory missing"
bad '[metrics]\nlisten = 127.0.0.1\n' 2 'listen: .127\.0\.0\.1. is not ADDRESS:PORT' "[metrics] listen without a port"
bad "$U""socket = unix:$T/no/such/a.sock\n" 3 "socket: directory $T/no/such does not exist and cannot be created" \
	"socket directory and its parent missing"
bad "$U""pidfile = $T/nodir/am.pid\n" 3 "pidfile: directory $T/nodir does not exist" "pidfile directory missing"
out=$("$AM" -n -c "$T" 2>&1)
is $? 1 "-n exits 1: a directory given as -c"
like "$out" "^authmilter: $T: is a directory" "-n says it is a directory"
if [ "$(id -u)" = 0 ]; then
	# Writable for root, not for the [milter] user: -n asks as that user.
	mkdir -m 0755 "$T/rootonly"
	bad "[milter]\nuser = nobody\n[greylist]\nenable = yes\nlmdb_path = $T/rootonly/g.lmdb\n" 5 \
		"lmdb_path: directory $T/rootonly: Permission denied for user nobody" "store directory not writable by the user"
	[ ! -e "$T/rootonly/g.lmdb" ] && [ ! -e "$T/rootonly/g.lmdb-lock" ]
	ok $? "-n created no store file as root"
	mkdir -m 0700 "$T/private" && cp /usr/share/publicsuffix/public_suffix_list.dat "$T/private/psl.dat" 2>/dev/null
	bad "[milter]\nuser = nobody\n[dmarc]\ndiscovery = psl\npsl_file = $T/private/psl.dat\n" 5 \
		"psl_file: $T/private/psl.dat: Permission denied for user nobody" "psl_file unreadable by the user"
else
	skip "not root: writability as the [milter] user cannot be shown"
	skip "not root"
	skip "not root"
	skip "not root"
	skip "not root"
fi
# warn CONTENT PATTERN NAME: -n exits 0 and warns with FILE:LINE.
warn() {
	printf '%b' "$1" >"$T/warn.ini"
	out=$("$AM" -n -c "$T/warn.ini" 2>&1)
	st=$?
	is "$st" 0 "-n exits 0 on a warning: $3"
	like "$out" "^authmilter: warning: $T/warn\.ini:$2" "-n warns with FILE:LINE: $3"
}
warn "[milter]\nuser = nobody\n[dns]\ntimeout_ms = 5000\nmessage_budget_ms = 3000\n" \
	'5: \[dns\] message_budget_ms: 3000 ms is below \[dns\] timeout_ms' "DNS budget below timeout_ms"
warn "[milter]\nuser = nobody\n[thresholds]\nquarantine = 9\nreject = 5\n" \
	'4: \[thresholds\] quarantine: 9 is above \[thresholds\] reject' "quarantine threshold above reject"

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
