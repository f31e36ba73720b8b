#!/bin/sh
# make-fixtures.sh - regenerate the DKIM test messages in this folder with
# independent signers: Mail::DKIM (libmail-dkim-perl) for RSA and dkimpy
# (python3-dkim, python3-nacl) for ed25519 and l=. Test-only keys are made
# once with openssl/nacl and kept here; keys.zone holds their public records
# in am_dns_table format ("name TXT value"). Not run by `make check`: the
# messages are checked in so the tests need no signer. Run from anywhere.
set -eu
cd "$(dirname "$0")"
PY=/usr/bin/python3

[ -f rsa2048.pem ] || openssl genrsa -traditional -out rsa2048.pem 2048
[ -f rsa512.pem ] || openssl genrsa -traditional -out rsa512.pem 512
for k in ed25519 ed25519-other; do
	[ -f $k.key ] || $PY -c 'import nacl.signing, base64
print(base64.b64encode(bytes(nacl.signing.SigningKey.generate())).decode())' > $k.key
done

rsa_pub() { openssl rsa -in "$1" -pubout -outform DER 2>/dev/null | base64 -w0; }
ed_pub() { $PY -c 'import nacl.signing, base64, sys
seed = base64.b64decode(open(sys.argv[1]).read())
print(base64.b64encode(bytes(nacl.signing.SigningKey(seed).verify_key)).decode())' "$1"; }

{
	echo "# Public keys of the DKIM test fixtures (am_dns_table format), made by make-fixtures.sh."
	echo "rsa2048._domainkey.example.com TXT v=DKIM1; k=rsa; p=$(rsa_pub rsa2048.pem)"
	echo "short._domainkey.example.com TXT v=DKIM1; k=rsa; p=$(rsa_pub rsa512.pem)"
	echo "ed._domainkey.example.com TXT v=DKIM1; k=ed25519; p=$(ed_pub ed25519.key)"
	echo "# not a selector of any fixture: the key a test puts at ed._domainkey to break it"
	echo "other._domainkey.example.com TXT v=DKIM1; k=ed25519; p=$(ed_pub ed25519-other.key)"
} > keys.zone

# The message every fixture signs: trailing blanks, tabs, runs of spaces and
# empty lines at the end, so simple and relaxed canonicalisation differ.
printf '%s\n' \
	'From: Alice Example <alice@example.com>' \
	'To: Bob <bob@example.net>' \
	'Subject: DKIM fixture  with   runs of spaces' \
	'Date: Sat, 22 Nov 2025 12:00:00 +0000' \
	'Message-ID: <fixture-1@example.com>' \
	'MIME-Version: 1.0' \
	'Content-Type: text/plain; charset=us-ascii' \
	'' \
	'Hello Bob,   ' \
	'	this line starts with a tab and has  double  spaces.' \
	'' \
	'Regards,' \
	'Alice' \
	'' \
	'' > base.eml

MD="./sign-mail-dkim.pl"
DP="$PY ./sign-dkimpy.py"
$MD rsa2048.pem example.com rsa2048 rsa-sha256 relaxed/relaxed < base.eml > rsa-relaxed.eml
$MD rsa2048.pem example.com rsa2048 rsa-sha256 simple/simple < base.eml > rsa-simple.eml
$DP ed25519.key example.com ed ed25519-sha256 relaxed/relaxed < base.eml > ed25519.eml
$MD rsa2048.pem example.com rsa2048 rsa-sha1 relaxed/relaxed < base.eml > rsa-sha1.eml
$MD rsa512.pem example.com short rsa-sha256 relaxed/relaxed < base.eml > short-key.eml
$DP rsa2048.pem example.com rsa2048 rsa-sha256 relaxed/simple length < base.eml > length.eml
$MD rsa2048.pem example.com rsa2048 rsa-sha256 relaxed/relaxed t=1600000000 x=1600003600 \
	< base.eml > expired.eml
$MD rsa2048.pem example.com rsa2048 rsa-sha256 relaxed/relaxed headers=to:subject:date \
	< base.eml > unsigned-from.eml
# two signatures: ed25519 (on top) over rsa-sha256
$DP ed25519.key example.com ed ed25519-sha256 relaxed/relaxed < rsa-relaxed.eml > two-sigs.eml
# three signatures, for max_signatures
$MD rsa2048.pem example.com rsa2048 rsa-sha256 simple/simple < two-sigs.eml > three-sigs.eml
rm -f base.eml
