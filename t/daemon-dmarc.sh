#!/bin/bash
# t/daemon-dmarc.sh - DMARC through the real daemon over its milter socket,
# every record on a real unbound, SPF decided by the zones' SPF records and
# DKIM by signatures Mail::DKIM makes at test time. One daemon, in each
# discovery mode in turn (the second reached by a reload):
#  - psl (RFC 7489): aligned SPF only, aligned DKIM only, both, neither;
#    relaxed vs strict (adkim/aspf, each on its own); a subdomain under sp=;
#    a non-existent subdomain under np=; pct=0 and pct=100; no record; a
#    record with a syntax error (without and with rua=); a DNS timeout; a
#    trusted forwarder network turning a reject into an accept; then a
#    threshold change reloaded by SIGUSR1 without restart, a broken config
#    refused on reload while the old one keeps working.
#  - treewalk (RFC 9989): policies two and four labels up, a psd=y public
#    suffix domain (alignment stops below it), the 8-query bound of a walk,
#    pct= ignored, t=y, a DNS timeout with temperror_action = tempfail.
# Each case is driven twice: enforcing (the action: 550 5.7.1 naming the
# domain, quarantine, tempfail or accept, and the decision line's dmarc=,
# hfrom=, polrec=, aligned=), then after a reload with dry_run = yes, which
# accepts everything and so shows the AR entry of every case, rejected ones
# included: dmarc=RESULT (p= sp= dis= override=) header.from= polrec.p=
# polrec.domain=. A dry run applies nothing: dis=none, and the RFC 9990
# override local_policy says why.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_auth.sh"
harness_init daemon-dmarc

daemon_auth_require psl

GOOD=192.0.2.10      # the authors' own servers: SPF allows 192.0.2.0/24
ESP=198.51.100.20    # a mail service provider: SPF of esp.example and its kin
BAD=198.51.100.99    # nobody's: every SPF record here fails it
FWD=198.51.100.200   # a trusted forwarder network in the psl config
SIGNERS="align.example esp.example mail.relaxed.example strict.example mail.strict.example
	mail.mixed.example mail.aspf.example other.psd.example company.psd.example"

# This test is about discovery and alignment: it runs with RFC 7489's
# handling (strict = yes rejects every effective p=reject failure, the hold
# queue for quarantine, points for a p=none failure). The RFC 9989 defaults
# are pinned by the replay tests (t/replay/) and t/postfix-dmarc.sh.
RFC7489="dmarc.strict=yes dmarc.quarantine_action=quarantine scores.dmarc_fail_none=3"

# ---- DNS ----------------------------------------------------------------
spf_auth='v=spf1 ip4:192.0.2.0/24 -all'
{
	for d in align.example bounces.relaxed.example strict.example bounces.strict.example \
		bounces.mixed.example bounces.aspf.example norec.example pnone.example pct0.example pct100.example \
		badrec.example badrua.example slow.example mail.org2.example testing.example; do
		zone_txt "$d" "$spf_auth"
	done
	zone_txt esp.example 'v=spf1 ip4:198.51.100.0/25 -all'
	zone_txt other.psd.example 'v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.0/25 -all'
	for d in $SIGNERS; do zone_txt "sel._domainkey.$d" "$(fixture_key rsa2048)"; done
	cat <<'EOF'
_dmarc.align.example. 300 IN TXT "v=DMARC1; p=reject"
_dmarc.relaxed.example. 300 IN TXT "v=DMARC1; p=reject"
_dmarc.strict.example. 300 IN TXT "v=DMARC1; p=reject; adkim=s; aspf=s"
_dmarc.mixed.example. 300 IN TXT "v=DMARC1; p=reject; adkim=s"
_dmarc.aspf.example. 300 IN TXT "v=DMARC1; p=reject; aspf=s"
_dmarc.parent.example. 300 IN TXT "v=DMARC1; p=reject; sp=quarantine"
sub.parent.example. 300 IN A 192.0.2.80
_dmarc.npd.example. 300 IN TXT "v=DMARC1; p=none; sp=quarantine; np=reject"
exists.npd.example. 300 IN A 192.0.2.81
_dmarc.pnone.example. 300 IN TXT "v=DMARC1; p=none"
_dmarc.pct0.example. 300 IN TXT "v=DMARC1; p=reject; pct=0"
_dmarc.pct100.example. 300 IN TXT "v=DMARC1; p=reject; pct=100"
_dmarc.badrec.example. 300 IN TXT "v=DMARC1; p=rejectt"
_dmarc.badrua.example. 300 IN TXT "v=DMARC1; p=rejectt; rua=mailto:reports@badrua.example"
_dmarc.slow.example TIMEOUT
_dmarc.org2.example. 300 IN TXT "v=DMARC1; p=reject; sp=quarantine"
b.c.org2.example. 300 IN A 192.0.2.82
_dmarc.org4.example. 300 IN TXT "v=DMARC1; p=quarantine; sp=quarantine; np=reject"
_dmarc.psd.example. 300 IN TXT "v=DMARC1; p=reject; psd=y"
company.psd.example. 300 IN A 192.0.2.83
_dmarc.d.e.f.g.h.i.j.bound.example. 300 IN TXT "v=DMARC1; p=none"
_dmarc.bound.example. 300 IN TXT "v=DMARC1; p=reject"
_dmarc.testing.example. 300 IN TXT "v=DMARC1; p=reject; t=y"
EOF
} >"$T/zone"
dns_start "$T/zone" || bail_out "unbound did not start"

# ---- messages --------------------------------------------------------------
# mkmsg NAME FROM-DOMAIN [SIGNING-DOMAIN]: $T/NAME.eml, signed by Mail::DKIM.
mkmsg() {
	printf 'From: Author <author@%s>\nTo: <r@rcpt.example>\nSubject: dmarc %s\nDate: Sat, 22 Nov 2025 12:00:00 +0000\nMessage-ID: <%s@%s>\n\nbody of %s\n' \
		"$2" "$1" "$1" "$2" "$1" >"$T/$1.unsigned"
	if [ -n "${3:-}" ]; then
		perl "$DKIM_DATA/sign-mail-dkim.pl" "$DKIM_DATA/rsa2048.pem" "$3" sel rsa-sha256 relaxed/relaxed \
			<"$T/$1.unsigned" >"$T/$1.eml" || diag "signing $1 failed"
	else
		cp "$T/$1.unsigned" "$T/$1.eml"
	fi
}

# The cases of a run: NAME CLIENT MAIL-FROM FROM-DOMAIN SIGNER ACTION LOG AR
#   ACTION: accept | quarantine:DOMAIN | reject:DOMAIN | tempfail:DOMAIN
#   LOG: the decision line's "dmarc=... hfrom=... [polrec=...] aligned=..."
#   AR: our dmarc= resinfo, exactly
CASES=()
case_() {
	CASES+=("$(printf '%s|' "$@")")
	mkmsg "$1" "$4" "$5"
}

# The action a case must get, from milter-drive's output.
check_action() {
	local name=$1 want=$2 dom=${2#*:}
	case $want in
	accept)
		is "$RESULT" accept "$name: accepted"
		unlike "$OUT" '^quarantine:' "$name: not quarantined" ;;
	quarantine:*)
		like "$OUT" "^quarantine: Held by the DMARC policy of ${dom//./\\.}\$" "$name: quarantined, naming $dom" ;;
	reject:*)
		like "$OUT" "^eom: reject 550 5\\.7\\.1 Rejected by the DMARC policy of ${dom//./\\.}\$" \
			"$name: 550 5.7.1 at end of message, naming $dom" ;;
	tempfail:*)
		like "$OUT" "^eom: tempfail 451 4\\.7\\.1 Temporary DMARC error for ${dom//./\\.}, try again later\$" \
			"$name: 451 4.7.1 at end of message, naming $dom" ;;
	esac
}

# run_cases enforce|dryrun: drive every case; check action and log line,
# or (dry run) the AR entry and what would have been done.
run_cases() {
	local c name ip mf action log ar would
	for c in "${CASES[@]}"; do
		IFS='|' read -r name ip mf _ _ action log ar <<<"$c"
		send "$name-$1" -i "$ip" -H mx.client.example -f "$mf" -r r@rcpt.example "$T/$name.eml"
		if [ "$1" = enforce ]; then
			check_action "$name" "$action"
			grep -qF -- " $log " <<<"$LOG"
			ok $? "$name: decision line has $log" || diag "  line: $LOG"
		else
			is "$(ar_entries dmarc)" "$ar" "$name: AR $ar"
			would=${action%%:*}
			[ "$would" = accept ] && would='' || would=" would=$would"
			like "$LOG" "action=accept$would reason=" "$name: dry run accepts${would:+, logs$would}"
		fi
	done
}

# reload_to GENERATION: SIGUSR1 and wait until the daemon says so.
reload_to() {
	daemon_reload
	daemon_wait_log "reloaded .*: generation $1\$" 10
	ok $? "reload by SIGUSR1: generation $1"
}

# =============================================================================
# RFC 7489 discovery (psl)
# =============================================================================
daemon_config "$T/psl.ini" $RFC7489 dmarc.discovery=psl dmarc.psl_file="$PSL" \
	dmarc.forwarder_networks=198.51.100.128/25
daemon_start "$T/psl.ini" || bail_out "daemon did not start"
pid=$AM_DAEMON_PID

# alignment: SPF only, DKIM only, both, neither (p=reject)
case_ spf-only $GOOD a@align.example align.example "" accept \
	'dmarc="pass(p=reject,dis=none)" hfrom=align.example aligned=spf' \
	'dmarc=pass (p=reject dis=none) header.from=align.example polrec.p=reject'
case_ dkim-only $ESP bounce@esp.example align.example align.example accept \
	'dmarc="pass(p=reject,dis=none)" hfrom=align.example aligned=dkim' \
	'dmarc=pass (p=reject dis=none) header.from=align.example polrec.p=reject'
case_ both $GOOD a@align.example align.example align.example accept \
	'dmarc="pass(p=reject,dis=none)" hfrom=align.example aligned=spf,dkim' \
	'dmarc=pass (p=reject dis=none) header.from=align.example polrec.p=reject'
case_ neither $ESP bounce@esp.example align.example esp.example reject:align.example \
	'dmarc="fail(p=reject,dis=reject)" hfrom=align.example aligned=none' \
	'dmarc=fail (p=reject dis=none override=local_policy) header.from=align.example polrec.p=reject'
# relaxed vs strict: identities in subdomains of the author domain
case_ relaxed $GOOD b@bounces.relaxed.example relaxed.example mail.relaxed.example accept \
	'dmarc="pass(p=reject,dis=none)" hfrom=relaxed.example aligned=spf,dkim' \
	'dmarc=pass (p=reject dis=none) header.from=relaxed.example polrec.p=reject'
case_ strict-sub $GOOD b@bounces.strict.example strict.example mail.strict.example reject:strict.example \
	'dmarc="fail(p=reject,dis=reject)" hfrom=strict.example aligned=none' \
	'dmarc=fail (p=reject dis=none override=local_policy) header.from=strict.example polrec.p=reject'
case_ strict-exact $GOOD b@strict.example strict.example strict.example accept \
	'dmarc="pass(p=reject,dis=none)" hfrom=strict.example aligned=spf,dkim' \
	'dmarc=pass (p=reject dis=none) header.from=strict.example polrec.p=reject'
case_ adkim-s-only $GOOD b@bounces.mixed.example mixed.example mail.mixed.example accept \
	'dmarc="pass(p=reject,dis=none)" hfrom=mixed.example aligned=spf' \
	'dmarc=pass (p=reject dis=none) header.from=mixed.example polrec.p=reject'
case_ aspf-s-only $GOOD b@bounces.aspf.example aspf.example mail.aspf.example accept \
	'dmarc="pass(p=reject,dis=none)" hfrom=aspf.example aligned=dkim' \
	'dmarc=pass (p=reject dis=none) header.from=aspf.example polrec.p=reject'
# sp= for an existing subdomain, p= for the domain itself
case_ sp-sub $BAD x@sub.parent.example sub.parent.example "" quarantine:parent.example \
	'dmarc="fail(sp=quarantine,dis=quarantine)" hfrom=sub.parent.example polrec=parent.example aligned=none' \
	'dmarc=fail (p=reject sp=quarantine dis=none override=local_policy) header.from=sub.parent.example polrec.p=reject polrec.domain=parent.example'
case_ sp-parent $BAD x@parent.example parent.example "" reject:parent.example \
	'dmarc="fail(p=reject,dis=reject)" hfrom=parent.example aligned=none' \
	'dmarc=fail (p=reject sp=quarantine dis=none override=local_policy) header.from=parent.example polrec.p=reject'
# np= for a subdomain that does not exist, sp= for one that does
case_ np-ghost $BAD x@ghost.npd.example ghost.npd.example "" reject:npd.example \
	'dmarc="fail(np=reject,dis=reject)" hfrom=ghost.npd.example polrec=npd.example aligned=none' \
	'dmarc=fail (p=none sp=quarantine dis=none override=local_policy) header.from=ghost.npd.example polrec.p=none polrec.domain=npd.example'
case_ np-exists $BAD x@exists.npd.example exists.npd.example "" quarantine:npd.example \
	'dmarc="fail(sp=quarantine,dis=quarantine)" hfrom=exists.npd.example polrec=npd.example aligned=none' \
	'dmarc=fail (p=none sp=quarantine dis=none override=local_policy) header.from=exists.npd.example polrec.p=none polrec.domain=npd.example'
# pct=0: never sampled, one step milder; pct=100: always applied
case_ pct0 $BAD x@pct0.example pct0.example "" quarantine:pct0.example \
	'dmarc="fail(p=reject,dis=quarantine)" hfrom=pct0.example aligned=none dmarc_effective=quarantine dmarc_override=other dmarc_override_comment="pct=0"' \
	'dmarc=fail (p=reject dis=none override=other,local_policy) header.from=pct0.example polrec.p=reject'
case_ pct100 $BAD x@pct100.example pct100.example "" reject:pct100.example \
	'dmarc="fail(p=reject,dis=reject)" hfrom=pct100.example aligned=none' \
	'dmarc=fail (p=reject dis=none override=local_policy) header.from=pct100.example polrec.p=reject'
# no record; a bad p= (no DMARC; with a valid rua=: as if p=none); DNS timeout
case_ no-record $GOOD x@norec.example norec.example "" accept \
	'dmarc=none hfrom=norec.example aligned=none' \
	'dmarc=none header.from=norec.example'
case_ syntax-error $BAD x@badrec.example badrec.example "" accept \
	'dmarc=permerror hfrom=badrec.example aligned=none' \
	'dmarc=permerror header.from=badrec.example'
case_ syntax-error-rua $BAD x@badrua.example badrua.example "" accept \
	'dmarc="fail(p=none,dis=none)" hfrom=badrua.example aligned=none' \
	'dmarc=fail (p=none dis=none) header.from=badrua.example polrec.p=none'
case_ dns-timeout $GOOD x@slow.example slow.example "" accept \
	'dmarc=temperror hfrom=slow.example aligned=none' \
	'dmarc=temperror header.from=slow.example'
# psd= means nothing to RFC 7489: psd.example is the organisational domain
case_ psd-psl $GOOD x@other.psd.example company.psd.example other.psd.example accept \
	'dmarc="pass(p=reject,dis=none)" hfrom=company.psd.example polrec=psd.example aligned=spf,dkim' \
	'dmarc=pass (p=reject dis=none) header.from=company.psd.example polrec.p=reject polrec.domain=psd.example'
# a trusted forwarder breaks SPF; the same message from elsewhere is rejected
case_ forwarder $FWD list@fwd.example align.example "" accept \
	'dmarc="fail(p=reject,dis=none)" hfrom=align.example aligned=none dmarc_override=trusted_forwarder' \
	'dmarc=fail (p=reject dis=none override=trusted_forwarder) header.from=align.example polrec.p=reject'
case_ not-forwarder $BAD list@fwd.example align.example "" reject:align.example \
	'dmarc="fail(p=reject,dis=reject)" hfrom=align.example aligned=none' \
	'dmarc=fail (p=reject dis=none override=local_policy) header.from=align.example polrec.p=reject'

run_cases enforce
send forwarder-again -i $FWD -H mx.client.example -f list@fwd.example -r r@rcpt.example "$T/forwarder.eml"
like "$LOG" ' action=accept reason=pass .* dmarc_override=trusted_forwarder dmarc_override_comment="forwarder network 198\.51\.100\.128/25" ' \
	"forwarder: the override and its reason in the decision line"
send pct0-again -i $BAD -H mx.client.example -f x@pct0.example -r r@rcpt.example "$T/pct0.eml"
like "$LOG" ' action=quarantine reason=dmarc ' "pct0: quarantined by the DMARC policy, not by score"
send timeout-again -i $GOOD -H mx.client.example -f x@slow.example -r r@rcpt.example "$T/dns-timeout.eml"
like "$LOG" ' dmarc=temperror .* dmarc_reason="_dmarc\.slow\.example: (timeout|servfail)" .* ms=[0-9]{1,4}$' \
	"dns-timeout again: temperror naming the record (libunbound may remember the failure)"

# ---- a threshold change reloaded by SIGUSR1, a broken config refused ----
# pnone.example (p=none) from a host its SPF fails: spf_fail 5 + dmarc_fail 3.
mkmsg score pnone.example
send score-1 -i $BAD -H mx.client.example -f x@pnone.example -r r@rcpt.example "$T/score.eml"
like "$LOG" ' action=accept reason=pass .* dmarc="fail\(p=none,dis=none\)" .* score=8 ' \
	"score 8 under the default thresholds (10/15): accepted"
daemon_config "$T/psl.ini" $RFC7489 dmarc.discovery=psl dmarc.psl_file="$PSL" \
	dmarc.forwarder_networks=198.51.100.128/25 thresholds.quarantine=8
reload_to 2
send score-2 -i $BAD -H mx.client.example -f x@pnone.example -r r@rcpt.example "$T/score.eml"
like "$OUT" '^quarantine: Message failed authentication checks \(score 8\)$' "quarantine = 8 after the reload: quarantined"
like "$LOG" ' action=quarantine reason=score ' "decision line: action=quarantine reason=score"
cp "$T/psl.ini" "$T/psl.good"
printf '[thresholds]\nreject = lots\n' >>"$T/psl.ini"
daemon_reload
daemon_wait_log 'reload failed, keeping generation 2: ' 10
ok $? "a broken config is refused on reload"
like "$(grep 'reload failed' "$T/daemon.log")" "psl\\.ini:[0-9]+: .*reject" "the log names the file, line and key"
send score-3 -i $BAD -H mx.client.example -f x@pnone.example -r r@rcpt.example "$T/score.eml"
like "$OUT" '^quarantine: Message failed authentication checks \(score 8\)$' "the old config keeps working: still quarantined"
daemon_config "$T/psl.ini" $RFC7489 dmarc.discovery=psl dmarc.psl_file="$PSL" \
	dmarc.forwarder_networks=198.51.100.128/25 thresholds.quarantine=8 thresholds.reject=8
reload_to 3
send score-4 -i $BAD -H mx.client.example -f x@pnone.example -r r@rcpt.example "$T/score.eml"
like "$OUT" '^eom: reject 550 5\.7\.26 Message failed authentication checks \(score 8\)$' "reject = 8 after the next reload: 550 5.7.26"
is "$AM_DAEMON_PID:$(daemon_alive && echo up)" "$pid:up" "same daemon process throughout: no restart"

# ---- every case again in dry-run mode: the AR entries ----
daemon_config "$T/psl.ini" $RFC7489 dmarc.discovery=psl dmarc.psl_file="$PSL" \
	dmarc.forwarder_networks=198.51.100.128/25 policy.dry_run=yes
reload_to 4
run_cases dryrun

# =============================================================================
# RFC 9989 discovery (treewalk), switched to by a reload
# =============================================================================
CASES=()
daemon_config "$T/psl.ini" $RFC7489 dmarc.discovery=treewalk dmarc.temperror_action=tempfail
reload_to 5

# two labels up: sp= applies; SPF from a sibling aligns through the walk
case_ walk2-fail $BAD x@b.c.org2.example b.c.org2.example "" quarantine:org2.example \
	'dmarc="fail(sp=quarantine,dis=quarantine)" hfrom=b.c.org2.example polrec=org2.example aligned=none' \
	'dmarc=fail (p=reject sp=quarantine dis=none override=local_policy) header.from=b.c.org2.example polrec.p=reject polrec.domain=org2.example'
case_ walk2-pass $GOOD x@mail.org2.example b.c.org2.example "" accept \
	'dmarc="pass(p=reject,dis=none)" hfrom=b.c.org2.example polrec=org2.example aligned=spf' \
	'dmarc=pass (p=reject sp=quarantine dis=none) header.from=b.c.org2.example polrec.p=reject polrec.domain=org2.example'
# four labels up, from a subdomain that does not exist: np=
case_ walk4 $BAD x@a.b.c.d.org4.example a.b.c.d.org4.example "" reject:org4.example \
	'dmarc="fail(np=reject,dis=reject)" hfrom=a.b.c.d.org4.example polrec=org4.example aligned=none' \
	'dmarc=fail (p=quarantine sp=quarantine dis=none override=local_policy) header.from=a.b.c.d.org4.example polrec.p=quarantine polrec.domain=org4.example'
# psd=y: the PSD's policy applies, but organisational domains stop below it
case_ psd-other $GOOD x@other.psd.example company.psd.example other.psd.example reject:psd.example \
	'dmarc="fail(p=reject,dis=reject)" hfrom=company.psd.example polrec=psd.example aligned=none' \
	'dmarc=fail (p=reject dis=none override=local_policy) header.from=company.psd.example polrec.p=reject polrec.domain=psd.example'
case_ psd-own $ESP x@other.psd.example mail.company.psd.example company.psd.example accept \
	'dmarc="pass(p=reject,dis=none)" hfrom=mail.company.psd.example polrec=psd.example aligned=dkim' \
	'dmarc=pass (p=reject dis=none) header.from=mail.company.psd.example polrec.p=reject polrec.domain=psd.example'
# 12 labels: the walk jumps to 7, never sees the record 9 labels deep
case_ walk-bound $BAD x@bound.example a.b.c.d.e.f.g.h.i.j.bound.example "" reject:bound.example \
	'dmarc="fail(p=reject,dis=reject)" hfrom=a.b.c.d.e.f.g.h.i.j.bound.example polrec=bound.example aligned=none' \
	'dmarc=fail (p=reject dis=none override=local_policy) header.from=a.b.c.d.e.f.g.h.i.j.bound.example polrec.p=reject polrec.domain=bound.example'
# pct= is not part of RFC 9989; t=y is one step milder
case_ walk-pct0 $BAD x@pct0.example pct0.example "" reject:pct0.example \
	'dmarc="fail(p=reject,dis=reject)" hfrom=pct0.example aligned=none' \
	'dmarc=fail (p=reject dis=none override=local_policy) header.from=pct0.example polrec.p=reject'
case_ walk-testing $BAD x@testing.example testing.example "" quarantine:testing.example \
	'dmarc="fail(p=reject,dis=quarantine)" hfrom=testing.example aligned=none' \
	'dmarc=fail (p=reject dis=none override=policy_test_mode,local_policy) header.from=testing.example polrec.p=reject'
# DNS timeout, temperror_action = tempfail
case_ walk-timeout $GOOD x@slow.example slow.example "" tempfail:slow.example \
	'dmarc=temperror hfrom=slow.example aligned=none' \
	'dmarc=temperror header.from=slow.example'

qbefore=$(dns_queries | wc -l)
run_cases enforce
# The queries of the bound case, from unbound's log: the 12-label name,
# then 7, 6, ... 2 labels; _dmarc.example (1 label) may come from the
# daemon's cache. Never the 9-label name that has a record.
walkq=$(dns_queries | tail -n +"$((qbefore + 1))" | grep -E '^_dmarc\.([a-j]\.)*bound\.example\. TXT$' | sed 's/ TXT$//')
is "$(tr '\n' ' ' <<<"$walkq")" \
	"_dmarc.a.b.c.d.e.f.g.h.i.j.bound.example. _dmarc.f.g.h.i.j.bound.example. _dmarc.g.h.i.j.bound.example. _dmarc.h.i.j.bound.example. _dmarc.i.j.bound.example. _dmarc.j.bound.example. _dmarc.bound.example. " \
	"walk-bound: the RFC 9989 query sequence, at most 8 queries"
walk4q=$(dns_queries | tail -n +"$((qbefore + 1))" | grep -cE '^_dmarc\.([a-d]\.)*org4\.example\. TXT$')
is "$walk4q" 5 "walk4: _dmarc queried at 6, 5, 4, 3 and 2 labels"

daemon_config "$T/psl.ini" $RFC7489 dmarc.discovery=treewalk dmarc.temperror_action=tempfail policy.dry_run=yes
reload_to 6
run_cases dryrun
is "$AM_DAEMON_PID:$(daemon_alive && echo up)" "$pid:up" "one daemon process for both discovery modes"
daemon_stop_clean

done_testing
