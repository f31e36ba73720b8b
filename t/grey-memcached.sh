#!/bin/bash
# grey-memcached.sh - greylisting against THREE real memcached servers on
# loopback: lifecycle with short delays, two MX hosts sharing the cluster,
# the add race, the 36-day lifetime (absolute-time conversion), replicas,
# and servers stopped (SIGSTOP) or killed (SIGKILL) mid-run: no crash, no
# hang past the timeout, fail-open or tempfail as configured, the other
# servers' keys still served.
# The harness starts the servers; t/grey_mc_driver.c runs the checks (it
# stops and kills servers by the pids given here) and prints the TAP stream.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
harness_init grey-memcached

driver="$top_builddir/t/grey_mc_driver"
command -v memcached >/dev/null || skip_all "memcached is not installed (apt-get install -y memcached)"
[ -x "$driver" ] || skip_all "$driver is not built"

args=()
for n in 1 2 3; do
	memcached_start || bail_out "could not start memcached #$n on loopback"
	args+=("$MEMCACHED_PORT:$HARNESS_PID")
	disown "$HARNESS_PID" 2>/dev/null # the driver kills one: no job notice on stderr
done
diag "memcached servers (port:pid): ${args[*]}"

"$driver" "${args[@]}"
st=$?
for a in "${args[@]}"; do
	kill -CONT "${a#*:}" 2>/dev/null # in case the driver died while one was stopped
done
exit $st
