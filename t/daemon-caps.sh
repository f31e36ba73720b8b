#!/bin/bash
# t/daemon-caps.sh - issue 12's cap audit, the caps past which a sender
# could once get a milder outcome or a tempfail for ever, each driven past
# its limit through the real daemon (milter socket, real unbound):
#  - [dkim] max_signatures (5): the author's signature 6th, under five
#    passing signatures of other domains, is still the one verified;
#    Past the first 16 DKIM-Signature fields none is verified: the author's
#    17th is lost and DMARC fails (stricter, never milder);
#  - the MAIL FROM buffer: an address cut to fit would spell
#    <...@example.com> and pass SPF for it; it is spf=none instead;
#  - forged headers to delete: 100 forged Authentication-Results claiming
#    our authserv-id are all deleted and the message accepted, not
#    tempfailed (the list had 64 places).
#  - the message's DNS budget: five DKIM signatures whose key look-ups time
#    out spend it all, yet DMARC still finds example.com's p=reject (it has
#    a budget of its own) instead of a temperror the scores would accept.
#  - the HELO and client host name buffers (255 bytes): a longer name is
#    cut to 255, which is never a valid name (253 at most), so neither an
#    SPF record of its first 253 bytes nor a trusted-forwarder suffix
#    (forwarder_hosts) that its cut form ends with can match.
#  - a DMARC record of 5,000 bytes (a long rua= list): once read as no
#    record (dmarc=none), now whole, its p=reject applied;
#  - our Authentication-Results past AM_AUTHRES_MAX (8192 bytes): at
#    max_signatures 16, sixteen signatures with long d=, i= and s= do not
#    fit; the header is still added, with dmarc=fail and the signature
#    that could align, the excess DKIM entries counted in a comment (it was once left out: milder for a
#    filter reading it).
#  - RCPT TO past its 511-byte buffer, greylisting on (LMDB store): a
#    600-byte recipient is greylisted, then passes after the delay (its
#    cut triplet is the same at every attempt), and the daemon lives;
#    another that differs only past the cut has a triplet of its own;
#  - recipients per message (no cap): 1,000 on one message are each
#    greylisted, then after the delay all pass and the message is
#    decided, in seconds, the daemon's peak memory growing little.
# The From limits have their own test (t/from-limit.sh).
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_auth.sh"
harness_init daemon-caps

daemon_auth_require psl
GOOD=192.0.2.10      # allowed by example.com's SPF
BAD=198.51.100.99    # allowed by nobody
OTHERS="l1.example l2.example l3.example l4.example l5.example"
lab() { printf "$1%.0s" $(seq "$2"); }
# a rua= list that makes the DMARC record 5,000 bytes (past the old 4096)
RUA=$(for i in $(seq 120); do printf 'mailto:reports-%03d@long-rua-list.example,' "$i"; done)mailto:last@longrec.example
NAME253=$(lab a 63).$(lab b 63).$(lab c 63).$(lab d 53).example   # 253 bytes
{
	zone_txt example.com 'v=spf1 ip4:192.0.2.0/24 -all'
	zone_txt _dmarc.example.com 'v=DMARC1; p=reject'
	zone_txt _dmarc.none.example 'v=DMARC1; p=none'
	zone_txt _dmarc.longrec.example "v=DMARC1; p=reject; rua=$RUA"
	for d in example.com $OTHERS; do zone_txt "sel._domainkey.$d" "$(fixture_key rsa2048)"; done
	echo "slow.example TIMEOUT"
	zone_txt "$NAME253" 'v=spf1 ip4:192.0.2.0/24 -all'
} >"$T/zone"
dns_start "$T/zone" || bail_out "unbound did not start"
# strict: DMARC rejects on p=reject alone (RFC 7489), so "never milder"
# shows as a reject rather than RFC 9989's default quarantine.
daemon_config "$T/am.ini" dmarc.forwarder_hosts=.fwd.example dmarc.strict=yes
daemon_start "$T/am.ini" || bail_out "daemon did not start"

# sign DOMAIN <IN >OUT: one more DKIM-Signature on top, by DOMAIN.
sign() {
	perl "$DKIM_DATA/sign-mail-dkim.pl" "$DKIM_DATA/rsa2048.pem" "$1" sel rsa-sha256 relaxed/relaxed
}
body='To: bob@rcpt.example\nSubject: caps\nDate: Sat, 22 Nov 2025 12:00:00 +0000\nMessage-ID: <%s@caps.example>\n\nHello.\n'

# ---- max_signatures: the author's signature 6th ----
printf "From: ceo@example.com\n$body" dkim >"$T/dkim0.eml"
sign example.com <"$T/dkim0.eml" >"$T/dkim1.eml"
n=1
for d in $OTHERS; do
	sign "$d" <"$T/dkim$n.eml" >"$T/dkim$((n + 1)).eml"
	n=$((n + 1))
done
is "$(grep -c '^DKIM-Signature:' "$T/dkim6.eml")" 6 "six signatures, example.com's the last field"
send dkim -i $BAD -H mx.client.example -f '<bounce@l1.example>' -r bob@rcpt.example "$T/dkim6.eml"
is "$RESULT" accept "author's signature past max_signatures: accepted"
like "$LOG" ' dkim=.*pass\(d=example\.com\).* dmarc="pass\(p=reject,dis=none\)" hfrom=example\.com aligned=dkim ' \
	"the author's signature was verified and aligns (DMARC pass)"
like "$LOG" ' dkim_unverified=1 ' "one foreign signature left unverified"
# the author's signature 17th: past the fields considered, so never verified
n=1
cp "$T/dkim1.eml" "$T/many1.eml"
for i in $(seq 16); do
	sign "l$(((i - 1) % 5 + 1)).example" <"$T/many$n.eml" >"$T/many$((n + 1)).eml"
	n=$((n + 1))
done
send dkim17 -i $BAD -H mx.client.example -f '<bounce@l1.example>' -r bob@rcpt.example "$T/many17.eml"
like "$OUT" '^eom: reject 550 5\.7\.1 Rejected by the DMARC policy of example\.com$' \
	"the author's signature as the 17th field: not verified, DMARC rejects (never milder)"
like "$LOG" ' dkim_unverified=12 ' "12 of 17 signatures left unverified"

# ---- the MAIL FROM buffer: cut to fit, it would spell ...@example.com ----
local_part=$(printf 'a%.0s' $(seq 499))
long="$local_part@example.com.attacker.example"
printf "From: ceo@example.com\n$body" mailfrom >"$T/mailfrom.eml"
send mailfrom -i $GOOD -H mx.client.example -f "<$long>" -r bob@rcpt.example "$T/mailfrom.eml"
like "$OUT" '^eom: reject 550 5\.7\.1 Rejected by the DMARC policy of example\.com$' \
	"a 528-byte MAIL FROM whose first 511 bytes end in @example.com: DMARC rejects"
like "$LOG" ' spf=none\(\) ' "SPF: none (too long), never a pass for example.com"
send mailfrom-ok -i $GOOD -H mx.client.example -f "<a@example.com>" -r bob@rcpt.example "$T/mailfrom.eml"
like "$LOG" ' spf=pass\(example\.com\) .*dmarc="pass' "control: the same from a@example.com passes SPF and DMARC"

# ---- 100 forged Authentication-Results claiming our authserv-id ----
{
	for i in $(seq 100); do printf 'Authentication-Results: mx.test.example; dmarc=pass header.from=example.com\n'; done
	printf "From: ceo@example.com\n$body" forged
} >"$T/forged.eml"
send forged -i $GOOD -H mx.client.example -f '<a@example.com>' -r bob@rcpt.example "$T/forged.eml"
is "$RESULT" accept "100 forged AR headers: accepted, not tempfailed"
is "$(grep -c '^chgheader Authentication-Results [0-9]* (delete)$' <<<"$OUT")" 100 "all 100 deleted"
is "$(grep '^chgheader' <<<"$OUT" | head -1)|$(grep '^chgheader' <<<"$OUT" | tail -1)" \
	"chgheader Authentication-Results 100 (delete)|chgheader Authentication-Results 1 (delete)" \
	"highest index first"

# ---- HELO and client host name longer than their buffers ----
is "${#NAME253}" 253 "a 253-byte name with an SPF record for the client"
printf "From: ceo@example.com\n$body" names >"$T/names.eml"
send helo253 -i $GOOD -H "$NAME253" -f '<>' -r bob@rcpt.example "$T/names.eml"
like "$LOG" " spf_helo=pass\\($NAME253\\) " "control: HELO of 253 bytes, null sender: spf_helo=pass"
send helo-long -i $GOOD -H "$NAME253.x.attacker.example" -f '<>' -r bob@rcpt.example "$T/names.eml"
like "$LOG" ' spf_helo=none\(' "HELO of 272 bytes: spf_helo=none, never the pass of its first 253"
host="$(lab h 63).$(lab i 63).$(lab j 63).$(lab k 51).fwd.example.attacker.example"
send host-long -i $BAD -n "$host" -H mx.client.example -f '<x@example.com>' -r bob@rcpt.example "$T/names.eml"
like "$OUT" '^eom: reject 550 5\.7\.1 Rejected by the DMARC policy of example\.com$' \
	"client host name of ${#host} bytes whose first 255 end in .fwd.example: no forwarder override"
send host-ok -i $BAD -n mx.fwd.example -H mx.client.example -f '<x@example.com>' -r bob@rcpt.example "$T/names.eml"
like "$LOG" ' action=accept .*dmarc_override=trusted_forwarder dmarc_override_comment="forwarder host \.fwd\.example"' \
	"control: mx.fwd.example is a trusted forwarder"

# ---- the DNS budget: DKIM key look-ups spend it, DMARC has its own ----
# timeout_ms 1000 and message_budget_ms 5000 (t/lib/daemon_config.sh)
printf "From: ceo@example.com\n$body" budget >"$T/budget0.eml"
for n in 1 2 3 4 5; do sign "k$n.slow.example" <"$T/budget$((n - 1)).eml" >"$T/budget$n.eml"; done
t0=$(date +%s)
send budget -i $BAD -H mx.client.example -f '<x@example.com>' -r bob@rcpt.example "$T/budget5.eml"
diag "five key look-ups timing out, then DMARC: $(($(date +%s) - t0)) s"
like "$LOG" ' dkim="(temperror\(d=k[1-5]\.slow\.example\),?){5}" ' "the five key look-ups timed out (budget spent)"
like "$OUT" '^eom: reject 550 5\.7\.1 Rejected by the DMARC policy of example\.com$' \
	"DMARC still rejects for example.com: not a temperror"

# ---- a DMARC record past the old 4096-byte TXT buffer ----
printf "From: ceo@longrec.example\n$body" longrec >"$T/longrec.eml"
send longrec -i $BAD -H mx.client.example -f '<x@longrec.example>' -r bob@rcpt.example "$T/longrec.eml"
like "$OUT" '^eom: reject 550 5\.7\.1 Rejected by the DMARC policy of longrec\.example$' \
	"a $((${#RUA} + 24))-byte DMARC record: its p=reject applied, never read as no record"

# ---- our Authentication-Results past AM_AUTHRES_MAX ----
daemon_stop_clean
daemon_config "$T/am16.ini" dkim.max_signatures=16
daemon_start "$T/am16.ini" || bail_out "daemon (max_signatures 16) did not start"
{
	for i in $(seq 16); do
		d="$(lab a 63).$(lab b 63).$(lab c 50).s$i.example"
		[ "$i" = 8 ] && d=none.example
		printf 'DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s;\n\ti=%s@%s;\n\ts=%s; h=from:to:subject; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\n\tb=QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\n' \
			"$d" "$(lab u 64)" "$d" "$(lab s 30)"
	done
	printf "From: ceo@none.example\n$body" long-ar
} >"$T/long-ar.eml"
send long-ar -i $BAD -H mx.client.example -f '<bounce@none.example>' -r bob@rcpt.example "$T/long-ar.eml"
is "$RESULT" accept "16 long signatures, p=none: accepted"
unlike "$LOG" ' dkim_unverified=' "all 16 signatures evaluated"
is "$(grep -c '^insheader 1 Authentication-Results: ' <<<"$OUT")" 1 "our Authentication-Results is added"
like "$AR" '^mx\.test\.example \([0-9]+ DKIM signatures not listed: header too long\); ' \
	"it says how many DKIM entries were left out"
like "$AR" '; dmarc=fail \(p=none dis=none\) header\.from=none\.example ' "it carries dmarc=fail"
like "$AR" '; spf=none smtp\.mailfrom=none\.example;' "and spf"
like "$AR" '; dkim=permerror header\.d=none\.example header\.i=u+@none\.example ' \
	"and the one signature that could align with the author (the 8th)"
is "$(( $(ar_entries dkim | wc -l) + $(sed -n 's/^mx\.test\.example (\([0-9]*\) DKIM.*/\1/p' <<<"$AR") ))" 16 \
	"listed and left-out DKIM entries add up to 16"
ok "$(( ${#AR} >= 8192 ))" "it fits in 8192 bytes (${#AR})"

# ---- RCPT TO past 511 bytes, 1,000 recipients (greylisting on) ----
daemon_stop_clean
mkdir "$T/lmdb"
[ "$(id -u)" = 0 ] && chown nobody "$T/lmdb"
daemon_config "$T/amgrey.ini" greylist.enable=yes greylist.clients=all greylist.store=lmdb \
	"greylist.lmdb_path=$T/lmdb/grey.lmdb" greylist.delay=2 greylist.retry_window=600
daemon_start "$T/amgrey.ini" || bail_out "daemon (greylisting) did not start"
RCPT600="$(lab r 587)@rcpt.example"
is "${#RCPT600}" 600 "a 600-byte recipient"
printf "From: ceo@example.com\n$body" grey >"$T/grey.eml"
send grey1 -i $GOOD -H mx.client.example -f '<a@example.com>' -r "<$RCPT600>" "$T/grey.eml"
like "$OUT" '^rcpt <r+@rcpt\.example>: tempfail 451 4\.7\.1 Greylisted' "600-byte recipient: greylisted, first attempt"
send grey2 -i $GOOD -H mx.client.example -f '<a@example.com>' -r "<$RCPT600>" "$T/grey.eml"
like "$OUT" '^rcpt <r+@rcpt\.example>: tempfail 451 ' "an early retry: still greylisted (the same cut triplet)"
# rcpts N: a script sending one message to N recipients r0001@... on.
rcpts() {
	printf 'connect mx.client.example %s\nhelo mx.client.example\nmail <a@example.com>\n' $GOOD
	for i in $(seq -f %04g "$1"); do printf 'rcpt <r%s@rcpt.example>\n' "$i"; done
	printf 'message %s\nquit\n' "$T/grey.eml"
}
rcpts 1000 >"$T/rcpts.script"
hwm0=$(vmhwm "$AM_DAEMON_PID")
t0=$(date +%s)
milter_drive -t 60 -S "$T/rcpts.script" >"$T/rcpts1.out" 2>&1
diag "1,000 recipients, each greylisted: $(($(date +%s) - t0)) s"
is "$(grep -cE '^rcpt <r[0-9]{4}@rcpt\.example>: tempfail 451 4\.7\.1 Greylisted' "$T/rcpts1.out")" 1000 \
	"1,000 recipients on one message: each greylisted"
sleep 3 # past the 2 s delay
send grey3 -i $GOOD -H mx.client.example -f '<a@example.com>' -r "<$RCPT600>" "$T/grey.eml"
is "$RESULT" accept "600-byte recipient after the delay: passes (decided, consistent across retries)"
# two 600-byte recipients the same up to byte 577: the cut keeps a hash of
# the whole, so the one that passed does not let the other through
RCPT600B="$(lab r 577)x123456789@rcpt.example"
is "${#RCPT600B}|${RCPT600B:0:577}" "600|${RCPT600:0:577}" "another 600-byte recipient, the same for 577 bytes"
send grey4 -i $GOOD -H mx.client.example -f '<a@example.com>' -r "<$RCPT600B>" "$T/grey.eml"
like "$OUT" '^rcpt <r+x123456789@rcpt\.example>: tempfail 451 4\.7\.1 Greylisted' \
	"it is greylisted anew: its own triplet, not the one that passed"
like "$(grep -c 'rcpt=r*#[0-9a-f]\{64\} ' "$T/daemon.log")" '^[3-9]$' "the log shows the cut with the hash of the whole"
t0=$(date +%s)
milter_drive -t 60 -S "$T/rcpts.script" >"$T/rcpts2.out" 2>&1
secs=$(($(date +%s) - t0))
diag "1,000 recipients, each passing, the message to end of data: $secs s"
is "$(grep -cE '^rcpt <r[0-9]{4}@rcpt\.example>: continue' "$T/rcpts2.out")" 1000 "after the delay all 1,000 pass"
like "$(cat "$T/rcpts2.out")" '^result: accept' "the message is decided: accepted"
ok "$((secs > 30))" "in seconds, not minutes ($secs s)"
if built_with_asan; then
	skip "peak memory means nothing under AddressSanitizer"
else
	hwm1=$(vmhwm "$AM_DAEMON_PID")
	ok "$((hwm1 - hwm0 > 20480))" "peak memory grew by $((hwm1 - hwm0)) kB (under 20 MB)"
fi
send alive -i $GOOD -H mx.client.example -f '<a@example.com>' -r "<$RCPT600>" "$T/grey.eml"
is "$RESULT" accept "the daemon still answers"
daemon_stop_clean

done_testing
