# contrib/bench_null.sh - sourced by contrib/bench.sh and t/nullmilter.sh
# (after t/lib/harness.sh): the floor of the benchmark, contrib/nullmilter,
# started with exactly the negotiation a running authmilter offers, read
# off the wire with t/milter-drive. Measures nothing itself.

# null_args SOCKET: nullmilter's -A/-P/-M options, one a line, copying what
# the milter on SOCKET negotiated with t/milter-drive (which offers all).
null_args() {
	local out
	out=$(printf 'connect client.example 192.0.2.1\nquit\n' |
		"$top_builddir/t/milter-drive" -s "$1" -t 20 -S - 2>&1) || {
		echo "null_args: cannot negotiate with $1: $out" >&2
		return 1
	}
	printf '%s\n' "$out" | sed -n 's/^negotiate: version [0-9]* actions \(0x[0-9a-f]*\) protocol \(0x[0-9a-f]*\)$/-A\n\1\n-P\n\2/p'
	printf '%s\n' "$out" | sed -n 's/^symlist \([a-z]*\): \(.*\)$/-M\n\1:\2/p'
}

# null_start NAME ARGS...: contrib/nullmilter on unix:$T/NAME.sock (world-
# writable, for Postfix; filter_start), output in $T/NAME.log. Sets
# NULL_SOCKET, NULL_PID.
null_start() {
	local name=${1:?null_start NAME ARGS...}
	shift
	filter_start NULL "$name" "$T/$name.log" "$top_builddir/contrib/nullmilter" "$@"
}

# null_stop: stop the null milter at once (it has nothing to save).
null_stop() {
	filter_stop NULL
}
