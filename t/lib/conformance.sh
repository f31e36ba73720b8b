# t/lib/conformance.sh - sourced after t/lib/harness.sh by the conformance
# tests (t/dkim-conformance.sh, t/arc-conformance.sh): the plumbing they
# share around a suite's python case script (zone, check) and its C verify
# driver. The tests keep what differs: where the data is, which cases.
#
#   conformance_zone SCRIPT         python3-yaml or skip_all; SCRIPT's key
#                                   zone served by the test DNS server
#                                   -> PY CONF
#   conformance_check DRIVER SKIP FILE...
#                                   run the driver over every case, then
#                                   SCRIPT's check against SKIP; exits

# conformance_zone SCRIPT: the suite's keys on the test DNS server.
conformance_zone() {
	PY=/usr/bin/python3
	CONF=$1
	"$PY" -c 'import yaml' 2>/dev/null || skip_all "python3-yaml missing (apt-get install python3-yaml)"
	"$PY" "$CONF" zone "$AM_SHARED" >"$T/keys.zone" || bail_out "cannot build the zone"
	dns_start "$T/keys.zone" || bail_out "the test DNS server did not start"
}

# conformance_check DRIVER SKIP FILE...: one driver run verifies every case
# (the resolver's cache shared, as in the daemon; 1.5 s per query: a timeout
# case costs that much), then the script's TAP verdict; exits 0 or 1.
conformance_check() {
	local driver=$1 skip=$2 st rc
	shift 2
	"$top_builddir/t/$driver" --nameservers "$AM_NAMESERVERS" --timeout-ms 1500 \
		"$@" >"$T/results" 2>"$T/driver.err"
	st=$?
	if [ $st -ne 0 ]; then
		echo "# the driver failed (status $st):"
		sed 's/^/#   /' "$T/driver.err"
		_h_failed=1
	fi
	"$PY" "$CONF" check "$AM_SHARED" "$skip" "$T/results"
	rc=$?
	[ $rc -eq 0 ] && [ $st -eq 0 ] && exit 0
	_h_failed=1
	exit 1
}
