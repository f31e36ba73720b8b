#!/bin/bash
# t/daemon-bimi.sh - BIMI through the real daemon over its milter socket,
# records on a real unbound, DKIM signatures made by Mail::DKIM at test time.
# Every message carries forged BIMI-Location and BIMI-Indicator headers; in
# every case they are deleted, and only a pass adds one BIMI-Location (ours).
# Cases: pass (with a=), fallback to the organisational domain (also from a
# subdomain with a DMARC record of its own), skipped
# (p=none, pct<100, sp=none, an organisational domain with p=none under a
# subdomain's own p=reject, DMARC fail), declined, no record, bad record,
# DNS timeout, a BIMI-Selector covered by an aligned passing signature
# (honoured), unsigned or signed without it in h= (ignored); then
# require_evidence = yes with org_domain_enforcement = no, and enable = no
# by SIGUSR1 reloads. Last, the
# authentication_milter scenarios of $AM_SHARED/conformance/bimi/authmilter
# (their zone converted to unbound local-data, messages signed with its
# dkim1 key), skipped with a reason where they do not apply.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_auth.sh"
harness_init daemon-bimi

daemon_auth_require psl
CONF=${AM_SHARED:-$top_srcdir/../shared}/conformance/bimi/authmilter

GOOD=192.0.2.10   # SPF allows 192.0.2.0/24 for every domain here
BAD=198.51.100.1  # nobody's
LOGO=https://logo.example/brand.svg

# ---- DNS: our zone, plus the scenarios' zone converted when present ------
{
	for d in pass.example pnone.example pct.example spnone.example news.spnone.example \
		fallback.example news.fallback.example declined.example norecord.example bad.example \
		slow.example sel.example news.lax.example news.ownrec.example; do
		zone_txt "$d" 'v=spf1 ip4:192.0.2.0/24 -all'
	done
	zone_txt rsa2048._domainkey.sel.example "$(fixture_key rsa2048)"
	cat <<EOF
_dmarc.pass.example. 300 IN TXT "v=DMARC1; p=reject"
default._bimi.pass.example. 300 IN TXT "v=BIMI1; l=$LOGO; a=https://logo.example/vmc.pem"
_dmarc.pnone.example. 300 IN TXT "v=DMARC1; p=none"
default._bimi.pnone.example. 300 IN TXT "v=BIMI1; l=$LOGO"
_dmarc.pct.example. 300 IN TXT "v=DMARC1; p=quarantine; pct=50"
default._bimi.pct.example. 300 IN TXT "v=BIMI1; l=$LOGO"
_dmarc.spnone.example. 300 IN TXT "v=DMARC1; p=reject; sp=none"
default._bimi.spnone.example. 300 IN TXT "v=BIMI1; l=$LOGO"
_dmarc.fallback.example. 300 IN TXT "v=DMARC1; p=quarantine"
default._bimi.fallback.example. 300 IN TXT "v=BIMI1; l=https://fallback.example/org.svg"
_dmarc.declined.example. 300 IN TXT "v=DMARC1; p=reject"
default._bimi.declined.example. 300 IN TXT "v=BIMI1; l=; a="
_dmarc.norecord.example. 300 IN TXT "v=DMARC1; p=reject"
_dmarc.bad.example. 300 IN TXT "v=DMARC1; p=reject"
default._bimi.bad.example. 300 IN TXT "v=BIMI1; l=http://bad.example/logo.svg"
_dmarc.slow.example. 300 IN TXT "v=DMARC1; p=reject"
default._bimi.slow.example TIMEOUT
_dmarc.sel.example. 300 IN TXT "v=DMARC1; p=reject"
default._bimi.sel.example. 300 IN TXT "v=BIMI1; l=https://sel.example/default.svg"
brand._bimi.sel.example. 300 IN TXT "v=BIMI1; l=https://sel.example/brand.svg"
_dmarc.lax.example. 300 IN TXT "v=DMARC1; p=none"
_dmarc.ownrec.example. 300 IN TXT "v=DMARC1; p=reject"
_dmarc.news.ownrec.example. 300 IN TXT "v=DMARC1; p=quarantine"
default._bimi.ownrec.example. 300 IN TXT "v=BIMI1; l=https://ownrec.example/org.svg"
_dmarc.news.lax.example. 300 IN TXT "v=DMARC1; p=reject"
default._bimi.news.lax.example. 300 IN TXT "v=BIMI1; l=https://lax.example/news.svg; a=https://lax.example/vmc.pem"
EOF
	# authentication_milter's zone: "name ttl IN TXT ( "..." )" -> local-data.
	[ -r "$CONF/bimi.zonefile" ] &&
		sed -E -n 's/^([^ ;]+) +([0-9]+) +IN +([A-Z]+) +\(? *(.*[^ )]) *\)? *$/\1. \2 IN \3 \4/p' "$CONF/bimi.zonefile"
} >"$T/zone"
dns_start "$T/zone" || bail_out "unbound did not start"

# psl (RFC 7489) discovery: the pct<100 case needs pct= sampling, which
# RFC 9989 (the default treewalk) no longer has.
daemon_config "$T/am.ini" dmarc.discovery=psl dmarc.psl_file="$PSL"
daemon_start "$T/am.ini" || bail_out "daemon did not start"

# mkmsg NAME FROM-DOMAIN [HEADER...]: a message with forged BIMI headers.
mkmsg() {
	local name=$1 dom=$2
	shift 2
	{
		echo "BIMI-Location: v=BIMI1; l=https://evil.example/forged.svg"
		echo "From: Brand <news@$dom>"
		echo "To: reader@rcpt.example"
		echo "Subject: BIMI $name"
		echo "BIMI-Indicator: PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4="
		echo "Message-ID: <$name@$dom>"
		for h in "$@"; do echo "$h"; done
		echo "BIMI-Location: v=BIMI1; l=https://evil.example/second.svg"
		echo
		echo "Our newsletter."
	} >"$T/$name.eml"
}

# drive NAME IP MAIL-FROM-DOMAIN: send $T/NAME.eml; sets OUT AR LOG RESULT.
drive() {
	send "$1" -i "$2" -H mx.sender.example -f "news@$3" -r reader@rcpt.example "$T/$1.eml"
}

# forged_gone NAME: both forged BIMI-Location and the BIMI-Indicator deleted.
forged_gone() {
	is "$(grep '^chgheader BIMI-' "$T/$1.out" | sort | tr '\n' ',')" \
		"chgheader BIMI-Indicator 1 (delete),chgheader BIMI-Location 1 (delete),chgheader BIMI-Location 2 (delete)," \
		"$1: forged BIMI-Location (2) and BIMI-Indicator deleted"
}

# bimi_loc NAME: the BIMI-Location header(s) the daemon added.
bimi_loc() {
	grep -E '^(insheader [0-9]+|addheader) BIMI-Location: ' "$T/$1.out" | sed 's/^[a-z]* [0-9]* *BIMI-Location: //'
}

# check NAME KEYWORD AR-REGEX LOG-REGEX LOCATION: the bimi= AR entry, the
# decision line, and our BIMI-Location (LOCATION "" means none added).
check() {
	forged_gone "$1"
	like "$(ar_entries bimi)" "^bimi=$2$3" "$1: AR bimi=$2${3:+ ...}"
	like "$LOG" " bimi=$2( |$)$4" "$1: decision line bimi=$2"
	local what="no BIMI-Location added"
	[ -n "$5" ] && what="our BIMI-Location: $5"
	is "$(bimi_loc "$1")" "$5" "$1: $what"
}

# ---- the cases -----------------------------------------------------------
mkmsg pass pass.example
drive pass $GOOD pass.example
check pass pass ' header\.d=pass\.example header\.selector=default policy\.authority=none$' '' \
	"v=BIMI1; l=$LOGO; a=https://logo.example/vmc.pem"
is "$RESULT" accept "pass: accepted"

mkmsg fallback news.fallback.example
drive fallback $GOOD news.fallback.example
check fallback pass ' header\.d=fallback\.example header\.selector=default ' '' \
	"v=BIMI1; l=https://fallback.example/org.svg"

mkmsg pnone pnone.example
drive pnone $GOOD pnone.example
check pnone skipped ' \(DMARC policy not at enforcement p=none\)$' 'bimi_reason="DMARC policy' ""

mkmsg pct pct.example
drive pct $GOOD pct.example
check pct skipped ' \(DMARC pct=50\)$' 'bimi_reason="DMARC pct=50"' ""

mkmsg spnone news.spnone.example
drive spnone $GOOD news.spnone.example
check spnone skipped ' \(DMARC policy not at enforcement p=reject sp=none\)$' '' ""

# news.lax.example enforces, its organisational domain lax.example does not.
mkmsg orglax news.lax.example
drive orglax $GOOD news.lax.example
check orglax skipped ' \(organisational domain lax\.example DMARC policy not at enforcement p=none sp=unset\)$' \
	'bimi_reason="organisational domain lax\.example' ""

# news.ownrec.example has its own DMARC record but no BIMI record: the
# organisational domain's BIMI record is found all the same.
mkmsg ownrec news.ownrec.example
drive ownrec $GOOD news.ownrec.example
check ownrec pass ' header\.d=ownrec\.example header\.selector=default ' '' "v=BIMI1; l=https://ownrec.example/org.svg"

mkmsg dmarcfail pnone.example
drive dmarcfail $BAD pnone.example
check dmarcfail skipped ' \(DMARC did not pass\)$' '' ""
is "$RESULT" accept "dmarcfail: accepted (p=none)"

mkmsg declined declined.example
drive declined $GOOD declined.example
check declined declined ' \(declination record\) header\.d=declined\.example header\.selector=default$' '' ""

mkmsg norecord norecord.example
drive norecord $GOOD norecord.example
check norecord none ' \(no BIMI record\)$' '' ""

mkmsg bad bad.example
drive bad $GOOD bad.example
check bad fail ' \(invalid BIMI record: l= is not an https URI\) header\.d=bad\.example' '' ""

mkmsg slow slow.example
drive slow $GOOD slow.example
check slow temperror ' \(DNS query error: timeout\)$' '' ""
is "$RESULT" accept "slow: a BIMI temperror does not hold the message"

# BIMI-Selector: honoured only when an aligned passing signature covers it.
RSA=$DKIM_DATA/rsa2048.pem
mkmsg sel-base sel.example "BIMI-Selector: v=BIMI1; s=brand;"
perl "$DKIM_DATA/sign-mail-dkim.pl" "$RSA" sel.example rsa2048 rsa-sha256 relaxed/relaxed \
	headers=from:to:subject:message-id:bimi-selector <"$T/sel-base.eml" >"$T/sel-signed.eml"
drive sel-signed $GOOD sel.example
like "$(ar_entries dkim)" '^dkim=pass .*header\.d=sel\.example' "sel-signed: the signature verifies"
check sel-signed pass ' header\.d=sel\.example header\.selector=brand ' '' "v=BIMI1; l=https://sel.example/brand.svg"

cp "$T/sel-base.eml" "$T/sel-unsigned.eml"
drive sel-unsigned $GOOD sel.example
check sel-unsigned pass ' header\.d=sel\.example header\.selector=default ' '' \
	"v=BIMI1; l=https://sel.example/default.svg"

perl "$DKIM_DATA/sign-mail-dkim.pl" "$RSA" sel.example rsa2048 rsa-sha256 relaxed/relaxed \
	headers=from:to:subject:message-id <"$T/sel-base.eml" >"$T/sel-noth.eml"
drive sel-noth $GOOD sel.example
like "$(ar_entries dkim)" '^dkim=pass ' "sel-noth: the signature verifies"
check sel-noth pass ' header\.d=sel\.example header\.selector=default ' '' "v=BIMI1; l=https://sel.example/default.svg"

# ---- [bimi] require_evidence = yes and org_domain_enforcement = no, then
# ---- enable = no (SIGUSR1) ------------------------------------------------
daemon_config "$T/am.ini" dmarc.discovery=psl dmarc.psl_file="$PSL" bimi.require_evidence=yes bimi.org_domain_enforcement=no
daemon_reload
daemon_wait_log "reloaded .*: generation 2\$" 10
ok $? "reload: require_evidence = yes, org_domain_enforcement = no"
cp "$T/orglax.eml" "$T/orglax-off.eml"
drive orglax-off $GOOD news.lax.example
check orglax-off pass ' header\.d=news\.lax\.example header\.selector=default ' '' \
	"v=BIMI1; l=https://lax.example/news.svg; a=https://lax.example/vmc.pem"
cp "$T/pass.eml" "$T/evidence-pass.eml"
drive evidence-pass $GOOD pass.example
check evidence-pass pass ' header\.d=pass\.example ' '' "v=BIMI1; l=$LOGO; a=https://logo.example/vmc.pem"
cp "$T/fallback.eml" "$T/evidence-none.eml"
drive evidence-none $GOOD news.fallback.example
check evidence-none skipped ' \(no authority evidence a= in the record\)$' '' ""

daemon_config "$T/am.ini" dmarc.discovery=psl dmarc.psl_file="$PSL" bimi.enable=no
daemon_reload
daemon_wait_log "reloaded .*: generation 3\$" 10
ok $? "reload: enable = no"
cp "$T/pass.eml" "$T/disabled.eml"
drive disabled $GOOD pass.example
forged_gone disabled
is "$(ar_entries bimi)" "" "enable = no: no bimi= in AR"
unlike "$LOG" ' bimi=' "enable = no: no bimi= in the decision line"
is "$(bimi_loc disabled)" "" "enable = no: no BIMI-Location added"
like "$(ar_entries dmarc)" '^dmarc=pass ' "enable = no: DMARC still passes"
daemon_config "$T/am.ini" dmarc.discovery=psl dmarc.psl_file="$PSL"
daemon_reload
daemon_wait_log "reloaded .*: generation 4\$" 10
ok $? "reload: back to the defaults"

# ---- authentication_milter's scenarios -----------------------------------
if [ ! -r "$CONF/scenarios.yml" ]; then
	skip "authmilter BIMI scenarios: $CONF not found (AM_SHARED)"
elif ! /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
	skip "authmilter BIMI scenarios: python3-yaml not installed"
else
	/usr/bin/python3 - "$CONF/scenarios.yml" "$T" >"$T/scenarios.tsv" <<'PY' || bail_out "scenarios.yml conversion failed"
import re, sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
for i, s in enumerate(doc["scenarios"]):
    with open("%s/scen%d.eml" % (sys.argv[2], i), "w") as f:
        f.write(s["message"] if s["message"].endswith("\n") else s["message"] + "\n")
    sign = s.get("sign") or {}
    exp = s["expect"]
    kw = re.match(r"bimi=(\w+)", exp).group(1)
    d = re.search(r"header\.d=(\S+)", exp)
    sel = re.search(r"header\.selector=(\S+)", exp)
    print("\t".join([str(i), s["name"], s["connect_ip"], s["helo"], s["mail_from"], s["rcpt_to"][0],
                     sign.get("domain", "-"), sign.get("selector", "-"),
                     ":".join(["from", "to", "subject"] + sign.get("extra_headers", [])),
                     "arc" if s.get("arc_seal") else "-", kw, d.group(1) if d else "-",
                     sel.group(1) if sel else "-"]))
PY
	while IFS=$'\t' read -r i name ip helo mf rcpt sd ss sh arc kw d sel; do
		if [ "$arc" = arc ]; then
			skip "authmilter scenario '$name': ARC is not implemented (no trusted ARC sealer results)"
			continue
		fi
		if [ "$sd" != - ]; then
			perl "$DKIM_DATA/sign-mail-dkim.pl" "$CONF/dkim1.private.pem" "$sd" "$ss" rsa-sha256 \
				relaxed/relaxed "headers=$sh" <"$T/scen$i.eml" >"$T/scen$i.signed" &&
				mv "$T/scen$i.signed" "$T/scen$i.eml"
		fi
		send "scen$i" -i "$ip" -H "$helo" -f "$mf" -r "$rcpt" "$T/scen$i.eml"
		if [ "${RESULT%% *}" = reject ]; then
			# Refused at end of data: no AR to read, the decision line says it.
			like "$LOG" " bimi=$kw( |\$)" "authmilter scenario '$name': rejected, decision line bimi=$kw"
			continue
		fi
		want="bimi=$kw"
		[ "$d" != - ] && want="$want.* header\\.d=${d//./\\.}"
		[ "$sel" != - ] && want="$want header\\.selector=$sel( |\$)"
		like "$(ar_entries bimi)" "^$want" "authmilter scenario '$name': bimi=$kw header.d=$d header.selector=$sel"
		if [ "$kw" = pass ]; then
			is "$(bimi_loc "scen$i")" "v=BIMI1; l=https://bimi.example.com/test.svg" \
				"authmilter scenario '$name': BIMI-Location added"
		fi
	done <"$T/scenarios.tsv"
fi

daemon_stop
ok $? "daemon stops cleanly"
done_testing
