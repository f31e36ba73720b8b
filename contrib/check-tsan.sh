#!/bin/bash
# contrib/check-tsan.sh - `make check-tsan`: the daemon built with
# ThreadSanitizer (gcc -fsanitize=thread) in a copy of the tracked sources
# ($top_builddir/build-tsan, made by contrib/configure_copy.sh as .ci/run
# makes its ASan copy), then the 1000-connection load test
# (t/load-connections.sh) against it. Every TSan report of any
# process goes to $top_builddir/build-tsan/tsan/report.PID; the run passes
# when the test passes and there is no report. Reports inside Debian's
# uninstrumented libraries are suppressed only as t/tsan.supp says (each
# entry with the reason it is safe).
#
# Env: TSAN_CONNS (default 1000), TSAN_SECONDS per phase (default 5),
# TSAN_PHASES (default 3), TSAN_REBUILD=no to reuse an existing build.
set -u
if [ $# -gt 0 ]; then
	usage='usage: contrib/check-tsan.sh [-h | --help]   (make check-tsan)
The daemon built with ThreadSanitizer, under the 1000-connection load test;
environment: TSAN_CONNS, TSAN_SECONDS, TSAN_PHASES, TSAN_REBUILD=no.'
	case $1 in -h | --help) echo "$usage"; exit 0 ;; esac
	echo "$usage" >&2
	exit 64
fi
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
B=$top_builddir/build-tsan
cd "$top_srcdir" || exit 1
. "$top_srcdir/contrib/configure_copy.sh"
if [ "${TSAN_REBUILD:-yes}" != no ] || [ ! -x "$B/milter/authmilter" ]; then
	(configure_copy "$B" "-g -O1 -fsanitize=thread -fno-omit-frame-pointer" "-fsanitize=thread" &&
		cd "$B" && make -j2 >build.log 2>&1 && make -j2 t/milter-drive >>build.log 2>&1) ||
		{ echo "check-tsan: the TSan build failed (see $B/build.log)"; exit 1; }
fi
# The daemon drops privileges (to nobody when started as root): a report
# directory anyone may write, or its reports are lost.
rm -rf "$B/tsan"
mkdir -p "$B/tsan" && chmod 1777 "$B/tsan"
export TSAN_OPTIONS="suppressions=$top_srcdir/t/tsan.supp log_path=$B/tsan/report halt_on_error=0 second_deadlock_stack=1 history_size=4"
: "${AM_SHARED:=$top_srcdir/../shared}"
export AM_SHARED
(cd "$B" && LOAD_CONNS=${TSAN_CONNS:-1000} LOAD_SECONDS=${TSAN_SECONDS:-5} LOAD_PHASES=${TSAN_PHASES:-3} \
	make check TESTS=t/load-connections.sh) >"$B/check.log" 2>&1
st=$?
grep -E '^(ok|not ok|#)' "$B/t/load-connections.log"
reports=$(ls "$B"/tsan/report.* 2>/dev/null)
if [ -n "$reports" ]; then
	echo "check-tsan: ThreadSanitizer reports:"
	for f in $reports; do echo "== $f"; grep -E '^(WARNING|SUMMARY|    #[0-9])' "$f" | head -40; done
	st=1
fi
echo "check-tsan: $([ $st -eq 0 ] && echo clean || echo FAILED)"
exit $st
