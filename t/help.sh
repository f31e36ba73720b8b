#!/bin/bash
# t/help.sh - every program answers -h and --help with its usage on
# standard output and exit status 0: the daemon, the built tools in
# contrib/ and every executable script there (found, not listed, so a new
# tool is checked too); a stray argument to contrib/bench.sh is a usage
# error, not a start of the benchmark; authmilter-report piped into a
# reader that has gone (head) ends without a Python traceback.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
harness_init help

# The programs: the daemon, then executables in contrib/ of both trees.
progs=("$top_builddir/milter/authmilter")
declare -A seen
for f in "$top_builddir"/contrib/* "$top_srcdir"/contrib/*; do
	[ -f "$f" ] && [ -x "$f" ] || continue
	case $f in *.o | *.a) continue ;; esac
	[ -n "${seen[${f##*/}]:-}" ] && continue
	seen[${f##*/}]=1
	progs+=("$f")
done
[ -x "${progs[0]}" ] || skip_all "milter/authmilter not built"
for want in milterload storebench authmilter-report bench.sh gen-ini-man ci-deb.sh; do
	[ -n "${seen[$want]:-}" ]
	ok $? "contrib/$want is among the programs checked"
done

for p in "${progs[@]}"; do
	for opt in -h --help; do
		out=$(timeout 20 "$p" "$opt" 2>"$T/err")
		st=$?
		is "$st" 0 "${p##*/} $opt: exit 0"
		like "$out" '^usage: ' "${p##*/} $opt: usage on standard output" || sed 's/^/#   err: /' "$T/err"
	done
done

out=$(timeout 20 "$top_srcdir/contrib/bench.sh" 5 2>&1)
is $? 64 "contrib/bench.sh with an argument: exit 64, no benchmark"
like "$out" '^usage: ' "and prints its usage"

# A log big enough that the report has something to print, read by nobody.
for i in $(seq 1 200); do
	echo "Dec  6 10:00:00 mx authmilter[1]: Q$i: conn=C$i action=accept reason=pass stage=eom client=[192.0.2.$((i % 250))] from=a@d$i.example spf=pass(d$i.example) ms=3"
done >"$T/log"
{ sleep 1; "$top_srcdir/contrib/authmilter-report" "$T/log"; } 2>"$T/report.err" | true
unlike "$(cat "$T/report.err")" 'Traceback|BrokenPipe' "authmilter-report into a closed pipe: no traceback"
"$top_srcdir/contrib/authmilter-report" "$T/log" 2>&1 | head -1 >"$T/head.out"
like "$(cat "$T/head.out")" '.' "authmilter-report | head -1: one line"
done_testing
