#!/bin/bash
# arc-conformance.sh - every validation case of the ValiMail ARC suite
# (../shared/conformance/arc-valimail) verified through lib/am_arc*.c by
# t/arc-verify-driver, with the keys served by a real unbound on loopback
# and looked up by our libunbound resolver. Expected results and the
# divergence list: t/arc-conformance.py, t/arc-divergences.txt. TAP output.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/conformance.sh"
harness_init arc-conformance

[ -n "${AM_SHARED:-}" ] && [ -f "$AM_SHARED/conformance/arc-valimail/arc-draft-validation-tests.yml" ] ||
	skip_all "no ARC conformance data (AM_SHARED=${AM_SHARED:-unset})"
conformance_zone "$top_srcdir/t/arc-conformance.py"
mapfile -t files < <("$PY" "$CONF" messages "$AM_SHARED" "$T/msg") || bail_out "cannot write the cases"

# The cases are written relative to $T/msg.
cd "$T/msg" || bail_out "no $T/msg"
conformance_check arc-verify-driver "$top_srcdir/t/arc-divergences.txt" "${files[@]}"
