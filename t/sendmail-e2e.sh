#!/bin/bash
# t/sendmail-e2e.sh - end to end through a real Sendmail (Debian's
# sendmail-bin, unpacked, not installed: it conflicts with Postfix) with
# the INPUT_MAIL_FILTER line of etc/sendmail.mc, the daemon and a real
# unbound. Seen at the SMTP session (swaks from 127.0.0.1): an SPF pass
# accepted, an SPF fail rejected at RCPT ([spf] fail_action = reject with
# DMARC off), a greylisted sender tempfailed at RCPT; our
# Authentication-Results in the queued message (the H lines of its qf file:
# Sendmail keeps it queued, delivery mode "queue"); and F=T: with the
# daemon stopped, Sendmail tempfails instead of passing mail unchecked.
#
# Sendmail (sendmail-bin, sendmail-cf, m4, libwrap0) is unpacked by
# bootstrap.sh into /opt/authmilter-test/sendmail (AM_SENDMAIL_ROOT
# overrides); the test downloads nothing and says SKIP when it is missing.
# The daemon's socket is under $T, which the harness keeps out of
# world-writable directories (Sendmail refuses a socket below /tmp).
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
harness_init sendmail-e2e

command -v swaks >/dev/null || skip_all "swaks not installed (bootstrap.sh installs it)"
SMROOT=${AM_SENDMAIL_ROOT:-/opt/authmilter-test/sendmail}
SM="$SMROOT/usr/libexec/sendmail/sendmail"
[ -x "$SM" ] && [ -f "$SMROOT/.complete" ] ||
	skip_all "Sendmail is not unpacked in $SMROOT (bootstrap.sh unpacks it)"
export LD_LIBRARY_PATH="$SMROOT/usr/lib/x86_64-linux-gnu:$SMROOT/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
missing=$(ldd "$SM" 2>/dev/null | awk '/not found/ { print $1 }' | tr '\n' ' ')
[ -z "$missing" ] || skip_all "the unpacked sendmail lacks libraries: $missing"
M4=$(command -v m4 || echo "$SMROOT/usr/bin/m4")
[ "$(id -u)" = 0 ] || skip_all "Sendmail's daemon mode needs root here"

cat >"$T/zone" <<'EOF2'
pass.example. 300 IN TXT "v=spf1 ip4:127.0.0.1 -all"
fail.example. 300 IN TXT "v=spf1 -all"
grey.example. 300 IN TXT "v=spf1 ip4:127.0.0.1 -all"
EOF2
dns_start "$T/zone" || bail_out "no DNS server"
mkdir "$T/lmdb" && chown nobody "$T/lmdb"
daemon_config "$T/am.ini" spf.fail_action=reject dmarc.enable=no \
	greylist.enable=yes greylist.clients=all greylist.store=lmdb "greylist.lmdb_path=$T/lmdb/g.lmdb" \
	"greylist.whitelist_senders=pass.example fail.example"
daemon_start "$T/am.ini" || bail_out "daemon did not start"

# Sendmail: its own queue, pidfile, port and files; no DNS of its own
# (hosts from /etc/hosts only), no delivery (queue only); our filter line
# from etc/sendmail.mc with the test socket.
SM_PORT=$(free_port)
mkdir -m 0700 "$T/mqueue"
printf 'hosts files\naliases files\n' >"$T/service.switch"
: >"$T/aliases"
filter=$(grep '^INPUT_MAIL_FILTER(' "$top_srcdir/etc/sendmail.mc" |
	sed "s|unix:/run/authmilter/authmilter.sock|unix:$AM_SOCKET_PATH|")
like "$filter" "F=T, T=C:10s;S:30s;R:1m;E:5m" "etc/sendmail.mc: INPUT_MAIL_FILTER with F=T and timeouts"
cat >"$T/sendmail.mc" <<EOF2
divert(-1)
include(\`$SMROOT/usr/share/sendmail/cf/m4/cf.m4')
OSTYPE(\`linux')
define(\`confDOMAIN_NAME', \`mx.sendmail.example')
define(\`QUEUE_DIR', \`$T/mqueue')
define(\`confPID_FILE', \`$T/sendmail.pid')
define(\`confDELIVERY_MODE', \`queueonly')
define(\`confSERVICE_SWITCH_FILE', \`$T/service.switch')
define(\`ALIAS_FILE', \`$T/aliases')
define(\`STATUS_FILE', \`$T/statistics')
define(\`confDONT_PROBE_INTERFACES', \`True')
define(\`confTO_IDENT', \`0')
define(\`confPRIVACY_FLAGS', \`goaway')
FEATURE(\`nocanonify')
FEATURE(\`accept_unresolvable_domains')
DAEMON_OPTIONS(\`Port=$SM_PORT, Addr=127.0.0.1, Name=MTA')
$filter
MAILER(\`local')
MAILER(\`smtp')
EOF2
"$M4" "$T/sendmail.mc" >"$T/sendmail.cf" 2>"$T/m4.err"
ok $? "sendmail.cf built with m4" || sed 's/^/#   /' "$T/m4.err"
# Sendmail resolves its own name (and clients') through the system
# resolver before it reads the .cf: run it in its own mount and UTS
# namespaces, where the host name is mx.sendmail.example, /etc/hosts knows
# it (IPv4 and IPv6) and /etc/resolv.conf names only 127.0.0.1, so nothing
# leaves the loopback and nothing waits for an unreachable nameserver.
printf '127.0.0.1 mx.sendmail.example localhost\n::1 mx.sendmail.example localhost\n' >"$T/hosts"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$T/resolv.conf"
unshare -m -u true 2>/dev/null ||
	skip_all "unshare -m -u not permitted: cannot keep Sendmail's own DNS on loopback"
unshare -m -u sh -c 'mount --bind "$1/hosts" /etc/hosts && mount --bind "$1/resolv.conf" /etc/resolv.conf &&
	hostname mx.sendmail.example && exec "$2" -C "$1/sendmail.cf" -bd -q30m' sh "$T" "$SM" >"$T/sendmail.out" 2>&1
ok $? "sendmail -bd started" || sed 's/^/#   /' "$T/sendmail.out"
wait_for 20 test -s "$T/sendmail.pid"
SM_PID=$(head -1 "$T/sendmail.pid" 2>/dev/null)
[ -n "$SM_PID" ] && harness_track "$SM_PID" sendmail
wait_for 20 tcp_open "$SM_PORT" || bail_out "sendmail does not listen on $SM_PORT"

# send FROM RCPT ID: swaks transcript; status 0 when accepted.
send() {
	printf 'From: <%s>\nTo: <%s>\nSubject: %s\nMessage-ID: <%s@test.example>\n\nHello.\n' "$1" "$2" "$3" "$3" >"$T/$3.eml"
	swaks --server 127.0.0.1 --port "$SM_PORT" --helo client.example --from "$1" --to "$2" \
		--data "@$T/$3.eml" --timeout 30 2>&1
}

out=$(send alice@pass.example bob@rcpt.example pass)
ok $? "SPF pass: accepted at SMTP" || printf '%s\n' "$out" | tail -8 | sed 's/^/#   /'
like "$out" '<- +250 .*(queued|Message accepted)' "SPF pass: 250 after DATA"
qf=$(grep -l 'pass@test\.example' "$T"/mqueue/qf* 2>/dev/null | head -1)
ok $([ -n "$qf" ] && echo 0 || echo 1) "the message is in Sendmail's queue (${qf##*/})"
# The H line and its continuation lines (our header is folded), unfolded.
ar=$(awk '/^H/ { p = ($0 ~ /^H[^A-Za-z]*Authentication-Results: /) } p && /^H/ { sub(/^H[^A-Za-z]*Authentication-Results: /, ""); printf "%s", $0; next }
	p && /^[ \t]/ { printf " %s", $0; next } { p = 0 }' "$qf" 2>/dev/null | tr -s ' \t' ' ')
like "$ar" '^mx\.test\.example; spf=pass smtp\.mailfrom=pass\.example' "qf file: our Authentication-Results, spf=pass"
daemon_wait_log 'action=accept .*client=\[127\.0\.0\.1\] .*from=alice@pass\.example'
ok $? "decision line: accept"

out=$(send x@fail.example bob@rcpt.example fail)
like "$out" '<\*\* +550[ -]5\.7\.23 .*SPF check failed for fail\.example' "SPF fail: 550 5.7.23 at RCPT"
unlike "$out" '<- +354' "SPF fail: no DATA"

out=$(send carol@grey.example bob@rcpt.example grey)
like "$out" '<\*\* +451[ -]4\.7\.1 Greylisted' "greylisting: 451 4.7.1 at RCPT"
daemon_wait_log 'action=tempfail reason=greylist stage=rcpt .*from=carol@grey\.example'
ok $? "decision line: greylist tempfail"
is "$(grep -l 'fail@test\.example\|grey@test\.example' "$T"/mqueue/qf* 2>/dev/null | wc -l)" 0 \
	"refused messages are not queued"

# F=T: the filter gone, Sendmail tempfails.
daemon_stop
is "$?" 0 "daemon stops cleanly"
out=$(send alice@pass.example bob@rcpt.example down)
like "$out" '<\*\* +4[0-9][0-9] ' "daemon stopped: Sendmail answers 4xx (F=T)"

harness_kill "$SM_PID" 10
done_testing
