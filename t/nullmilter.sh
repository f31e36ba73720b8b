#!/bin/bash
# t/nullmilter.sh - the benchmark's floor (contrib/nullmilter) is honest:
# started the way contrib/bench.sh starts it, it negotiates exactly the
# actions, protocol options and macro lists the real daemon does, and it
# receives every stage of a message (connect, HELO, MAIL, RCPT, each
# header, end of headers, the body: never skipped, end of message) and
# decides nothing (accept, no modification). Also checks which stages the
# daemon answers: none but RCPT and end of message, so neither skips a body.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
. "$top_srcdir/contrib/bench_null.sh"
harness_init nullmilter

[ -x "$top_builddir/contrib/nullmilter" ] || skip_all "contrib/nullmilter not built"
[ -x "$top_builddir/t/milter-drive" ] || skip_all "t/milter-drive not built"

printf 'x.example. 300 IN TXT "v=spf1 -all"\n' >"$T/zone"
dns_start "$T/zone" || bail_out "no DNS server"
daemon_config "$T/am.ini"
daemon_start "$T/am.ini" || bail_out "daemon did not start"

# One message with two headers and a body, in script form (Postfix's order).
script() {
	printf 'connect client.example 192.0.2.1\nhelo h.example\nmail <a@x.example>\n'
	printf 'rcpt <b@rcpt.example>\ndata\nheader From: a@x.example\n'
	printf 'header DKIM-Signature: v=1; a=rsa-sha256; d=x.example; s=s; h=from; bh=x; b=x\n'
	printf 'eoh\nbody hello\neom\nquit\n'
}
drive() { script | "$top_builddir/t/milter-drive" -s "$1" -t 20 -S - 2>&1; }

mapfile -t args < <(null_args "$AM_SOCKET")
ok $([ "${#args[@]}" -ge 4 ] && echo 0 || echo 1) "the daemon's negotiation read: ${args[*]}"
null_start null "${args[@]}" || bail_out "nullmilter did not start"

am=$(drive "$AM_SOCKET")
nm=$(drive "$NULL_SOCKET")
is "$(printf '%s\n' "$nm" | grep -E '^(negotiate|symlist) ')" \
	"$(printf '%s\n' "$am" | grep -E '^(negotiate|symlist) ')" \
	"same actions, protocol options and macro lists as the daemon"
for stage in connect helo 'mail <a@x.example>' 'rcpt <b@rcpt.example>' eoh body; do
	is "$(printf '%s\n' "$nm" | sed -n "s/^$stage: //p")" \
		"$(printf '%s\n' "$am" | sed -n "s/^$stage: //p")" "$stage: answered as the daemon answers (reply or none)"
done
is "$(printf '%s\n' "$nm" | grep -c '^header .*: noreply$')" 2 "every header received, no reply per header"
# The daemon asks for no reply where its answer can only be "continue", and
# a body awaited with no reply cannot be skipped: both take every chunk.
is "$(printf '%s\n' "$am" | grep -cE '^(connect|helo|mail <a@x\.example>|eoh|body): noreply$')" 5 \
	"the daemon: no reply at connect, HELO, MAIL, end of headers and body"
like "$am" '^rcpt <b@rcpt\.example>: continue$' "... but RCPT, where greylisting decides, is answered"
like "$nm" '^result: (accept|continue)$' "the floor decides nothing"
unlike "$nm" '^(insheader|addheader|chgheader|quarantine)' "and changes nothing"

# Bad options are refused with the usage.
"$top_builddir/contrib/nullmilter" -p "unix:$T/x.sock" -M nosuchstage:x >"$T/bad.out" 2>&1
is $? 64 "an unknown stage is refused"

null_stop
daemon_stop
ok $? "daemon stops cleanly"
done_testing
