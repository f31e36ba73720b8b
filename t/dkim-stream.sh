#!/bin/bash
# dkim-stream.sh - a 20 MB message, signed at test time by Mail::DKIM, is
# verified through lib/am_dkim.c in 64 KiB chunks (t/dkim-verify-driver);
# the verifier's peak RSS may grow by at most 5 MiB while the body streams
# past (no copy of the body is kept). Keys come from the table resolver.
# The daemon-level version of this check (over the milter socket) is the
# integration tests'. TAP output.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
harness_init dkim-stream
DRIVER=$top_builddir/t/dkim-verify-driver
DATA=$top_srcdir/t/data/dkim
LIMIT_KB=5120

perl -MMail::DKIM::Signer -e 1 2>/dev/null ||
	skip_all "Mail::DKIM missing (apt-get install libmail-dkim-perl)"
tmp=$T

# 20 MiB of body lines that differ from each other, CRLF-free (the driver
# converts line ends as an MTA would).
perl -e '
	print "From: Big Sender <big\@example.com>\nTo: r\@example.net\n",
	      "Subject: twenty megabytes\nDate: Sat, 22 Nov 2025 12:00:00 +0000\n",
	      "Message-ID: <big\@example.com>\n\n";
	my ($n, $size) = (0, 0);
	while ($size < 20 * 1024 * 1024) {
		my $l = sprintf("%08d the quick brown fox jumps over the lazy dog %s\n",
				$n, "x" x ($n % 17));
		$n++;
		print $l;
		$size += length $l;
	}' > "$tmp/big.eml"
perl "$DATA/sign-mail-dkim.pl" "$DATA/rsa2048.pem" example.com rsa2048 rsa-sha256 \
	relaxed/relaxed < "$tmp/big.eml" > "$tmp/signed.eml" 2> "$tmp/sign.err"
ok $? "20 MiB message signed by Mail::DKIM ($(wc -c < "$tmp/signed.eml") bytes)" ||
	diag "$(head -c 300 "$tmp/sign.err")"

"$DRIVER" --dns-table "$DATA/keys.zone" --rss "$tmp/signed.eml" > "$tmp/out" 2>&1
status=$(awk -F'\t' '$2 == "0" { print $3 }' "$tmp/out")
is "$status" pass "verified in 64 KiB chunks: pass" || sed 's/^/# /' "$tmp/out"

before=$(awk -F'\t' '$2 == "rss" { sub("before_body_kb=", "", $3); print $3 }' "$tmp/out")
peak=$(awk -F'\t' '$2 == "rss" { sub("peak_kb=", "", $4); print $4 }' "$tmp/out")
if [ -z "$before" ] || [ -z "$peak" ]; then
	ok 1 "RSS figures from the driver"
elif ldd "$DRIVER" 2>/dev/null | grep -q libasan; then
	skip "peak RSS ${before} -> ${peak} KiB: not meaningful under AddressSanitizer"
else
	grow=$((peak - before))
	diag "verifier peak RSS: ${before} KiB before the body, ${peak} KiB after 20 MiB (+${grow} KiB)"
	[ "$grow" -le "$LIMIT_KB" ]
	ok $? "peak RSS grew by ${grow} KiB while 20 MiB streamed past (limit ${LIMIT_KB})"
fi

# One body byte changed near the end: the whole body was hashed, not a prefix.
perl -pe 's/^(00332000 the quick)/00332000 the Quick/' "$tmp/signed.eml" > "$tmp/changed.eml"
"$DRIVER" --dns-table "$DATA/keys.zone" "$tmp/changed.eml" > "$tmp/out2" 2>&1
status=$(awk -F'\t' '$2 == "0" { print $3 }' "$tmp/out2")
! cmp -s "$tmp/signed.eml" "$tmp/changed.eml"
ok $? "the test changed one body byte near the end"
is "$status" fail "one byte changed near the end of 20 MiB: fail"
done_testing
