#!/bin/bash
# t/milter-bigheader.sh - big header packets from our own milter client
# (t/milter-drive, no MTA in between): one header field of 100 KB (what
# Postfix's header_size_limit lets through) and of 1000 KB (near the 1 MB
# the daemon asks libmilter for) is read, checked and decided: DKIM-signed
# over that field, dkim=pass shows every byte arrived. A field over 1 MB
# (no MTA sends one: each refuses past the negotiated size) ends that
# connection in libmilter, and only that one: the daemon goes on.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
harness_init milter-bigheader

perl -MMail::DKIM::Signer -e1 2>/dev/null || skip_all "Mail::DKIM not installed (libmail-dkim-perl)"
DATA="$top_srcdir/t/data/dkim"
zone_txt rsa2048._domainkey.example.com "$(fixture_key rsa2048)" >"$T/zone"
dns_start "$T/zone" || bail_out "no DNS server"
daemon_config "$T/am.ini" spf.enable=no dmarc.enable=no
daemon_start "$T/am.ini" || bail_out "daemon did not start"

# bigmsg ID BYTES: a message with an X-Big field of about BYTES bytes
# (folded at 78 columns), DKIM-signed over From, Subject and X-Big.
bigmsg() {
	awk -v id="$1" -v n="$2" 'BEGIN {
		printf "From: Alice <alice@example.com>\nTo: bob@rcpt.example\nSubject: %s\nX-Big: %s", id, id
		for (i = 0; i < n / 78; i++) printf "\n\t%076d", i
		printf "\n\nA message with a big header.\n" }' |
		perl "$DATA/sign-mail-dkim.pl" "$DATA/rsa2048.pem" example.com rsa2048 rsa-sha256 relaxed \
			headers=from:subject:x-big >"$T/$1.eml"
}
drive() { milter_drive -t 60 -f '<alice@example.com>' -r '<bob@rcpt.example>' "$T/$1.eml" 2>&1; }

for size in 100 1000; do
	bigmsg "b$size" $((size * 1024))
	out=$(drive "b$size")
	ok $? "$size KB header field: the conversation completes"
	like "$out" '^result: accept' "$size KB: decided (accept)"
	like "$out" 'insheader 1 Authentication-Results: mx\.test\.example;.*dkim=pass .*header\.d=example\.com' \
		"$size KB: our AR says dkim=pass: the daemon read the whole field"
done
daemon_wait_log 'action=accept .*dkim="pass\(d=example\.com\)"'
ok $? "decision lines in the log"

bigmsg toobig $((1100 * 1024))
out=$(drive toobig)
is "$?" 2 "1100 KB header field (more than any MTA sends): libmilter ends that connection"
bigmsg after 1024
out=$(drive after)
like "$out" '^result: accept' "the next connection is served"
ok "$(daemon_alive; echo $?)" "the daemon is alive"
daemon_stop_clean
done_testing
