#!/bin/bash
# t/daemon-authres.sh - what our Authentication-Results header says and
# which incoming ones it replaces, through the real daemon against a real
# unbound with PTR records: the authserv-id from the MTA's j macro when
# [server] authserv_id is empty (and the option winning when set), forged
# headers of that id and of [server] other_authserv_ids (names and
# .suffix) removed while other servers' stay, iprev= (pass with the verified
# name, fail, permerror, temperror, the MTA's verified name reused without
# a look-up, one look-up per connection), and auth=pass smtp.auth= for SASL
# sessions (let through by trust_authenticated, or checked); greylisting
# going by the same verified name; then through a
# real Postfix, whose myhostname (j) becomes the authserv-id.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
. "$top_srcdir/t/lib/daemon_auth.sh"
harness_init daemon-authres

[ -x /usr/sbin/unbound ] || skip_all "unbound is not installed"
cat >"$T/zone" <<'EOF2'
pass.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
1.2.0.192.in-addr.arpa. 300 IN PTR mail.good.example.
mail.good.example. 300 IN A 192.0.2.1
2.2.0.192.in-addr.arpa. 300 IN PTR liar.example.
liar.example. 300 IN A 198.51.100.7
5.2.0.192.in-addr.arpa TIMEOUT
EOF2
dns_start "$T/zone" || bail_out "no DNS server"
like "$(dns_query 1.2.0.192.in-addr.arpa PTR)" 'PTR mail\.good\.example' "unbound serves the test PTR record"

cat >"$T/forged.eml" <<'EOF2'
Authentication-Results: mx.authmilter.example; spf=pass smtp.mailfrom=x.example
Authentication-Results: mx2.test.example; dkim=pass header.d=x.example
Authentication-Results: other.example; spf=fail smtp.mailfrom=x.example
Authentication-Results: a.b.corp.example; dmarc=pass
Authentication-Results: evilcorp.example; dmarc=pass
Authentication-Results: Corp.Example.; dmarc=pass
From: Alice <alice@pass.example>
Subject: forged

Body.
EOF2
# drive IP [milter-drive args]: one message from alice@pass.example, eml last.
drive() {
	local ip=$1
	shift
	milter_drive -t 30 -i "$ip" -H mail.pass.example -f '<alice@pass.example>' -r '<bob@rcpt.example>' "$@" 2>&1
}
ar() { printf '%s\n' "$1" | sed -n 's/^insheader 1 Authentication-Results: //p'; }
deletes() { printf '%s\n' "$1" | sed -n 's/^chgheader Authentication-Results \([0-9]*\) (delete)$/\1/p' | tr '\n' ' '; }

# ---- authserv-id: empty option -> the MTA's j; other ids removed too ----
daemon_config "$T/am.ini" dkim.enable=no dmarc.enable=no server.authserv_id= \
	"server.other_authserv_ids=mx2.test.example, .corp.example"
daemon_start "$T/am.ini" || bail_out "daemon did not start"
out=$(drive 192.0.2.1 "$T/forged.eml")
like "$(ar "$out")" '^mx\.authmilter\.example; spf=pass' "empty authserv_id: the MTA's j (mx.authmilter.example) names our AR"
is "$(deletes "$out")" "6 4 2 1 " \
	"forged: j's own, a sibling, .corp.example and below removed; other.example and evilcorp.example kept"
out=$(drive 192.0.2.1 -m j=mx9.test.example "$T/forged.eml")
like "$(ar "$out")" '^mx9\.test\.example; ' "another j, another authserv-id"
is "$(deletes "$out")" "6 4 2 " "the header claiming the old j is now another server's and stays"

# ---- iprev ----
out=$(drive 192.0.2.1 "$T/forged.eml")
like "$(ar "$out")" '; iprev=pass \(mail\.good\.example\) policy\.iprev=192\.0\.2\.1$' \
	"iprev pass: the forward-confirmed name in a comment, policy.iprev the address"
out=$(drive 192.0.2.2 "$T/forged.eml")
like "$(ar "$out")" '; iprev=fail policy\.iprev=192\.0\.2\.2$' "iprev fail: the PTR name resolves elsewhere"
out=$(drive 192.0.2.3 "$T/forged.eml")
like "$(ar "$out")" '; iprev=permerror policy\.iprev=192\.0\.2\.3$' "iprev permerror: no PTR record"
out=$(drive 192.0.2.4 -n mail.mta.example "$T/forged.eml")
like "$(ar "$out")" '; iprev=pass \(mail\.mta\.example\) policy\.iprev=192\.0\.2\.4$' \
	"iprev: the name the MTA verified is reused"
unlike "$(dns_queries)" '^4\.2\.0\.192\.in-addr\.arpa' "iprev: no second PTR look-up when the MTA verified the name"
daemon_wait_log 'client=\[192\.0\.2\.1\] .*iprev=pass\(mail\.good\.example\)'
ok $? "the decision line carries iprev"

# ---- auth=: a SASL session let through, and one checked ----
out=$(drive 192.0.2.2 -m '{auth_authen}=alice@pass.example' "$T/forged.eml")
is "$(ar "$out")" "mx.authmilter.example; auth=pass smtp.auth=alice@pass.example" \
	"trust_authenticated: no checks, auth=pass smtp.auth=USER"
daemon_stop_clean

daemon_config "$T/am.ini" dkim.enable=no dmarc.enable=no server.trust_authenticated=no \
	dns.timeout_ms=3000 dns.message_budget_ms=10000
daemon_start "$T/am.ini" || bail_out "daemon did not restart"
out=$(drive 192.0.2.1 -m '{auth_authen}=bob' "$T/forged.eml")
like "$(ar "$out")" '^mx\.test\.example; auth=pass smtp\.auth=bob; spf=pass smtp\.mailfrom=pass\.example; .*iprev=pass' \
	"authenticated and checked: auth=pass first, then the checks"
is "$(deletes "$out")" "" "authserv_id set: the j name is not ours, nothing claims mx.test.example"

# ---- one iprev look-up per connection: two messages, a PTR that never answers ----
t0=$(date +%s)
out=$(drive 192.0.2.5 "$T/forged.eml" "$T/forged.eml")
took=$(($(date +%s) - t0))
is "$(printf '%s\n' "$out" | grep -c 'iprev=temperror policy\.iprev=192\.0\.2\.5')" 2 \
	"iprev temperror on a silent PTR look-up, reported for both messages"
ok $([ "$took" -lt 6 ] && echo 0 || echo 1) "one iprev look-up per connection: one 3 s timeout, not two ($took s)"
daemon_stop_clean

# ---- greylisting sees the same forward-confirmed name (no look-up of its own) ----
mkdir -p "$T/grey"
[ "$(id -u)" = 0 ] && chown nobody "$T/grey"
daemon_config "$T/am.ini" dkim.enable=no dmarc.enable=no greylist.enable=yes greylist.store=lmdb \
	"greylist.lmdb_path=$T/grey/greylist.lmdb" greylist.clients=suspicious
daemon_start "$T/am.ini" || bail_out "daemon did not restart"
out=$(drive 192.0.2.1 "$T/forged.eml")
like "$out" '^result: accept$' "greylisting: a client iprev verified (mail.good.example) is not suspicious"
daemon_wait_log 'client=\[192\.0\.2\.1\] .*greylist=skipped greylist_reason=.*iprev=pass\(mail\.good\.example\)'
ok $? "greylisting: skipped, and the line shows the iprev name it went by"
out=$(drive 192.0.2.2 "$T/forged.eml")
like "$out" '^rcpt <bob@rcpt\.example>: tempfail 451 ' "greylisting: a client whose PTR does not resolve back is greylisted"
daemon_stop_clean

# ---- through a real Postfix: its myhostname (j) is the authserv-id ----
if ! command -v postfix >/dev/null || ! command -v swaks >/dev/null; then
	skip "postfix or swaks not installed (bootstrap.sh installs them)"
	done_testing
fi
daemon_config "$T/am.ini" dkim.enable=no dmarc.enable=no server.authserv_id=
daemon_start "$T/am.ini" || bail_out "daemon did not restart"
postfix_start || bail_out "postfix did not start"
myhostname=$(postconf -c "$AM_PF_CONF" -h myhostname)
postfix_send --from alice@pass.example --to bob@rcpt.example --data "@$T/forged.eml" \
	--xclient-addr 192.0.2.4 --xclient-name mail.mta.example --xclient-helo mail.pass.example >"$T/pf.out"
ok $? "Postfix: message accepted"
postfix_wait_mail bob
mail=$(postfix_mail bob)
ar=$(printf '%s\n' "$mail" | awk -v id="$myhostname" 'index($0, "Authentication-Results: " id ";") == 1 { p = 1; print; next }
	p && /^[ \t]/ { print; next } { p = 0 }' | tr -d '\n')
like "$ar" "^Authentication-Results: $(printf '%s' "$myhostname" | sed 's/\./\\./g');" \
	"Postfix: empty authserv_id gives Postfix's myhostname ($myhostname)"
like "$ar" 'iprev=pass \(mail\.mta\.example\)[[:space:]]+policy\.iprev=192\.0\.2\.4' \
	"Postfix: the client name Postfix verified (XCLIENT NAME) is iprev's"
is "$(printf '%s\n' "$mail" | grep -c "^Authentication-Results: $myhostname;")" 1 \
	"Postfix: the forged AR claiming $myhostname is gone, ours is the only one"
postfix_stop
daemon_stop_clean
done_testing
