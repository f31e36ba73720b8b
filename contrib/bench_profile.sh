#!/bin/bash
# contrib/bench_profile.sh - `make bench-profile`: where authmilter's user-
# space instructions go per message, immune to other load on the machine.
# The daemon runs under valgrind's callgrind with every check on (as in
# make bench: SPF, DKIM, DMARC, BIMI, greylisting on memcached); the bench
# corpus is sent once to warm every cache, then PROFILE_MESSAGES (default
# 400) messages of the 4 KB RSA corpus (PROFILE_CORPUS=big: the 100 KB one;
# PROFILE_CORPUS=arc: the same 4 KB messages with one ARC set, see
# arc_cost) at 4 connections (contrib/milterload).
# That is done twice, with 100 and with 100 + PROFILE_MESSAGES measured
# messages, and the difference of the two profiles divided by
# PROFILE_MESSAGES is the cost of one message, start-up and warm-up gone
# (callgrind_control cannot switch collection on here: it needs vgdb to
# reach a process that dropped privileges). Printed: instructions per
# message, the top functions by self and by inclusive count.
# Instructions only: system calls and waiting cost nothing here, so read it
# beside the CPU figures of make bench. Output files: PROFILE_OUT.100 and
# PROFILE_OUT.N (default $top_builddir/callgrind.out.bench; with arc also
# PROFILE_OUT.rsa4k.100 and PROFILE_OUT.rsa4k.N).
set -u
if [ $# -gt 0 ]; then
	usage='usage: contrib/bench_profile.sh [-h | --help]   (make bench-profile)
Instructions per message under callgrind; environment: PROFILE_MESSAGES
(default 400), PROFILE_CORPUS=big (the 100 KB corpus) or arc (the 4 KB
corpus with one ARC set, compared with it unsealed), PROFILE_OUT.'
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

bench_setup || exit 1
mkdir -p "$T/cg"
CORPUS=${PROFILE_CORPUS:-rsa4k}

# profile CORPUS COUNT FILE: a profile of start-up, warm-up and COUNT
# messages of CORPUS in FILE.
profile() {
	local cg=$T/cg/${3##*/}
	# valgrind opens it as root, the daemon writes it at exit as its user
	: >"$cg" && chmod 666 "$cg"
	AM_DAEMON_WRAPPER="valgrind --tool=callgrind --callgrind-out-file=$cg" \
		daemon_start "$T/am.ini" || return 1
	bench_warmup "$AM_SOCKET" || return 1
	"$ML" -s "$AM_SOCKET" -q -c 4 -n "$2" -t 60 -M "$T/corpus/$1.manifest"
	daemon_stop
	cp "$cg" "$3"
}

# total FILE: the instructions of a whole profile.
total() {
	callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}

# counts FILE INCLUSIVE: "count<TAB>function" lines of a profile (the
# percentage dropped: it differs between profiles, the name must not).
counts() {
	callgrind_annotate --inclusive="$2" --threshold=100 "$1" 2>/dev/null |
		awk '/^ *[0-9,]+ \( *[0-9.]+%\) .*:/ && !/=>/ { n = $1; gsub(",", "", n)
			sub(/^ *[0-9,]+ \( *[0-9.]+%\) +/, ""); print n "\t" $0 }'
}

# per_fn PREFIX INCLUSIVE: "count<TAB>function" per message of every
# function, from the difference of PREFIX.100 and PREFIX.(100+N).
per_fn() {
	awk -F'\t' -v n="$N" 'NR == FNR { a[$2] = $1; next } { printf "%.0f\t%s\n", ($1 - a[$2]) / n, $2 }' \
		<(counts "$1.100" "$2") <(counts "$1.$((100 + N))" "$2")
}

# per_message INCLUSIVE COUNT: the top functions per message.
per_message() {
	per_fn "$OUT" "$1" | awk -F'\t' '$1 >= 50 { printf "%10d  %s\n", $1, $2 }' | sort -rn | head -"$2"
}

# arc_cost: with PROFILE_CORPUS=arc, the same messages unsealed (rsa4k) are
# profiled too, and the difference is issue 14's cost of one ARC set, in
# instructions, with the functions that grew most.
arc_cost() {
	local base
	profile rsa4k 100 "$OUT.rsa4k.100" && profile rsa4k $((100 + N)) "$OUT.rsa4k.$((100 + N))" || return 1
	base=$((($(total "$OUT.rsa4k.$((100 + N))") - $(total "$OUT.rsa4k.100")) / N))
	echo "# the same messages unsealed (rsa4k): $base instructions per message"
	echo "# one ARC set (arc - rsa4k): $((PER - base)) instructions per message"
	echo "# inclusive, per message, arc - rsa4k, top 30:"
	awk -F'\t' 'NR == FNR { a[$2] = $1; next } { d = $1 - a[$2]; if (d >= 50) printf "%10d  %s\n", d, $2 }' \
		<(per_fn "$OUT.rsa4k" yes) <(per_fn "$OUT" yes) | sort -rn | head -30
}

profile "$CORPUS" 100 "$OUT.100" && profile "$CORPUS" $((100 + N)) "$OUT.$((100 + N))" || exit 1
PER=$((($(total "$OUT.$((100 + N))") - $(total "$OUT.100")) / N))
echo "# instructions per message ($CORPUS): $PER (profiles of 100 and $((100 + N)) messages)"
echo "# self, per message, top 40:"
per_message no 40
echo "# inclusive, per message, top 50:"
per_message yes 50
if [ "$CORPUS" = arc ]; then arc_cost || exit 1; fi
