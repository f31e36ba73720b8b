#!/bin/bash
# t/offline.sh - the offline mode, `authmilter -t MESSAGE --client-ip IP
# --helo NAME --mail-from ADDR --rcpt ADDR`, against a real unbound serving
# the test zones: pass (SPF, DKIM and DMARC, the DKIM-Signature folded over
# several lines), SPF fail (rejected, with the exp= text) and softfail, DKIM
# fail, DMARC reject and quarantine (and reject under dry_run), a forged
# Authentication-Results removed, an SPF temperror tempfailed, a trusted
# network and an authenticated sender, the message on standard input, and
# greylisting on a real memcached (the store is shared between two runs, as
# the daemon's is between two deliveries). Each case checks the printed
# verdict, reply, header edits and decision line, and the exit status
# (0 accept, 2 quarantine, 3 tempfail, 4 reject); bad or missing arguments
# give a usage line and 64.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_auth.sh"
harness_init offline

[ -x /usr/sbin/unbound ] || skip_all "unbound is not installed"
AM=$top_builddir/milter/authmilter
[ -x "$AM" ] || skip_all "milter/authmilter not built"
perl -MMail::DKIM::Signer -e 1 2>/dev/null || skip_all "Mail::DKIM missing (apt-get install libmail-dkim-perl)"
[ -r /usr/share/publicsuffix/public_suffix_list.dat ] || skip_all "no public suffix list (apt-get install publicsuffix)"

GOOD=192.0.2.10   # allowed by every SPF record below
BAD=198.51.100.99 # allowed by none
{
	for d in example.com pass.example quar.example rej.example; do
		zone_txt "$d" "v=spf1 ip4:192.0.2.0/24 -all exp=why.$d"
		zone_txt "why.$d" "%{i} may not send for %{d}"
	done
	zone_txt soft.example "v=spf1 ~all"
	zone_txt rsa2048._domainkey.example.com "$(fixture_key rsa2048)"
	zone_txt _dmarc.example.com "v=DMARC1; p=reject"
	zone_txt _dmarc.rej.example "v=DMARC1; p=reject"
	zone_txt _dmarc.quar.example "v=DMARC1; p=quarantine"
	echo "slow.example TIMEOUT"
} >"$T/zone"
dns_start "$T/zone" || bail_out "unbound did not start"
daemon_config "$T/am.ini"
chmod 0644 "$T/am.ini"

# mkmsg NAME FROM-ADDRESS [HEADER...]: $T/NAME.eml, LF line ends.
mkmsg() {
	local name=$1 from=$2
	shift 2
	{
		[ $# -gt 0 ] && printf '%s\n' "$@"
		printf 'From: Alice <%s>\nTo: bob@rcpt.example\nSubject: offline %s\n' "$from" "$name"
		printf 'Date: Sat, 22 Nov 2025 12:00:00 +0000\nMessage-ID: <%s@offline.example>\n\n' "$name"
		printf 'Hello Bob,\n\nthis is message %s.\n' "$name"
	} >"$T/$name.eml"
}
mkmsg plain alice@example.com
mkmsg spf alice@pass.example
# Signed, then the signature field folded after each tag (relaxed header
# canonicalisation unfolds it again): its continuation lines reach the
# checks joined with LF, as libmilter hands them over.
perl "$DKIM_DATA/sign-mail-dkim.pl" "$DKIM_DATA/rsa2048.pem" example.com rsa2048 rsa-sha256 \
	relaxed/relaxed <"$T/plain.eml" | perl -pe 's/; (?=[a-z]+=)/;\n\t/g if $. == 1' >"$T/signed.eml" ||
	bail_out "Mail::DKIM could not sign"
sed 's/this is message/this is Message/' "$T/signed.eml" >"$T/broken.eml"

# check NAME CONFIG MESSAGE IP MAIL-FROM [ARGS...]: run the offline mode.
# Sets OUT (standard output, also $T/NAME.out), ERR, ST (exit status), AR
# (our Authentication-Results value, unfolded) and LOG (the decision lines).
check() {
	local name=$1 cfg=$2 msg=$3 ip=$4 from=$5
	shift 5
	"$AM" -c "$cfg" -t "$msg" --client-ip "$ip" --helo mx.example.com --mail-from "$from" \
		--rcpt bob@rcpt.example "$@" >"$T/$name.out" 2>"$T/$name.err"
	ST=$?
	OUT=$(cat "$T/$name.out")
	ERR=$(cat "$T/$name.err")
	AR=$(awk '/^add: Authentication-Results: / { sub(/^add: Authentication-Results: /, ""); ar = $0; on = 1; next }
		on && /^\t/ { sub(/^\t/, " "); ar = ar $0; next } { on = 0 } END { print ar }' "$T/$name.out")
	LOG=$(sed -n 's/^log: //p' "$T/$name.out")
}

# ---- pass: SPF, DKIM (a folded signature field) and DMARC ----
ok $(grep -c '^	' "$T/signed.eml" | awk '{ print ($1 > 0 ? 0 : 1) }') "the DKIM-Signature of the test message is folded"
check pass "$T/am.ini" "$T/signed.eml" $GOOD '<alice@example.com>'
is "$ST" 0 "pass: exit 0 (accept)"
like "$OUT" '^action: accept$' "pass: action accept"
like "$OUT" '^reply: none' "pass: no reply of ours"
like "$AR" '^mx\.test\.example; spf=pass smtp\.mailfrom=example\.com; .*dkim=pass .*header\.d=example\.com .*dmarc=pass' \
	"pass: our AR header with spf, dkim and dmarc pass"
is "$(grep -c '^add: ' "$T/pass.out")" 1 "pass: one header added"
like "$LOG" '^NOQUEUE: conn=offline action=accept reason=pass stage=eom client=\[192\.0\.2\.10\] helo=mx\.example\.com from=alice@example\.com .*spf=pass\(example\.com\) .*dkim="?pass\(d=example\.com\)"? dmarc=' \
	"pass: the decision line"
is "$ERR" "" "pass: nothing on stderr"

# ---- SPF fail, rejected; SPF softfail ----
daemon_config "$T/spf.ini" spf.fail_action=reject
check spf-fail "$T/spf.ini" "$T/spf.eml" $BAD '<alice@pass.example>' --queue-id 4XyZ
is "$ST" 4 "SPF fail: exit 4 (reject)"
like "$OUT" '^reply: 550 5\.7\.23 SPF check failed for pass\.example: 198\.51\.100\.99 may not send for pass\.example$' \
	"SPF fail: 550 5.7.23 with the exp= text"
like "$OUT" '^headers: none' "SPF fail: no header edits on a refused message"
like "$LOG" '^4XyZ: conn=offline action=reject reason=spf stage=eom .*spf=fail\(pass\.example\)' \
	"SPF fail: decision line with the queue id"
check spf-soft "$T/am.ini" "$T/spf.eml" $GOOD '<x@soft.example>'
is "$ST" 0 "SPF softfail: exit 0 (the default scores accept)"
like "$AR" 'spf=softfail smtp\.mailfrom=soft\.example' "SPF softfail: in the AR header"

# ---- DKIM fail: one body byte changed ----
check dkim-fail "$T/am.ini" "$T/broken.eml" $GOOD '<alice@example.com>'
like "$AR" 'dkim=fail .*header\.d=example\.com' "DKIM fail: dkim=fail in the AR header"
like "$AR" 'dmarc=pass' "DKIM fail: DMARC still passes on aligned SPF"
is "$ST" 0 "DKIM fail: exit 0"

# ---- DMARC reject and quarantine ----
mkmsg rej nobody@rej.example
mkmsg quar nobody@quar.example
check dmarc-rej "$T/am.ini" "$T/rej.eml" $BAD '<nobody@rej.example>'
is "$ST" 4 "DMARC p=reject: exit 4"
like "$OUT" '^reply: 550 5\.7\.1 Rejected by the DMARC policy of rej\.example$' "DMARC p=reject: 550 5.7.1"
like "$LOG" 'action=reject reason=dmarc .*dmarc="?fail\(p=reject,dis=reject\)"? hfrom=rej\.example aligned=none .*dmarc_evidence=spf_fail_in_author_org' \
	"DMARC p=reject: decision line, rejected on the SPF fail inside the author's domain"
# RFC 9989 default: a quarantine is delivery with the marker header.
check dmarc-quar "$T/am.ini" "$T/quar.eml" $BAD '<nobody@quar.example>'
is "$ST" 0 "DMARC p=quarantine: exit 0 (delivered with the marker)"
like "$OUT" '^add: X-Authmilter-Quarantine: Held by the DMARC policy of quar\.example$' \
	"DMARC p=quarantine: the marker header with its reason"
like "$AR" 'dmarc=fail .*header\.from=quar\.example' "DMARC p=quarantine: AR header still added"
daemon_config "$T/hold.ini" dmarc.quarantine_action=quarantine
check dmarc-quar-hold "$T/hold.ini" "$T/quar.eml" $BAD '<nobody@quar.example>'
is "$ST" 2 "quarantine_action = quarantine: exit 2"
like "$OUT" '^quarantine: Held by the DMARC policy of quar\.example$' "quarantine_action = quarantine: held with its reason"
daemon_config "$T/dry.ini" policy.dry_run=yes
check dmarc-dry "$T/dry.ini" "$T/rej.eml" $BAD '<nobody@rej.example>'
is "$ST" 0 "dry_run: exit 0 (accepted)"
like "$OUT" '^would: reject$' "dry_run: says what it would have done"

# ---- forged Authentication-Results ----
mkmsg forged alice@example.com 'Authentication-Results: mx.test.example; dmarc=pass header.from=example.com' \
	'Authentication-Results: other.example; spf=pass smtp.mailfrom=example.com' \
	'Authentication-Results: MX.TEST.EXAMPLE; dkim=pass'
check forged "$T/am.ini" "$T/forged.eml" $GOOD '<alice@example.com>'
is "$(sed -n 's/^remove: //p' "$T/forged.out" | tr '\n' '|')" "Authentication-Results #3|Authentication-Results #1|" \
	"forged AR: ours removed, highest index first; the other server's kept"
like "$AR" '^mx\.test\.example; spf=pass' "forged AR: our own added"

# ---- temperror: the SPF record's look-up never answered ----
daemon_config "$T/temp.ini" spf.temperror_action=tempfail
start=$(date +%s)
check temperror "$T/temp.ini" "$T/spf.eml" $GOOD '<alice@slow.example>'
is "$ST" 3 "SPF temperror: exit 3 (tempfail)"
like "$OUT" '^reply: 451 4\.7\.24 Temporary SPF error for slow\.example' "SPF temperror: 451 4.7.24"
ok $([ $(($(date +%s) - start)) -le 5 ] && echo 0 || echo 1) "SPF temperror: within the DNS timeout"

# ---- trusted: a network, an authenticated sender ----
daemon_config "$T/trusted.ini" server.trusted_networks=198.51.100.0/24
check trusted "$T/trusted.ini" "$T/rej.eml" $BAD '<nobody@rej.example>'
is "$ST" 0 "trusted network: exit 0"
like "$OUT" '^reason: trusted$' "trusted network: reason trusted"
unlike "$OUT" '^add: ' "trusted network: no AR header"
like "$LOG" 'trusted="network 198\.51\.100\.0/24"' "trusted network: the log says which"
check auth "$T/am.ini" "$T/forged.eml" $BAD '<nobody@rej.example>' --auth-user alice
is "$ST" 0 "authenticated: exit 0"
like "$OUT" '^remove: Authentication-Results #3$' "authenticated: forged AR still removed"

# ---- standard input, and several recipients ----
"$AM" -c "$T/am.ini" -t - --client-ip $BAD --helo mx.example.com --mail-from '<nobody@rej.example>' \
	--rcpt a@rcpt.example --rcpt b@rcpt.example <"$T/rej.eml" >"$T/stdin.out" 2>&1
is "$?" 4 "-t -: the message from standard input (exit 4)"
like "$(cat "$T/stdin.out")" '^reply: 550 5\.7\.1 Rejected by the DMARC policy of rej\.example$' "-t -: same verdict"

# ---- greylisting on memcached: two runs share the store ----
if memcached_start; then
	daemon_config "$T/grey.ini" greylist.enable=yes greylist.store=memcached greylist.clients=all \
		greylist.delay=1 "greylist.memcached_servers=$AM_MEMCACHED_SERVERS"
	check grey1 "$T/grey.ini" "$T/plain.eml" $GOOD '<alice@example.com>'
	is "$ST" 3 "greylisting: first attempt tempfailed (exit 3)"
	like "$OUT" '^rcpt bob@rcpt\.example: tempfail$' "greylisting: at RCPT"
	like "$OUT" '^reply: 451 4\.7\.1 ' "greylisting: 451 4.7.1"
	like "$LOG" 'action=tempfail reason=greylist stage=rcpt .*greylist=new' "greylisting: decision line greylist=new"
	sleep 2
	check grey2 "$T/grey.ini" "$T/plain.eml" $GOOD '<alice@example.com>'
	is "$ST" 0 "greylisting: the retry after the delay passes (exit 0)"
	like "$LOG" 'stage=eom .*greylist=pass' "greylisting: greylist=pass from the shared store"
else
	skip "memcached did not start"
fi

# ---- bad or missing arguments: usage, 64 ----
"$AM" -c "$T/am.ini" -t "$T/plain.eml" --client-ip $GOOD --helo h --mail-from a@example.com >"$T/u1.out" 2>&1
is "$?" 64 "no --rcpt: exit 64"
like "$(cat "$T/u1.out")" '^usage: authmilter ' "no --rcpt: a usage line"
like "$(cat "$T/u1.out")" 'needs --rcpt' "no --rcpt: says what is missing"
"$AM" -c "$T/am.ini" -t "$T/plain.eml" --client-ip 300.1.2.3 --helo h --mail-from a@x --rcpt b@y >"$T/u2.out" 2>&1
is "$?" 64 "bad --client-ip: exit 64"
like "$(cat "$T/u2.out")" "'300\.1\.2\.3' is not an IPv4 or IPv6 address" "bad --client-ip: named"
"$AM" -c "$T/am.ini" --client-ip $GOOD --helo h --mail-from a@x --rcpt b@y >"$T/u3.out" 2>&1
is "$?" 64 "long options without -t: exit 64"
"$AM" -c "$T/am.ini" -t "$T/plain.eml" --client-ip $GOOD --bogus >"$T/u4.out" 2>&1
is "$?" 64 "unknown option: exit 64"
"$AM" -c "$T/am.ini" -t "$T/missing.eml" --client-ip $GOOD --helo h --mail-from a@x --rcpt b@y >"$T/u5.out" 2>&1
is "$?" 1 "unreadable message: exit 1"
"$AM" -V >/dev/null && "$AM" -n -c "$T/am.ini" >/dev/null
ok $? "-V and -n still work"
done_testing
