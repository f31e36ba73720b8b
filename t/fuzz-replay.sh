#!/bin/bash
# t/fuzz-replay.sh - every fuzz target (fuzz/fuzz_*.c), built with the
# normal compiler against fuzz/replay.c, runs over its hand-made seeds
# (fuzz/seeds/), the crash inputs kept as regressions (fuzz/regressions/)
# and the seeds generated from the conformance data (fuzz/make-seeds.py).
# A target's checks abort on a broken invariant, so a failure here is a
# crash, an overflow (in the ASan build) or a broken promise. Not a fuzzer
# run: `make fuzz` and fuzz/run-short.sh do that.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
harness_init fuzz-replay

gen=""
if [ ! -d "${AM_SHARED:-}/conformance" ]; then
	skip "seeds from the conformance data: AM_SHARED has no conformance/ folder"
elif ! /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
	skip "seeds from the conformance data: /usr/bin/python3 lacks yaml (apt-get install python3-yaml)"
else
	/usr/bin/python3 "$top_srcdir/fuzz/make-seeds.py" "$AM_SHARED" "$top_srcdir" "$T/seeds" >"$T/seeds.log" 2>&1
	ok $? "seeds generated from the conformance data: $(tr '\n' ' ' <"$T/seeds.log")"
	gen=$T/seeds
fi

for src in "$top_srcdir"/fuzz/fuzz_*.c; do
	t=$(basename "$src" .c)
	t=${t#fuzz_}
	bin="$top_builddir/fuzz/replay-$t"
	if [ ! -x "$bin" ]; then
		ok 1 "replay $t: $bin not built (add it to FUZZ_REPLAY in am/reliability.am)"
		continue
	fi
	dirs=()
	for d in "$top_srcdir/fuzz/seeds/$t" "$top_srcdir/fuzz/regressions/$t" "$gen/$t"; do
		[ -d "$d" ] && dirs+=("$d")
	done
	# a bound: some regressions were endless loops
	out=$(timeout 120 "$bin" "${dirs[@]}" 2>&1)
	st=$?
	[ $st = 124 ] && out="$out
# TIMEOUT: an input ran for 120 s"
	ok $st "replay $t: $(printf '%s\n' "$out" | sed -n 's/^# //p' | tail -1)" ||
		printf '%s\n' "$out" | tail -30 | sed 's/^/#   /'
done
done_testing
