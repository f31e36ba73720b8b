#!/bin/bash
# dkim-conformance.sh - every DKIM vector of ../shared/conformance
# (dkim-dkimpy, dkim-mail-dkim) verified through lib/am_dkim.c by
# t/dkim-verify-driver, with the keys served by a real unbound on loopback
# (t/lib/harness.sh dns_start) and looked up by our libunbound resolver.
# Expectations and the mapping from Mail::DKIM's verdicts: t/dkim-conformance.py;
# skipped cases and why: t/dkim-conformance-skip.txt. TAP output.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/conformance.sh"
harness_init dkim-conformance

[ -n "${AM_SHARED:-}" ] && [ -d "$AM_SHARED/conformance/dkim-mail-dkim" ] ||
	skip_all "no conformance data (AM_SHARED=${AM_SHARED:-unset})"
conformance_zone "$top_srcdir/t/dkim-conformance.py"
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

# The cases (and roundtrip/) are relative to $T.
cd "$T" || bail_out "no $T"
conformance_check dkim-verify-driver "$T/skip" "${files[@]}"
