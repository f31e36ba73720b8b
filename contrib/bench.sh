#!/bin/bash
# contrib/bench.sh - benchmark authmilter (and, where installed, Debian's
# opendkim + opendmarc on the same corpus and load) and write BENCHMARKS.md.
#
# Everything runs on loopback: the test DNS server of t/lib/harness.sh
# (unbound answering from a zone file, warmed up before measuring),
# memcached for greylisting, the daemon on a unix socket, and
# contrib/milterload replaying a corpus signed at bench time (RSA-2048 by
# Mail::DKIM via t/data/dkim/sign-mail-dkim.pl; ed25519 by dkimpy via
# sign-dkimpy.py, as Debian's Mail::DKIM cannot sign ed25519) at 1, 10 and 50
# concurrent connections, BENCH_SECONDS (default 5) per run. Per run: messages
# per second, latency percentiles, the daemon's CPU seconds per 1000 messages
# (utime + stime from /proc/PID/stat), and at the end its peak RSS (VmHWM).
#
# authmilter runs with every check on: SPF, DKIM, DMARC, BIMI, greylisting
# on memcached (clients = all, delay = 0). A warm-up pass sends each message
# twice, so every triplet is known and passed: the measured messages do the
# store look-ups but are not tempfailed (tempfails would be counted apart).
#
# The peers (when /usr/sbin/opendkim and /usr/sbin/opendmarc exist) run in a
# private network and mount namespace (unshare; needs root): opendmarc reads
# /etc/resolv.conf, so a copy of the test DNS server answers on port 53 of
# the namespace's own loopback, and /etc/resolv.conf is bind-mounted there
# only. milterload drives them as smtpd_milters would: opendkim then
# opendmarc, the latter seeing the former's Authentication-Results header.
#
# Usage: contrib/bench.sh   (or `make bench`). Env: top_srcdir, top_builddir
# (default: this checkout, or the current directory when it has
# config.status), BENCH_SECONDS, BENCH_OUT (default $top_srcdir/BENCHMARKS.md),
# BENCH_PEERS=no to skip the peers. Not part of `make check`.
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
BENCH_OUT=${BENCH_OUT:-$top_srcdir/BENCHMARKS.md}
CONNS="1 10 50"
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_auth.sh"
. "$top_srcdir/contrib/bench_lib.sh"
harness_init bench

ML=$top_builddir/contrib/milterload
AM=$top_builddir/milter/authmilter
for f in "$ML" "$AM"; do [ -x "$f" ] || { echo "bench: $f not built (run make)" >&2; exit 1; }; done
[ -x /usr/sbin/unbound ] || { echo "bench: unbound missing" >&2; exit 1; }
command -v memcached >/dev/null || { echo "bench: memcached missing" >&2; exit 1; }
perl -MMail::DKIM::Signer -e 1 2>/dev/null || { echo "bench: Mail::DKIM missing" >&2; exit 1; }
/usr/bin/python3 -c 'import dkim, nacl' 2>/dev/null || { echo "bench: dkimpy missing (python3-dkim python3-nacl)" >&2; exit 1; }
if ldd "$AM" | grep -q libasan; then echo "bench: $AM is built with ASan; use a plain build" >&2; exit 1; fi
T0=$(date +%s)

echo "# DNS, memcached and the corpus"
bench_zone >"$T/zone"
dns_start "$T/zone" || exit 1
memcached_start || exit 1
bench_corpus "$T/corpus" || { echo "bench: signing the corpus failed" >&2; exit 1; }

echo "# authmilter"
daemon_config "$T/am.ini" greylist.enable=yes greylist.store=memcached greylist.clients=all \
	greylist.delay=0 "greylist.memcached_servers=$AM_MEMCACHED_SERVERS" \
	greylist.memcached_pool_size=64 log.facility=mail
daemon_start "$T/am.ini" || exit 1
bench_warmup "$AM_SOCKET" || exit 1
bench_sample authmilter "$AM_SOCKET" || exit 1
bench_matrix authmilter "$AM_DAEMON_PID" "$AM_SOCKET"
AM_RSS=$(vmhwm "$AM_DAEMON_PID")
daemon_stop

PEERS=""
if [ "${BENCH_PEERS:-yes}" != no ] && [ -x /usr/sbin/opendkim ] && [ -x /usr/sbin/opendmarc ]; then
	echo "# opendkim + opendmarc"
	if peers_start; then
		PEERS=yes
		bench_warmup "$PEER_SOCKETS" && bench_sample peers "$PEER_SOCKETS" || PEERS=""
	fi
	if [ -n "$PEERS" ]; then
		bench_matrix peers "$OPENDKIM_PID $OPENDMARC_PID" "$PEER_SOCKETS"
		PEER_RSS="$(vmhwm "$OPENDKIM_PID") $(vmhwm "$OPENDMARC_PID")"
	fi
	peers_stop
fi
bench_write "$BENCH_OUT" "$(($(date +%s) - T0))"
echo "# wrote $BENCH_OUT in $(($(date +%s) - T0)) s"
