#!/bin/bash
# t/daemon-dkim.sh - DKIM through the real daemon over its milter socket,
# keys served by a real unbound. Messages are signed at test time by
# independent signers from Debian: Mail::DKIM (libmail-dkim-perl) for
# rsa-sha256, dkimpy (python3-dkim) for ed25519-sha256, each with relaxed and
# simple canonicalisation. Shows: each verifies as dkim=pass in our AR header
# (with d, i, s, a, b and the key size); one body byte or one signed header
# changed fails; a whitespace-only change passes relaxed and fails simple;
# two signatures (one good, one bad) give two dkim= entries in header order;
# a key look-up that times out gives dkim=temperror and the action its
# [scores] points call for; a 20 MB message passes through the daemon while
# its peak RSS grows by less than 5 MB. DMARC is not the subject here
# (t/daemon-dmarc.sh); the From domain has no DMARC record.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_auth.sh"
harness_init daemon-dkim

daemon_auth_require
/usr/bin/python3 -c 'import dkim, nacl' 2>/dev/null ||
	skip_all "dkimpy missing (apt-get install python3-dkim python3-nacl)"

RSS_LIMIT_KB=5120
md_sign() { perl "$DKIM_DATA/sign-mail-dkim.pl" "$@"; }
py_sign() { /usr/bin/python3 "$DKIM_DATA/sign-dkimpy.py" "$@"; }
RSA=$DKIM_DATA/rsa2048.pem
ED=$DKIM_DATA/ed25519.key

# ---- DNS: the fixture keys, and a selector whose look-up never answers ----
{
	zone_txt example.com "v=spf1 ip4:192.0.2.0/24 -all"
	zone_txt rsa2048._domainkey.example.com "$(fixture_key rsa2048)"
	zone_txt ed._domainkey.example.com "$(fixture_key ed)"
	echo "slow._domainkey.example.com TIMEOUT"
} >"$T/zone"
dns_start "$T/zone" || bail_out "unbound did not start"

# A DKIM temperror is worth the quarantine threshold here, so its action shows.
daemon_config "$T/am.ini" scores.dkim_temperror=10 thresholds.quarantine=10 thresholds.reject=15
daemon_start "$T/am.ini" || bail_out "daemon did not start"

# ---- the message, signed now: trailing blanks, tabs, runs of spaces ----
printf '%s\n' \
	'From: Alice Example <alice@example.com>' \
	'To: Bob <bob@example.net>' \
	'Subject: DKIM test  with   runs of spaces' \
	'Date: Sat, 22 Nov 2025 12:00:00 +0000' \
	'Message-ID: <daemon-dkim-1@example.com>' \
	'MIME-Version: 1.0' \
	'Content-Type: text/plain; charset=us-ascii' \
	'' \
	'Hello Bob,   ' \
	'	this line starts with a tab and has  double  spaces.' \
	'' \
	'Regards,' \
	'Alice' \
	'' >"$T/base.eml"

signed_ok=0
md_sign "$RSA" example.com rsa2048 rsa-sha256 relaxed/relaxed <"$T/base.eml" >"$T/rsa-relaxed.eml" &&
	md_sign "$RSA" example.com rsa2048 rsa-sha256 simple/simple <"$T/base.eml" >"$T/rsa-simple.eml" &&
	py_sign "$ED" example.com ed ed25519-sha256 relaxed/relaxed <"$T/base.eml" >"$T/ed-relaxed.eml" &&
	py_sign "$ED" example.com ed ed25519-sha256 simple/simple <"$T/base.eml" >"$T/ed-simple.eml" ||
	signed_ok=1
ok $signed_ok "four messages signed by Mail::DKIM (RSA-2048) and dkimpy (ed25519)" || bail_out "signers failed"

# b= of the first DKIM-Signature of a file, first 8 characters.
b_prefix() {
	perl -0777 -ne 'm/^DKIM-Signature:(.*?)\n(?! |\t)/ms or exit 1; my $h = $1;
		$h =~ s/\s+//g; $h =~ m/(?:^|;)b=([^;]{8})/ and print $1' "$1"
}
# Drive FILE from a client SPF allows; $AR, $LOG, ... as send sets them.
drive() {
	send "$1" -i 192.0.2.10 -H mx.example.com -f alice@example.com -r bob@example.net "$T/$1.eml"
}

# ---- each signature verifies: dkim=pass with its properties ----
for m in rsa-relaxed:rsa2048:rsa-sha256:2048 rsa-simple:rsa2048:rsa-sha256:2048 \
	ed-relaxed:ed:ed25519-sha256:256 ed-simple:ed:ed25519-sha256:256; do
	IFS=: read -r name sel alg bits <<<"$m"
	drive "$name"
	b=$(b_prefix "$T/$name.eml")
	is "$(ar_entries dkim | tr -d '"')" \
		"dkim=pass ($bits-bit key) header.d=example.com header.i=@example.com header.s=$sel header.a=$alg header.b=$b" \
		"$name: dkim=pass with d, i, s, a, b and key size in our AR header"
	is "$RESULT" accept "$name: accepted"
	like "$LOG" ' dkim="?pass\(d=example\.com\)"? ' "$name: decision line dkim=pass(d=example.com)"
done

# ---- one body byte, one signed header changed: fail ----
for name in rsa-relaxed rsa-simple ed-relaxed ed-simple; do
	perl -pe 'if (/^$/) { $body = 1 } s/^Regards,$/Regardz,/ if $body' "$T/$name.eml" >"$T/$name-body.eml"
	perl -pe 's/^Subject: DKIM test/Subject: DKIM Test/' "$T/$name.eml" >"$T/$name-hdr.eml"
	for kind in body hdr; do
		cmp -s "$T/$name.eml" "$T/$name-$kind.eml" && diag "$name-$kind: the edit changed nothing"
		drive "$name-$kind"
		like "$(ar_entries dkim)" '^dkim=fail .*header\.d=example\.com ' "$name: one ${kind/hdr/signed header} byte changed -> dkim=fail"
		like "$LOG" ' dkim="?fail\(d=example\.com\)"? ' "$name-$kind: decision line dkim=fail"
	done
done

# ---- whitespace only: relaxed canonicalisation forgives it, simple does not ----
# (also proves the daemon sees the exact header bytes: SMFIP_HDR_LEADSPC)
for name in rsa-relaxed rsa-simple ed-relaxed ed-simple; do
	perl -pe 's/^Subject: DKIM test  with   runs/Subject: DKIM test with runs/; s/^Hello Bob, +$/Hello Bob,/' \
		"$T/$name.eml" >"$T/$name-ws.eml"
	drive "$name-ws"
	want=pass
	[ "${name#*-}" = simple ] && want=fail
	like "$(ar_entries dkim)" "^dkim=$want " "$name: runs of blanks in Subject and body squeezed -> dkim=$want"
done

# ---- two signatures, one good and one bad: two entries, in header order ----
# The ed25519 signature on top is made with another key than the one
# published for s=ed: a bad signature over an intact message.
py_sign "$DKIM_DATA/ed25519-other.key" example.com ed ed25519-sha256 relaxed/relaxed \
	<"$T/rsa-relaxed.eml" >"$T/two.eml"
drive two
entries=$(ar_entries dkim | tr -d '"')
is "$(wc -l <<<"$entries")" 2 "two signatures: two dkim= entries"
is "$(head -1 <<<"$entries")" \
	"dkim=fail (256-bit key) header.d=example.com header.i=@example.com header.s=ed header.a=ed25519-sha256 header.b=$(b_prefix "$T/two.eml")" \
	"first entry: the bad ed25519 signature (on top) fails"
is "$(tail -1 <<<"$entries")" \
	"dkim=pass (2048-bit key) header.d=example.com header.i=@example.com header.s=rsa2048 header.a=rsa-sha256 header.b=$(b_prefix "$T/rsa-relaxed.eml")" \
	"second entry: the good RSA signature passes"
like "$LOG" ' dkim="fail\(d=example\.com\),pass\(d=example\.com\)" ' "decision line lists both signatures"
is "$RESULT" accept "one good signature: accepted"

# ---- DNS timeout on the key: temperror, and the configured action ----
md_sign "$RSA" example.com slow rsa-sha256 relaxed/relaxed <"$T/base.eml" >"$T/slow.eml"
start=$SECONDS
drive slow
took=$((SECONDS - start))
like "$(ar_entries dkim)" '^dkim=temperror .*header\.d=example\.com .*header\.s=slow ' "key look-up timed out -> dkim=temperror"
like "$OUT" '^quarantine: ' "dkim_temperror = 10 reaches the quarantine threshold: quarantined"
like "$LOG" ' action=quarantine reason=score .* dkim="?temperror\(d=example\.com\)"? .* score=10 ' \
	"decision line: action=quarantine reason=score, dkim=temperror, score=10"
[ "$took" -le 10 ]
ok $? "the timed-out look-up cost ${took} s (timeout_ms = 1000)"
like "$(dns_queries)" '^slow\._domainkey\.example\.com\. TXT$' "the key was asked of the test DNS server"

# ---- 20 MB through the daemon: peak RSS grows by less than 5 MB ----
perl -e '
	print "From: Big Sender <alice\@example.com>\nTo: bob\@example.net\n",
	      "Subject: twenty megabytes\nDate: Sat, 22 Nov 2025 12:00:00 +0000\n",
	      "Message-ID: <big\@example.com>\n\n";
	my ($n, $size) = (0, 0);
	while ($size < 20 * 1024 * 1024) {
		my $l = sprintf("%08d the quick brown fox jumps over the lazy dog %s\n", $n, "x" x ($n % 17));
		$n++;
		print $l;
		$size += length $l;
	}' >"$T/big-unsigned.eml"
md_sign "$RSA" example.com rsa2048 rsa-sha256 relaxed/relaxed <"$T/big-unsigned.eml" >"$T/big.eml"
rm -f "$T/big-unsigned.eml"
drive rsa-relaxed # warm up: a thread and a signature verified before measuring
before=$(vmhwm "$AM_DAEMON_PID")
drive big
after=$(vmhwm "$AM_DAEMON_PID")
like "$(ar_entries dkim)" '^dkim=pass \(2048-bit key\) header\.d=example\.com ' "20 MB message ($(wc -c <"$T/big.eml") bytes): dkim=pass"
is "$RESULT" accept "20 MB message accepted"
diag "daemon VmHWM: ${before} kB before the 20 MB message, ${after} kB after (+$((after - before)) kB)"
if built_with_asan; then
	skip "peak RSS ${before} -> ${after} kB: not meaningful under AddressSanitizer"
else
	[ -n "$before" ] && [ -n "$after" ] && [ $((after - before)) -lt "$RSS_LIMIT_KB" ]
	ok $? "daemon peak RSS grew by $((after - before)) kB for 20 MB (limit ${RSS_LIMIT_KB} kB)"
fi
rm -f "$T/big.eml"
daemon_alive
ok $? "daemon still running"
daemon_stop_clean

done_testing
