#!/bin/bash
# t/daemon-macro-log.sh - issue 12 item 3: values the MTA hands over as
# macros reach the decision line escaped, never as a second, forged line.
# The project's milter client sends a forged {i} (queue id) and
# {auth_authen} (SASL user, shown in trusted=) holding a newline and a
# fake "X9: conn=C0 action=accept" line, and a HELO doing the same; the
# daemon's log must hold one decision line for the message, the queue id
# as one \xHH-escaped word, the others quoted. An ordinary queue id is
# logged as it is; contrib/authmilter-report counts both lines.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_auth.sh"
harness_init daemon-macro-log

daemon_auth_require
zone_txt client.example 'v=spf1 ip4:192.0.2.0/24 -all' >"$T/zone"
dns_start "$T/zone" || bail_out "unbound did not start"
daemon_config "$T/am.ini" server.trust_authenticated=yes
daemon_start "$T/am.ini" || bail_out "daemon did not start"
printf 'From: a@client.example\nTo: b@rcpt.example\nSubject: macros\n\nHello.\n' >"$T/msg.eml"

lines_before=$(wc -l <"$T/daemon.log")
send forged -i 192.0.2.10 -H $'mx.client.example\nX7: conn=C0 action=accept' -f '<a@client.example>' \
	-r b@rcpt.example -m $'{i}=X9\nX9: conn=C0 action=accept' -m $'{auth_authen}=u\nX8: conn=C0 action=accept' \
	"$T/msg.eml"
is "$RESULT" accept "forged macros: the message is accepted (trusted: authenticated)"
new=$(tail -n +"$((lines_before + 1))" "$T/daemon.log")
is "$(grep -cE '(^|: )X[789]: conn=C0' <<<"$new")" 0 "no forged line starts with X7:, X8: or X9:"
is "$(grep -c ' stage=eom ' <<<"$new")" 1 "one decision line for the message"
like "$LOG" 'authmilter: X9\\x0aX9\\x3a\\x20conn\\x3dC0\\x20action\\x3daccept: conn=C[0-9a-f]+ action=accept ' \
	"the forged queue id is one escaped word leading the line"
like "$LOG" ' helo="mx\.client\.example\\x0aX7: conn=C0 action=accept" ' "HELO escaped"
like "$LOG" ' trusted="auth u\\x0aX8: conn=C0 act' "SASL user ({auth_authen}) escaped in trusted="

send plain -i 192.0.2.10 -H mx.client.example -f '<a@client.example>' -r b@rcpt.example -m '{i}=4XyZ1Ab9' \
	"$T/msg.eml"
like "$LOG" 'authmilter: 4XyZ1Ab9: conn=C[0-9a-f]+ action=' "an ordinary queue id is logged as it is"
json=$(/usr/bin/python3 "$top_srcdir/contrib/authmilter-report" --json "$T/daemon.log")
is "$(/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["decisions"])' <<<"$json")" 2 \
	"authmilter-report counts the two decision lines, the escaped queue id's too"
daemon_stop_clean

done_testing
