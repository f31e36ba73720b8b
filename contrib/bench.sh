#!/bin/bash
# contrib/bench.sh - benchmark authmilter against its floor (contrib/nullmilter:
# the same milter negotiation, every stage received, nothing decided), no
# milter at all, and, where installed, Debian's opendkim + opendmarc; write
# BENCHMARKS.md with the figures and the issue-17 targets met or not.
#
# Everything runs on loopback: the test DNS server of t/lib/harness.sh
# (unbound answering from a zone file, warmed up before measuring),
# memcached for greylisting, each filter on a unix socket, a corpus signed
# at bench time (RSA-2048 by Mail::DKIM via t/data/dkim/sign-mail-dkim.pl;
# ed25519 by dkimpy via sign-dkimpy.py; ~4 KB and ~100 KB messages; the
# 4 KB RSA messages again with one ARC set on top, sealed by dkimpy's
# arc_sign via t/arc-seal.py with an RSA-2048 key made at bench time, for
# issue 14's cost of one ARC set).
#
# 1. Through Postfix (contrib/bench_postfix.sh): the project's private
#    Postfix (t/lib/harness_postfix.sh), one smtpd port per system,
#    smtp-source at 1, 10 and 50 sessions (4 KB) and 10 sessions (100 KB),
#    the systems interleaved; msg/s, session latency percentiles, the
#    milter's and Postfix's CPU per message (/proc/PID/stat utime+stime).
# 2. Over the socket: contrib/milterload straight at each filter's socket
#    at 1, 10 and 50 connections, every corpus, BENCH_SECONDS each, the
#    systems interleaved.
# 3. Soak: BENCH_SOAK messages (default 1,000,000, the issue's target;
#    about 5 minutes) at 50 connections against authmilter, VmRSS sampled.
#
# authmilter runs with every check on: SPF, DKIM, DMARC, BIMI, greylisting
# on memcached (clients = all, delay = 0; a warm-up passes every triplet
# first). The peers run in a private network and mount namespace (unshare;
# needs root) whose loopback has a copy of the DNS server on port 53.
#
# Usage: contrib/bench.sh   (or `make bench`). Env: top_srcdir, top_builddir
# (default: this checkout, or the current directory when it has
# config.status), BENCH_SECONDS (default 5), BENCH_PF_SCALE (Postfix
# message counts in percent, default 100), BENCH_PF_ROUNDS (runs of each
# Postfix step, default 5; the median is reported), BENCH_SOAK (default
# 1000000, as issue 17 asks; 0 skips), BENCH_OUT (default $top_srcdir/BENCHMARKS.md), BENCH_NOTE (a
# sentence for BENCHMARKS.md, e.g. what else ran on the machine),
# BENCH_PEERS=no to skip the peers, BENCH_POSTFIX=no to skip the Postfix
# mode. Not part of `make check`.
set -u
# Options: -h/--help only; any other argument is an error, not a start of
# the whole benchmark.
bench_usage() {
	cat <<'EOF'
usage: contrib/bench.sh [-h | --help]
Benchmarks authmilter (and opendkim + opendmarc where installed) on loopback
and writes BENCHMARKS.md; also `make bench`. No arguments; environment:
  BENCH_SECONDS   seconds per run (default 5)
  BENCH_OUT       the report (default $top_srcdir/BENCHMARKS.md)
  BENCH_PEERS=no  skip opendkim + opendmarc
  BENCH_PF_ROUNDS runs of each through-Postfix step, median reported (default 5)
  BENCH_SOAK      messages of the soak (default 1000000; 0 skips it)
  top_srcdir, top_builddir  the checkout and its build tree
EOF
}
if [ $# -gt 0 ]; then
	case $1 in -h | --help) bench_usage; exit 0 ;; esac
	bench_usage >&2
	exit 64
fi
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
if [ -z "${top_builddir:-}" ]; then
	if [ -f "$PWD/config.status" ]; then top_builddir=$PWD; else top_builddir=$top_srcdir; fi
fi
export top_srcdir top_builddir
BENCH_SECONDS=${BENCH_SECONDS:-5}
BENCH_SOAK=${BENCH_SOAK:-1000000}
BENCH_PF_ROUNDS=${BENCH_PF_ROUNDS:-5}
BENCH_OUT=${BENCH_OUT:-$top_srcdir/BENCHMARKS.md}
CONNS="1 10 50"
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_auth.sh"
. "$top_srcdir/contrib/bench_lib.sh"
. "$top_srcdir/contrib/bench_null.sh"
. "$top_srcdir/contrib/bench_postfix.sh"
. "$top_srcdir/contrib/bench_write.sh"
harness_init bench

ML=$top_builddir/contrib/milterload
AM=$top_builddir/milter/authmilter
for f in "$ML" "$AM" "$top_builddir/contrib/nullmilter" "$top_builddir/t/milter-drive"; do
	[ -x "$f" ] || { echo "bench: $f not built (run make)" >&2; exit 1; }
done
[ -x /usr/sbin/unbound ] || { echo "bench: unbound missing" >&2; exit 1; }
command -v memcached >/dev/null || { echo "bench: memcached missing" >&2; exit 1; }
perl -MMail::DKIM::Signer -e 1 2>/dev/null || { echo "bench: Mail::DKIM missing" >&2; exit 1; }
/usr/bin/python3 -c 'import dkim, nacl, authres' 2>/dev/null ||
	{ echo "bench: dkimpy missing (python3-dkim python3-nacl python3-authres)" >&2; exit 1; }
command -v openssl >/dev/null || { echo "bench: openssl missing (the ARC sealer key)" >&2; exit 1; }
if ldd "$AM" | grep -q -E 'libasan|libtsan'; then echo "bench: $AM is built with a sanitizer; use a plain build" >&2; exit 1; fi
PF=""
if [ "${BENCH_POSTFIX:-yes}" != no ]; then
	if command -v postfix >/dev/null && command -v smtp-source >/dev/null; then PF=yes
	else echo "# Postfix or smtp-source missing: no through-Postfix figures"; fi
fi
T0=$(date +%s)

echo "# DNS, memcached and the corpus"
bench_setup || exit 1

echo "# authmilter, the null milter with its negotiation, the peers"
daemon_start "$T/am.ini" || exit 1
mapfile -t NULL_ARGS < <(null_args "$AM_SOCKET")
[ "${#NULL_ARGS[@]}" -ge 4 ] || { echo "bench: cannot read authmilter's negotiation" >&2; exit 1; }
null_start null "${NULL_ARGS[@]}" || exit 1
bench_warmup "$AM_SOCKET" && bench_sample authmilter "$AM_SOCKET" || exit 1
SOCK_SYSTEMS="null|$NULL_PID|$NULL_SOCKET authmilter|$AM_DAEMON_PID|$AM_SOCKET"
PEERS=""
if [ "${BENCH_PEERS:-yes}" != no ] && [ -x /usr/sbin/opendkim ] && [ -x /usr/sbin/opendmarc ]; then
	if peers_start && bench_warmup "$PEER_SOCKETS" && bench_sample peers "$PEER_SOCKETS"; then
		PEERS=yes
		SOCK_SYSTEMS="$SOCK_SYSTEMS peers|$OPENDKIM_PID,$OPENDMARC_PID|${PEER_SOCKETS// /,}"
	else
		echo "# the peers did not start or did not pass: measured without them"
		peers_stop
	fi
fi

if [ -n "$PF" ]; then
	echo "# through Postfix"
	pf_bench_start || exit 1
	pf_add none "" && pf_add null "$NULL_SOCKET" && pf_add authmilter "$AM_SOCKET" || exit 1
	[ -n "$PEERS" ] && { pf_add peers "${PEER_SOCKETS// /,}" || exit 1; }
	pf_reload && pf_warmup && pf_sample authmilter || exit 1
	pf_matrix
	postfix_stop
fi

echo "# over the socket"
sock_matrix
if [ "$BENCH_SOAK" -gt 0 ]; then
	echo "# soak: $BENCH_SOAK messages at 50 connections"
	soak "$AM_DAEMON_PID" "$AM_SOCKET" "$BENCH_SOAK"
	cat "$T/soak.out"
fi
AM_RSS=$(vmhwm "$AM_DAEMON_PID")
NULL_RSS=$(vmhwm "$NULL_PID")
[ -n "$PEERS" ] && PEER_RSS="$(vmhwm "$OPENDKIM_PID") $(vmhwm "$OPENDMARC_PID")"
daemon_stop
null_stop
peers_stop
bench_write "$BENCH_OUT" "$(($(date +%s) - T0))"
echo "# wrote $BENCH_OUT in $(($(date +%s) - T0)) s"
