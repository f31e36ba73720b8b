#!/bin/bash
# t/daemon-arc.sh - ARC verification through the real daemon over its
# milter socket, keys and SPF/DMARC records on a real unbound, every ARC
# set made at test time by python3-dkim's arc_sign (t/arc-seal.py, an
# independent implementation). The author domain publishes p=reject and the
# list breaks nothing but SPF alignment, so DMARC fails for every forwarded
# copy; what changes is what ARC says.
#  - report only (dmarc.enforce = no, so every AR is written): a pass
#    through one hop and through two; the body changed between the hops
#    (AMS 1 fails, the chain passes, header.oldest-pass=2); the body changed
#    after the last seal (AMS 2 fails: arc=fail); a broken seal (an AAR
#    edited after sealing); cv=fail from the second sealer.
#  - enforcing with [dmarc] strict = yes (every p=reject failure rejected,
#    so any change shows), [arc] trusted_sealers = lists.example
#    .fwd.example: a trusted sealer whose AAR saw dmarc=pass for the author
#    turns the DMARC failure into an accept (override trusted_forwarder,
#    the sealer named, in the AR and the decision line); an untrusted
#    newest sealer above the trusted one, a trusted seal about another
#    author domain, and a trusted seal replayed by a client that is not the
#    sealer's (require_client) change nothing: rejected.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_auth.sh"
harness_init daemon-arc

daemon_auth_require psl
/usr/bin/python3 -c 'import dkim, authres' 2>/dev/null ||
	skip_all "python3-dkim or python3-authres missing (apt-get install python3-dkim python3-authres)"

LIST=198.51.100.20   # lists.example's list server
FWD=198.51.100.30    # fwd.example's forwarder
EVIL=203.0.113.5     # evil.example: seals, but nobody trusts it
KEY=$DKIM_DATA/rsa2048.pem

# ---- DNS ----------------------------------------------------------------
{
	zone_txt lists.example "v=spf1 ip4:$LIST -all"
	zone_txt fwd.example "v=spf1 ip4:$FWD -all"
	zone_txt evil.example "v=spf1 ip4:$EVIL -all"
	zone_txt author.example 'v=spf1 ip4:192.0.2.0/24 -all'
	zone_txt _dmarc.author.example 'v=DMARC1; p=reject'
	zone_txt _dmarc.other.example 'v=DMARC1; p=reject'
	for d in lists.example fwd.example evil.example; do
		zone_txt "sel._domainkey.$d" "$(fixture_key rsa2048)"
	done
} >"$T/zone"
dns_start "$T/zone" || bail_out "unbound did not start"

# ---- messages -------------------------------------------------------------
printf 'From: Author <author@author.example>\nTo: <list@lists.example>\nSubject: [list] hello\nDate: Sat, 22 Nov 2025 12:00:00 +0000\nMessage-ID: <arc1@author.example>\n\nThe body the author wrote.\n' \
	>"$T/base.eml"

# seal IN OUT DOMAIN RESULTS [CV]: OUT is IN with one more ARC set by DOMAIN.
seal() {
	/usr/bin/python3 "$top_srcdir/t/arc-seal.py" "$KEY" "$3" sel "$3" "$4" ${5:+"$5"} <"$T/$1.eml" \
		>"$T/$2.eml" || bail_out "arc_sign failed for $2"
}
# tamper IN OUT: OUT is IN with its body changed.
tamper() {
	sed 's/The body the author wrote\./The body somebody changed./' "$T/$1.eml" >"$T/$2.eml"
}
AUTHOR_PASS="dmarc=pass header.from=author.example"
seal base one lists.example "$AUTHOR_PASS"
seal one two fwd.example "dmarc=fail header.from=author.example" pass
tamper one one-changed
seal one-changed mid-changed fwd.example "dmarc=fail header.from=author.example" pass
tamper two last-changed
sed 's/^\(ARC-Authentication-Results: i=1; lists.example;\) /\1 dkim=pass header.d=author.example; /' \
	"$T/one.eml" >"$T/broken-seal.eml"
seal one-changed cv-fail fwd.example "dmarc=fail header.from=author.example" fail
seal one evil-above evil.example "$AUTHOR_PASS" pass
seal base other-author lists.example "dmarc=pass header.from=other.example"

# fwd NAME CLIENT MAIL-FROM [FILE]: drive $T/NAME.eml (or FILE's) from CLIENT.
fwd() {
	send "$1" -i "$2" -H mx.client.example -f "$3" -r r@rcpt.example "$T/${4:-$1}.eml"
}

# arc_case NAME CLIENT MAIL-FROM AR-ENTRY LOG-KEYS: drive one message and
# check our AR's arc= entry (exactly) and the decision line's arc keys.
arc_case() {
	fwd "$1" "$2" "$3"
	is "$RESULT" accept "$1: accepted (report only)"
	is "$(ar_entries arc)" "$4" "$1: AR $4"
	grep -qF -- " $5" <<<"$LOG"
	ok $? "$1: decision line has $5" || diag "  line: $LOG"
}

# =============================================================================
# Report only: the chain results
# =============================================================================
daemon_config "$T/report.ini" dmarc.discovery=psl dmarc.psl_file="$PSL" dmarc.enforce=no
daemon_start "$T/report.ini" || bail_out "daemon did not start"

arc_case one $LIST bounce@lists.example \
	"arc=pass (i=1 sealer lists.example) smtp.remote-ip=$LIST header.oldest-pass=0" \
	'arc="pass(i=1,sealer=lists.example)" dmarc='
arc_case two $FWD x@fwd.example \
	"arc=pass (i=2 sealer fwd.example) smtp.remote-ip=$FWD header.oldest-pass=0" \
	'arc="pass(i=2,sealer=fwd.example)" dmarc='
arc_case mid-changed $FWD x@fwd.example \
	"arc=pass (i=2 sealer fwd.example) smtp.remote-ip=$FWD header.oldest-pass=2" \
	'arc="pass(i=2,sealer=fwd.example,oldest_pass=2)" dmarc='
arc_case last-changed $FWD x@fwd.example \
	"arc=fail (AMS i=2: body hash mismatch) smtp.remote-ip=$FWD" \
	'arc="fail(i=2,sealer=fwd.example)" arc_reason="AMS i=2: body hash mismatch"'
arc_case broken-seal $LIST bounce@lists.example \
	"arc=fail (ARC-Seal i=1: bad signature d=lists.example s=sel) smtp.remote-ip=$LIST" \
	'arc="fail(i=1,sealer=lists.example)" arc_reason="ARC-Seal i=1: bad signature (d=lists.example s=sel)"'
arc_case cv-fail $FWD x@fwd.example \
	"arc=fail (ARC-Seal i=2 says cv=fail) smtp.remote-ip=$FWD" \
	'arc="fail(i=2,sealer=fwd.example)" arc_reason="ARC-Seal i=2 says cv=fail"'
fwd plain $LIST bounce@lists.example base
is "$(ar_entries arc)" "" "no ARC set: no arc= entry (arc=none is not written)"
unlike "$LOG" ' arc=' "no ARC set: no arc= in the decision line"
daemon_stop_clean

# =============================================================================
# Enforcing, with trusted sealers: what the trust signal does
# =============================================================================
daemon_config "$T/trust.ini" dmarc.discovery=psl dmarc.psl_file="$PSL" dmarc.strict=yes \
	arc.trusted_sealers="lists.example .fwd.example"
daemon_start "$T/trust.ini" || bail_out "daemon did not start"

fwd trusted $LIST bounce@lists.example one
is "$RESULT" accept "trusted sealer: the DMARC failure is accepted"
unlike "$OUT" 'X-Authmilter-Quarantine' "trusted sealer: not marked for quarantine"
like "$LOG" ' arc="pass\(i=1,sealer=lists\.example\)" arc_trusted=lists\.example ' \
	"trusted sealer: the decision line names it (arc_trusted=)"
like "$LOG" ' dmarc="fail\(p=reject,dis=none\)" .*dmarc_override=trusted_forwarder dmarc_override_comment="arc sealer lists\.example" ' \
	"trusted sealer: the decision line has the override trusted_forwarder"
like "$(ar_entries dmarc)" '^dmarc=fail \(.*override=trusted_forwarder.*\) header\.from=author\.example' \
	"trusted sealer: AR dmarc=fail with the override"
is "$(ar_entries arc)" "arc=pass (i=1 sealer lists.example) smtp.remote-ip=$LIST header.oldest-pass=0" \
	"trusted sealer: AR arc=pass"
fwd evil-above $EVIL x@evil.example
like "$OUT" '^eom: reject 550 5\.7\.1 ' "untrusted newest sealer above a trusted one: still rejected"
like "$LOG" ' arc="pass\(i=2,sealer=evil\.example\)" arc_reason=' "untrusted newest sealer: chain passes, no arc_trusted"
unlike "$LOG" 'trusted_forwarder' "untrusted newest sealer: no override"
like "$LOG" ' arc_reason="newest sealer evil\.example is not trusted \(trusted lists\.example at i=1\)" ' \
	"untrusted newest sealer: the reason is logged"
fwd other-author $LIST bounce@lists.example
like "$OUT" '^eom: reject 550 5\.7\.1 ' "trusted seal about another author domain: still rejected"
like "$LOG" ' arc_reason="trusted sealers vouch for no pass of author\.example" ' \
	"another author domain: the reason is logged"
fwd replayed $EVIL x@evil.example one
like "$OUT" '^eom: reject 550 5\.7\.1 ' "trusted seal replayed by another client: still rejected"
like "$LOG" ' arc_reason="client is not of sealer lists\.example" ' "replayed: the reason is logged"
daemon_stop_clean

done_testing
