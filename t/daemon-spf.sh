#!/bin/bash
# t/daemon-spf.sh - the daemon over its milter socket, against a real
# unbound serving test zones: SPF pass, fail, softfail, none, temperror
# (a name whose queries are never answered), the HELO identity and the
# null sender, forged Authentication-Results removed (highest index first),
# trusted networks and SMTP AUTH skipped, the SPF-fail reject at RCPT
# (DMARC off) or at end of message (DMARC on), and the decision line.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
harness_init daemon-spf

cat >"$T/zone" <<'EOF'
pass.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
mail.pass.example. 300 IN A 192.0.2.1
mail.pass.example. 300 IN TXT "v=spf1 a -all"
fail.example. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 -all exp=why.fail.example"
why.fail.example. 300 IN TXT "%{i} is not a mail server of %{d}"
soft.example. 300 IN TXT "v=spf1 ~all"
nospf.example. 300 IN A 192.0.2.99
slow.example TIMEOUT
EOF
dns_start "$T/zone" || bail_out "no DNS server"
daemon_config "$T/am.ini" dmarc.enable=no dkim.enable=no
daemon_start "$T/am.ini" || bail_out "daemon did not start"

cat >"$T/plain.eml" <<'EOF'
From: Alice <alice@pass.example>
To: bob@rcpt.example
Subject: test

Hello.
EOF
# drive IP HELO FROM [extra milter-drive args] FILE
drive() {
	local ip=$1 helo=$2 from=$3
	shift 3
	milter_drive -i "$ip" -H "$helo" -f "$from" -r '<bob@rcpt.example>' "$@" 2>&1
}
ar() { printf '%s\n' "$1" | sed -n 's/^insheader 1 Authentication-Results: //p'; }

out=$(drive 192.0.2.1 mail.pass.example '<alice@pass.example>' "$T/plain.eml")
is "$(ar "$out")" "mx.test.example; spf=pass smtp.mailfrom=pass.example; spf=pass smtp.helo=mail.pass.example; iprev=permerror policy.iprev=192.0.2.1" \
	"pass: one AR header, one spf entry per identity"
like "$out" '^result: accept$' "pass: accepted"
is "$(printf '%s\n' "$out" | grep -c '^insheader .*Authentication-Results')" 1 "exactly one AR header added"

out=$(drive 192.0.2.1 mail.pass.example '<x@fail.example>' "$T/plain.eml")
like "$(ar "$out")" 'spf=fail smtp\.mailfrom=fail\.example' "fail: spf=fail"
like "$out" '^result: accept$' "fail: accepted by default (scores below thresholds)"

out=$(drive 192.0.2.1 mail.pass.example '<x@soft.example>' "$T/plain.eml")
like "$(ar "$out")" 'spf=softfail smtp\.mailfrom=soft\.example' "softfail"

out=$(drive 192.0.2.1 mail.pass.example '<x@nospf.example>' "$T/plain.eml")
like "$(ar "$out")" 'spf=none smtp\.mailfrom=nospf\.example' "none"

start=$(date +%s)
out=$(drive 192.0.2.1 mail.pass.example '<x@slow.example>' "$T/plain.eml")
took=$(($(date +%s) - start))
like "$(ar "$out")" 'spf=temperror smtp\.mailfrom=slow\.example' "temperror on a DNS timeout"
like "$out" '^result: accept$' "temperror: accepted by default"
ok $([ $took -le 4 ] && echo 0 || echo 1) "temperror: answered within the DNS timeout ($took s)"

out=$(drive 192.0.2.1 mail.pass.example '<>' "$T/plain.eml")
like "$(ar "$out")" '^mx\.test\.example; spf=pass smtp\.helo=mail\.pass\.example' "null sender: the HELO identity"
unlike "$(ar "$out")" 'smtp\.mailfrom' "null sender: no MAIL FROM entry"

out=$(drive 192.0.2.1 'evil"; dkim=pass' '<alice@pass.example>' "$T/plain.eml")
like "$(ar "$out")" 'smtp\.helo="evil\\"; dkim=pass"' "a hostile HELO is quoted in AR"

# ---- forged Authentication-Results ----
cat >"$T/forged.eml" <<'EOF'
Authentication-Results: mx.test.example; spf=pass smtp.mailfrom=x.example
Authentication-Results: other.example; spf=fail smtp.mailfrom=x.example
Authentication-Results: MX.TEST.EXAMPLE (forged); dmarc=pass
From: Alice <alice@pass.example>
Subject: forged

Body.
EOF
out=$(drive 192.0.2.1 mail.pass.example '<alice@pass.example>' "$T/forged.eml")
is "$(printf '%s\n' "$out" | grep '^chgheader' | tr '\n' '|')" \
	"chgheader Authentication-Results 3 (delete)|chgheader Authentication-Results 1 (delete)|" \
	"forged AR headers deleted, highest index first; the other server's kept"
like "$(ar "$out")" 'spf=pass smtp\.mailfrom=pass\.example' "our AR added after the deletions"

# ---- trusted network and SMTP AUTH ----
out=$(drive 192.0.2.1 mail.pass.example '<x@fail.example>' -m '{auth_authen}=alice' "$T/forged.eml")
is "$(ar "$out")" "mx.test.example; auth=pass smtp.auth=alice" "authenticated: no checks, only auth=pass in AR"
like "$out" '^chgheader Authentication-Results 3 \(delete\)$' "authenticated: forged AR still removed"
daemon_wait_log 'trusted="auth alice"'
ok $? "authenticated: the log says why"

daemon_stop
daemon_config "$T/am.ini" dmarc.enable=no dkim.enable=no server.trusted_networks=192.0.2.0/24
daemon_start "$T/am.ini" || bail_out "daemon did not restart"
out=$(drive 192.0.2.1 mail.pass.example '<x@fail.example>' "$T/forged.eml")
unlike "$out" '^insheader' "trusted network: not checked, no AR"
like "$out" '^chgheader Authentication-Results 1 \(delete\)$' "trusted network: forged AR still removed"
like "$out" '^result: accept$' "trusted network: accepted"
daemon_wait_log 'reason=trusted .*trusted="network 192.0.2.0/24"'
ok $? "trusted network: the log says which network"

# ---- SPF fail reject: at RCPT with DMARC off, at end of message with it on ----
daemon_stop
daemon_config "$T/am.ini" dmarc.enable=no dkim.enable=no spf.fail_action=reject
daemon_start "$T/am.ini" || bail_out "daemon did not restart"
out=$(drive 192.0.2.1 mail.pass.example '<x@fail.example>' "$T/plain.eml")
like "$out" '^rcpt <bob@rcpt\.example>: reject 550 5\.7\.23 SPF check failed for fail\.example: 192\.0\.2\.1 is not a mail server of fail\.example$' \
	"DMARC off: SPF fail rejected at RCPT with the exp= text"
out=$(drive 192.0.2.1 mail.pass.example '<alice@pass.example>' "$T/plain.eml")
like "$out" '^result: accept$' "DMARC off: SPF pass still accepted"
daemon_wait_log 'action=reject reason=spf stage=rcpt client=\[192\.0\.2\.1\] helo=mail\.pass\.example from=x@fail\.example rcpt=bob@rcpt\.example spf=fail\(fail\.example\)'
ok $? "decision line for the RCPT reject"

daemon_stop
daemon_config "$T/am.ini" dkim.enable=no spf.fail_action=reject
daemon_start "$T/am.ini" || bail_out "daemon did not restart"
out=$(drive 192.0.2.1 mail.pass.example '<x@fail.example>' "$T/plain.eml")
like "$out" '^rcpt <bob@rcpt\.example>: continue$' "DMARC on: RCPT goes on (RFC 7489 10.1)"
like "$out" '^eom: reject 550 5\.7\.23 ' "DMARC on: SPF fail rejected at end of message"
daemon_wait_log 'action=reject reason=spf stage=eom .* spf=fail\(fail\.example\) .*dmarc='
ok $? "decision line at end of message carries SPF and DMARC"

daemon_stop
ok $? "daemon stops cleanly on SIGTERM (exit 0)"
like "$(cat "$T/daemon.log")" 'authmilter: stopping$' "stop logged"
done_testing
