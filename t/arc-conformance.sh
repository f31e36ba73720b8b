#!/bin/bash
# arc-conformance.sh - every validation case of the ValiMail ARC suite
# (../shared/conformance/arc-valimail) verified through lib/am_arc*.c by
# t/arc-verify-driver, with the keys served by a real unbound on loopback
# and looked up by our libunbound resolver. Expected results and the
# divergence list: t/arc-conformance.py, t/arc-divergences.txt. TAP output.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
harness_init arc-conformance

PY=/usr/bin/python3
CONF=$top_srcdir/t/arc-conformance.py
[ -n "${AM_SHARED:-}" ] && [ -f "$AM_SHARED/conformance/arc-valimail/arc-draft-validation-tests.yml" ] ||
	skip_all "no ARC conformance data (AM_SHARED=${AM_SHARED:-unset})"
"$PY" -c 'import yaml' 2>/dev/null || skip_all "python3-yaml missing (apt-get install python3-yaml)"

"$PY" "$CONF" zone "$AM_SHARED" >"$T/keys.zone" || bail_out "cannot build the zone"
dns_start "$T/keys.zone" || bail_out "the test DNS server did not start"
mapfile -t files < <("$PY" "$CONF" messages "$AM_SHARED" "$T/msg") || bail_out "cannot write the cases"

# One driver run verifies every case (the resolver's cache shared, as in
# the daemon).
cd "$T/msg" || bail_out "no $T/msg"
"$top_builddir/t/arc-verify-driver" --nameservers "$AM_NAMESERVERS" --timeout-ms 1500 \
	"${files[@]}" >"$T/results" 2>"$T/driver.err"
st=$?
if [ $st -ne 0 ]; then
	echo "# the driver failed (status $st):"
	sed 's/^/#   /' "$T/driver.err"
	_h_failed=1
fi
"$PY" "$CONF" check "$AM_SHARED" "$top_srcdir/t/arc-divergences.txt" "$T/results"
rc=$?
[ $rc -eq 0 ] && [ $st -eq 0 ] && exit 0
_h_failed=1
exit 1
