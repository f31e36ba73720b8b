#!/bin/bash
# contrib/bench_profile.sh - `make bench-profile`: where authmilter's user-
# space instructions go per message, immune to other load on the machine.
# The daemon runs under valgrind's callgrind with every check on (as in
# make bench: SPF, DKIM, DMARC, BIMI, greylisting on memcached); the bench
# corpus is sent once to warm every cache, then PROFILE_MESSAGES (default
# 400) messages of the 4 KB RSA corpus (PROFILE_CORPUS=big: the 100 KB one)
# at 4 connections (contrib/milterload).
# That is done twice, with 100 and with 100 + PROFILE_MESSAGES measured
# messages, and the difference of the two profiles divided by
# PROFILE_MESSAGES is the cost of one message, start-up and warm-up gone
# (callgrind_control cannot switch collection on here: it needs vgdb to
# reach a process that dropped privileges). Printed: instructions per
# message, the top functions by self and by inclusive count.
# Instructions only: system calls and waiting cost nothing here, so read it
# beside the CPU figures of make bench. Output files: PROFILE_OUT.100 and
# PROFILE_OUT.N (default $top_builddir/callgrind.out.bench).
set -u
if [ $# -gt 0 ]; then
	usage='usage: contrib/bench_profile.sh [-h | --help]   (make bench-profile)
Instructions per message under callgrind; environment: PROFILE_MESSAGES
(default 400), PROFILE_CORPUS=big (the 100 KB corpus), PROFILE_OUT.'
	case $1 in -h | --help) echo "$usage"; exit 0 ;; esac
	echo "$usage" >&2
	exit 64
fi
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
N=${PROFILE_MESSAGES:-400}
OUT=${PROFILE_OUT:-$top_builddir/callgrind.out.bench}
. "$top_srcdir/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_auth.sh"
. "$top_srcdir/contrib/bench_lib.sh"
harness_init bench-profile
ML=$top_builddir/contrib/milterload
command -v valgrind >/dev/null || { echo "bench-profile: valgrind missing" >&2; exit 1; }

bench_zone >"$T/zone" || exit 1
dns_start "$T/zone" || exit 1
memcached_start || exit 1
bench_corpus "$T/corpus" || exit 1
daemon_config "$T/am.ini" greylist.enable=yes greylist.store=memcached greylist.clients=all \
	greylist.delay=0 "greylist.memcached_servers=$AM_MEMCACHED_SERVERS" \
	greylist.memcached_pool_size=64 log.facility=mail
mkdir -p "$T/cg"

# profile COUNT: a profile of start-up, warm-up and COUNT messages in $OUT.COUNT.
profile() {
	# valgrind opens it as root, the daemon writes it at exit as its user
	: >"$T/cg/out.$1" && chmod 666 "$T/cg/out.$1"
	AM_DAEMON_WRAPPER="valgrind --tool=callgrind --callgrind-out-file=$T/cg/out.$1" \
		daemon_start "$T/am.ini" || return 1
	bench_warmup "$AM_SOCKET" || return 1
	"$ML" -s "$AM_SOCKET" -q -c 4 -n "$1" -t 60 -M "$T/corpus/${PROFILE_CORPUS:-rsa4k}.manifest"
	daemon_stop
	cp "$T/cg/out.$1" "$OUT.$1"
}

# counts FILE INCLUSIVE: "count function" lines of a profile.
counts() {
	callgrind_annotate --inclusive="$2" --threshold=100 "$OUT.$1" 2>/dev/null |
		awk '/^ *[0-9,]+ .*:/ && !/=>/ { n = $1; gsub(",", "", n); $1 = ""; sub(/ \([^)]*\)$/, ""); print n "\t" substr($0, 2) }'
}

# per_message INCLUSIVE: the top functions per message, from the difference.
per_message() {
	awk -F'\t' -v n="$N" 'NR == FNR { a[$2] = $1; next } { d = ($1 - a[$2]) / n; if (d >= 50) printf "%10.0f  %s\n", d, $2 }' \
		<(counts 100 "$1") <(counts "$((100 + N))" "$1") | sort -rn | head -"$2"
}

profile 100 && profile $((100 + N)) || exit 1
t1=$(callgrind_annotate "$OUT.100" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
t2=$(callgrind_annotate "$OUT.$((100 + N))" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
echo "# instructions per message: $(((t2 - t1) / N)) (profiles of 100 and $((100 + N)) messages)"
echo "# self, per message, top 40:"
per_message no 40
echo "# inclusive, per message, top 50:"
per_message yes 50
