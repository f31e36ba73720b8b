# t/lib/harness.sh - sourced (by bash) by the shell tests of authmilter.
#
# Gives: a per-test directory $T with cleanup traps, TAP helpers, free ports,
# and real servers on loopback started and stopped by pid: unbound (DNS from
# a zone file), memcached, a private Postfix, the authmilter daemon, a
# libmilter test filter and the milter test driver. It decides nothing about
# the daemon's results: the tests do. Nothing here talks beyond 127.0.0.0/8.
#
# Usage:  . "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
#         harness_init NAME; ...; done_testing
# Env in: top_srcdir, top_builddir (set by `make check`), AM_DAEMON_WRAPPER
#         (e.g. "valgrind -q --error-exitcode=99"), AM_PF_DOMAINS (delivered
#         domains, default rcpt.example), HARNESS_KEEP=1 (keep $T on success),
#         DNS_QUERY_TIMEOUT (dns_query, default 2 s).
# API (details above each function):
#   harness_init NAME          $T=$top_builddir/t/tmp/NAME (or under /run), traps
#   ok STATUS NAME | ok_run NAME CMD... | is GOT WANT NAME | like TEXT ERE NAME
#   unlike TEXT ERE NAME | skip REASON | skip_all REASON | diag TEXT
#   bail_out REASON | done_testing (plan + "# N passed, N failed", exits)
#   free_port | tcp_open PORT | wait_for SECONDS CMD...
#   harness_spawn NAME LOG CMD... ($HARNESS_PID) | harness_track PID NAME
#   harness_kill PID [SECONDS] | harness_stop_all
#   dns_start ZONEFILE | dns_stop | dns_restart [ZONEFILE] | dns_query NAME [TYPE]
#   dns_queries                 -> AM_NAMESERVERS AM_DNS_PORT AM_DNS_LOG
#                                  AM_SILENT_NAMESERVERS AM_SILENT_PORT
#   memcached_start | memcached_stop N | memcached_kill N | memcached_restart N
#   memcached_set PORT KEY VAL | memcached_get PORT KEY
#                               -> MEMCACHED_N MEMCACHED_PORT AM_MEMCACHED_PORTS
#                                  AM_MEMCACHED_SERVERS
#   daemon_start CONFIG [ARGS] | daemon_stop | daemon_reload | daemon_alive
#   daemon_wait_log ERE [SECONDS] -> AM_SOCKET AM_SOCKET_PATH AM_DAEMON_PID
#   milter_drive ARGS...        (t/milter-drive -s $AM_SOCKET ...)
#   filter_start VAR NAME OUTPUT PROGRAM ARGS | filter_stop VAR
#                               -> VAR_SOCKET VAR_PID (a milter on $T/NAME.sock)
#   testfilter_start NAME ARGS | testfilter_stop
#                               -> TESTFILTER_SOCKET TESTFILTER_LOG TESTFILTER_PID
#   postfix_start [--no-milter] [param=value...] | postfix_stop | postfix_pids
#   postfix_send SWAKS-ARGS | postfix_mail USER | postfix_mail_count USER
#   postfix_wait_mail USER [N] [SECONDS] | postfix_queue | postfix_held_count
#   postfix_log | postfix_wait_log ERE [SECONDS]
#                               -> AM_PF_PORT AM_PF_CONF AM_PF_LOG
# Every server started here is stopped at exit (also on failure, INT, TERM).
# A test that waits long should poll (wait_for) or `sleep N & wait $!`:
# bash runs the TERM trap only after a foreground command ends.

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
if [ -z "${top_builddir:-}" ]; then
	if [ -f "$PWD/config.status" ]; then top_builddir=$PWD; else top_builddir=$top_srcdir; fi
fi
export top_srcdir top_builddir

_h_run=0
_h_failed=0
_h_skipped_all=0
_h_pids=""        # "pid:name pid:name ..." of everything we started
T=""

. "$top_srcdir/t/lib/harness_servers.sh"
. "$top_srcdir/t/lib/harness_postfix.sh"

# Where the per-test directories go: $top_builddir/t/tmp, unless the build
# tree is where the test servers cannot use it. As root, the daemon (user
# nobody), Postfix (user postfix) and Sendmail need every parent directory
# searchable by others (a clone under /root is not) and none world-writable
# (Sendmail refuses a socket below /tmp): then a 0755 directory under /run,
# one per build tree.
_h_tmp_base() {
	local d=$top_builddir perm
	if [ "$(id -u)" = 0 ]; then
		while [ "$d" != / ] && [ -n "$d" ]; do
			perm=$(stat -c %a "$d" 2>/dev/null) || break
			if [ $(( ${perm: -1} & 2 )) -ne 0 ] || [ $(( ${perm: -1} & 1 )) -eq 0 ]; then
				echo "/run/authmilter-tests/$(printf %s "$top_builddir" | cksum | cut -d' ' -f1)"
				return
			fi
			d=$(dirname "$d")
		done
	fi
	echo "$top_builddir/t/tmp"
}

# harness_init NAME: fresh $T = $top_builddir/t/tmp/NAME (or below /run, see
# _h_tmp_base; 0755 all the way) and exit traps.
harness_init() {
	local base
	HARNESS_NAME=${1:?harness_init NAME}
	base=$(_h_tmp_base)
	T="$base/$HARNESS_NAME"
	rm -rf "$T"
	mkdir -p "$T" || { echo "Bail out! cannot create $T"; exit 1; }
	chmod 0755 "$base" "$T"
	[ "${base#/run/}" != "$base" ] && chmod 0755 "${base%/*}"
	export T
	trap '_harness_exit' EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	if [ "${#T}" -gt 80 ]; then
		diag "warning: \$T is ${#T} characters long; unix socket paths may exceed 107"
	fi
}

# EXIT trap: stop every process we started, remove $T unless something failed.
_harness_exit() {
	local st=$?
	harness_stop_all
	if [ -n "$T" ] && [ -d "$T" ]; then
		if [ "$st" -eq 0 ] && [ "$_h_failed" -eq 0 ] && [ -z "${HARNESS_KEEP:-}" ]; then
			rm -rf "$T"
			# The /run directories go with their last test.
			case $T in /run/authmilter-tests/*) rmdir "${T%/*}" "${T%/*/*}" 2>/dev/null ;; esac
		else
			echo "# kept $T for inspection (exit status $st, $_h_failed failed)"
		fi
	fi
	exit "$st"
}

# harness_track PID NAME: stop PID at exit.
harness_track() {
	_h_pids="$_h_pids $1:${2:-proc}"
}

# harness_untrack PID: forget PID (already stopped).
harness_untrack() {
	local e out=""
	for e in $_h_pids; do
		[ "${e%%:*}" = "$1" ] || out="$out $e"
	done
	_h_pids=$out
}

# harness_kill PID [SECONDS]: SIGTERM, wait (default 10 s), then SIGKILL; reap.
# Returns the process's exit status when it was our child, else 0.
harness_kill() {
	local pid=$1 limit=$(( ${2:-10} * 10 )) i=0 st=0
	kill -TERM "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null && [ "$(_h_proc_state "$pid")" != Z ] && [ $i -lt $limit ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$pid" 2>/dev/null && [ "$(_h_proc_state "$pid")" != Z ]; then
		echo "# pid $pid did not stop after SIGTERM; SIGKILL"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	st=$?
	harness_untrack "$pid"
	return $st
}

# State letter of a process (Z for zombie), empty if gone.
_h_proc_state() {
	sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null
}

# harness_stop_all: stop the daemon, Postfix, then every tracked pid (newest first).
harness_stop_all() {
	local e list=""
	[ -n "${_h_daemon_pid:-}" ] && daemon_stop >/dev/null 2>&1
	[ -n "${_h_pf_conf:-}" ] && postfix_stop >/dev/null 2>&1
	for e in $_h_pids; do list="$e $list"; done
	for e in $list; do
		harness_kill "${e%%:*}" 5 >/dev/null 2>&1
	done
	_h_pids=""
}

# harness_spawn NAME LOGFILE CMD...: run CMD in the background, output to
# LOGFILE, tracked; its pid is in $HARNESS_PID.
harness_spawn() {
	local name=$1 log=$2
	shift 2
	"$@" >>"$log" 2>&1 </dev/null &
	HARNESS_PID=$!
	harness_track "$HARNESS_PID" "$name"
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_for() {
	local limit=$(( $1 * 10 )) i=0
	shift
	until "$@"; do
		i=$((i + 1))
		[ $i -ge $limit ] && return 1
		sleep 0.1
	done
	return 0
}

# ---- TAP ------------------------------------------------------------------

# ok STATUS NAME: pass when STATUS is 0 (e.g. `cmd; ok $? "name"`).
ok() {
	local st=$1
	shift
	_h_run=$((_h_run + 1))
	if [ "$st" = 0 ]; then
		echo "ok $_h_run - $*"
		return 0
	fi
	echo "not ok $_h_run - $*"
	_h_failed=$((_h_failed + 1))
	return 1
}

# ok_run NAME CMD...: pass when CMD succeeds.
ok_run() {
	local name=$1
	shift
	"$@"
	ok $? "$name"
}

# is GOT WANT NAME: string equality.
is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "  got:  '$1'"
		diag "  want: '$2'"
		return 1
	fi
}

# like TEXT PATTERN NAME: some line of TEXT matches the extended regex.
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "  pattern: $2"
		printf '%s\n' "$1" | head -40 | sed 's/^/#   | /'
		return 1
	fi
}

# unlike TEXT PATTERN NAME: no line of TEXT matches.
unlike() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok 1 "$3"
		diag "  unwanted pattern: $2"
		printf '%s\n' "$1" | grep -E -- "$2" | head -10 | sed 's/^/#   | /'
		return 1
	fi
	ok 0 "$3"
}

# diag TEXT: a TAP comment.
diag() {
	echo "# $*"
}

# skip REASON: one skipped test point.
skip() {
	_h_run=$((_h_run + 1))
	echo "ok $_h_run # SKIP $*"
}

# skip_all REASON: the whole test is skipped (visible in the test summary).
skip_all() {
	echo "1..0 # SKIP $*"
	_h_skipped_all=1
	exit 0
}

# bail_out REASON: stop the test run.
bail_out() {
	echo "Bail out! $*"
	exit 1
}

# done_testing: print the plan and a summary; exit 0 only if all passed.
done_testing() {
	echo "1..$_h_run"
	echo "# $((_h_run - _h_failed)) passed, $_h_failed failed"
	[ "$_h_failed" -eq 0 ] && exit 0
	exit 1
}

# ---- ports ----------------------------------------------------------------

# Is PORT bound (TCP or UDP, v4 or v6) or handed out already?
_h_port_in_use() {
	local hex
	hex=$(printf ':%04X ' "$1")
	grep -q -- "$hex" /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 2>/dev/null && return 0
	[ -n "$T" ] && [ -f "$T/.ports" ] && grep -qx "$1" "$T/.ports" && return 0
	return 1
}

# free_port: print a loopback port free for both TCP and UDP (20000-59999).
free_port() {
	local p i
	for i in $(seq 1 500); do
		p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
		_h_port_in_use "$p" && continue
		[ -n "$T" ] && echo "$p" >>"$T/.ports"
		echo "$p"
		return 0
	done
	echo "free_port: no free port found" >&2
	return 1
}

# tcp_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
tcp_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
