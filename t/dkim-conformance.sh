#!/bin/bash
# dkim-conformance.sh - every DKIM vector of ../shared/conformance
# (dkim-dkimpy, dkim-mail-dkim) verified through lib/am_dkim.c by
# t/dkim-verify-driver, with the keys served by a real unbound on loopback
# (t/lib/harness.sh dns_start) and looked up by our libunbound resolver.
# Expectations and the mapping from Mail::DKIM's verdicts: t/dkim-conformance.py;
# skipped cases and why: t/dkim-conformance-skip.txt. TAP output.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
harness_init dkim-conformance

PY=/usr/bin/python3
CONF=$top_srcdir/t/dkim-conformance.py
[ -n "${AM_SHARED:-}" ] && [ -d "$AM_SHARED/conformance/dkim-mail-dkim" ] ||
	skip_all "no conformance data (AM_SHARED=${AM_SHARED:-unset})"
"$PY" -c 'import yaml' 2>/dev/null || skip_all "python3-yaml missing (apt-get install python3-yaml)"

"$PY" "$CONF" zone "$AM_SHARED" >"$T/keys.zone" || bail_out "cannot build the zone"
dns_start "$T/keys.zone" || bail_out "the test DNS server did not start"
"$PY" "$CONF" files "$AM_SHARED" >"$T/files" || bail_out "cannot list the cases"
mapfile -t files <"$T/files"

# dkimpy's key records, round trip: data/test.message signed now by
# Mail::DKIM (an independent signer) with data/test.private, one selector
# per record; the skip list names them when Mail::DKIM is missing.
DKIMPY=$AM_SHARED/conformance/dkim-dkimpy/data
mkdir -p "$T/roundtrip"
if perl -MMail::DKIM::Signer -e 1 2>/dev/null; then
	for sel in $("$PY" "$CONF" roundtrip); do
		perl "$top_srcdir/t/data/dkim/sign-mail-dkim.pl" "$DKIMPY/test.private" example.com \
			"$sel" rsa-sha256 relaxed/simple <"$DKIMPY/test.message" \
			>"$T/roundtrip/$sel.eml" || bail_out "Mail::DKIM could not sign for $sel"
		files+=("roundtrip/$sel.eml")
	done
	cp "$top_srcdir/t/dkim-conformance-skip.txt" "$T/skip"
else
	{ cat "$top_srcdir/t/dkim-conformance-skip.txt"
	  for sel in $("$PY" "$CONF" roundtrip); do
		echo "roundtrip/$sel.eml Mail::DKIM missing (apt-get install libmail-dkim-perl)"
	  done; } >"$T/skip"
fi

# One driver run verifies every message (the resolver's cache is shared, as
# in the daemon). 1.5 s per query: the one timeout case costs that much.
cd "$T" || bail_out "no $T"
"$top_builddir/t/dkim-verify-driver" --nameservers "$AM_NAMESERVERS" --timeout-ms 1500 \
	"${files[@]}" >"$T/results" 2>"$T/driver.err"
st=$?
if [ $st -ne 0 ]; then
	echo "# the driver failed (status $st):"
	sed 's/^/#   /' "$T/driver.err"
	_h_failed=1
fi
"$PY" "$CONF" check "$AM_SHARED" "$T/skip" "$T/results"
rc=$?
[ $rc -eq 0 ] && [ $st -eq 0 ] && exit 0
_h_failed=1
exit 1
