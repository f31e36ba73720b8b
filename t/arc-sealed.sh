#!/bin/bash
# t/arc-sealed.sh - lib/am_arc*.c (t/arc-verify-driver) over ARC sets made
# now by python3-dkim's arc_sign (t/arc-seal.py), keys on a real unbound:
# an RSA-2048 set passes (a 4 KB body, as in BENCHMARKS.md's corpus), an
# RSA-512 sealer fails (RFC 8301). (arc_sign signs RSA only, so Ed25519
# sets are not made here.) Then prints
# the CPU time of verifying one RSA-2048 set (issue 14's budget: 0.15 ms),
# measured over 200 verifications; a diagnostic only, never a pass/fail
# (the machine is shared).
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
harness_init arc-sealed

/usr/bin/python3 -c 'import dkim, authres' 2>/dev/null ||
	skip_all "python3-dkim or python3-authres missing (apt-get install python3-dkim python3-authres)"
DATA=$top_srcdir/t/data/dkim
{
	zone_txt rsa._domainkey.lists.example "$(fixture_key rsa2048)"
	zone_txt short._domainkey.lists.example "$(fixture_key short)"
} >"$T/zone"
dns_start "$T/zone" || bail_out "unbound did not start"

{
	printf 'From: <a@author.example>\nTo: <l@lists.example>\nSubject: four KB\nDate: Sat, 22 Nov 2025 12:00:00 +0000\nMessage-ID: <4k@author.example>\n\n'
	for i in $(seq 60); do echo "line $i of a plain text body of about four kilobytes, as a list sends it"; done
} >"$T/base.eml"
for s in rsa:rsa2048.pem short:rsa512.pem; do
	/usr/bin/python3 "$top_srcdir/t/arc-seal.py" "$DATA/${s#*:}" lists.example "${s%%:*}" lists.example \
		"dmarc=pass header.from=author.example" <"$T/base.eml" >"$T/${s%%:*}.eml" ||
		bail_out "arc_sign failed with ${s#*:}"
done

cd "$T" || bail_out "no $T"
out=$("$top_builddir/t/arc-verify-driver" --nameservers "$AM_NAMESERVERS" rsa.eml short.eml)
like "$(grep '^rsa.eml' <<<"$out")" $'^rsa.eml\tpass\ti=1\toldest=0\tsealer=lists.example\t' "RSA-2048 set: pass"
like "$(grep '^short.eml' <<<"$out")" $'^short.eml\tfail\t.*RSA key of 512 bits' "RSA-512 sealer: fail (RFC 8301)"
cpu=$("$top_builddir/t/arc-verify-driver" --nameservers "$AM_NAMESERVERS" --repeat 200 rsa.eml |
	sed -n 's/.*cpu_us=//p')
like "$cpu" '^[0-9.]+$' "CPU of one RSA-2048 ARC set measured"
diag "CPU per message with one RSA-2048 ARC set (4 KB body, warm DNS cache): $cpu us (budget 150 us)"
done_testing
