#!/bin/bash
# fuzz/run-short.sh - the CI fuzz step: `make fuzz`, then each libFuzzer
# target for a bounded time over its seeds (fuzz/seeds, fuzz/regressions
# and the corpus generated from $AM_SHARED/conformance). Run it from a
# configured build directory (the top one for an in-tree build).
#
#   fuzz/run-short.sh [SECONDS-PER-TARGET]     (default 10; env FUZZ_SECONDS)
#
# New corpus entries go to fuzz/corpus/TARGET and crash inputs to
# fuzz/crashes/ in the build directory (to be kept as regressions, see
# fuzz/README). Ends with "fuzz: N targets, N failed"; exit 1 if any failed.
set -u
secs=${1:-${FUZZ_SECONDS:-10}}
srcdir=$(cd "$(dirname "$0")/.." && pwd)
shared=${AM_SHARED:-$srcdir/../shared}
export top_srcdir="$srcdir" # fuzz_message reads the DKIM fixture keys
[ -f Makefile ] || { echo "run-short.sh: run it in a configured build directory" >&2; exit 1; }
make -s fuzz || { echo "fuzz: make fuzz failed"; exit 1; }

gen=""
if [ -d "$shared/conformance" ] && /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
	rm -rf fuzz/generated
	/usr/bin/python3 "$srcdir/fuzz/make-seeds.py" "$shared" "$srcdir" fuzz/generated >/dev/null &&
		gen=fuzz/generated
else
	echo "# no seeds from the conformance data ($shared/conformance or python3-yaml missing)"
fi

n=0 failed=0
mkdir -p fuzz/crashes
for src in "$srcdir"/fuzz/fuzz_*.c; do
	t=$(basename "$src" .c)
	t=${t#fuzz_}
	n=$((n + 1))
	dirs=("fuzz/corpus/$t")
	mkdir -p "fuzz/corpus/$t"
	for d in "$srcdir/fuzz/seeds/$t" "$srcdir/fuzz/regressions/$t" "${gen:+$gen/$t}"; do
		[ -n "$d" ] && [ -d "$d" ] && dirs+=("$d")
	done
	log=fuzz/run-$t.log
	"./fuzz/fuzz-$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="fuzz/crashes/$t-" "${dirs[@]}" >"$log" 2>&1
	st=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ $st -eq 0 ]; then
		echo "fuzz $t: ok, ${runs:-?} executions in ${secs} s"
	else
		failed=$((failed + 1))
		echo "fuzz $t: FAILED (exit $st); log $log, input in fuzz/crashes/:"
		grep -E 'ERROR|SUMMARY|fuzz check failed|Test unit written' "$log" | head -10 | sed 's/^/  /'
	fi
done
echo "fuzz: $n targets, $failed failed"
[ $failed -eq 0 ]
