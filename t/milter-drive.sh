#!/bin/bash
# t/milter-drive.sh - tests the milter client library and t/milter-drive
# against a real libmilter filter (t/milter-testfilter): negotiation flags
# (skipped stages, no-reply stages, SKIP, leading space), macro lists,
# replies at every stage, end-of-message modifications, early ends with
# SMFIC_ABORT, large bodies, IPv6 clients, inet sockets, script mode, a
# filter that dies, and, when Postfix is installed, that milter-drive hands
# the filter the same header bytes, body bytes and macro names as Postfix.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
harness_init milter-drive

MD="$top_builddir/t/milter-drive"
[ -x "$MD" ] && [ -x "$top_builddir/t/milter-testfilter" ] || skip_all "milter-drive or milter-testfilter not built"

printf 'From: a@example.com\nSubject:  two spaces\nX-Fold: line1\n\tline2\nX-Tab:\tvalue\n\nbody line 1\nbody line 2' >"$T/m.eml"
drive() { "$MD" -s "$TESTFILTER_SOCKET" -t 20 "$@" 2>"$T/drive.err"; }
log() { cat "$TESTFILTER_LOG"; }

# ---- a whole message, default flags ----
testfilter_start tf1 -b "$T/body1" -e 'ins:1:X-Test:hello\n\tworld' -e 'chg:Subject:1:' \
	-e 'chg:X-Fold:1:new' -e 'add:X-Added:v' -e 'quar:held by test' \
	-a 'rcpt:bad=reply:451:4.7.1:greylisted, try %%later'
out=$(drive -i 192.0.2.1 -H helo.example -f a@example.com -r '<good@rcpt.example>' -r bad@rcpt.example -m '{test}=x' "$T/m.eml")
ok $? "milter-drive exit 0"
like "$out" '^negotiate: version 6 actions 0x[0-9a-f]+ protocol 0x0$' "negotiation printed"
like "$out" '^connect: continue$' "connect"
like "$out" '^helo: continue$' "helo"
like "$out" '^mail <a@example\.com>: continue$' "mail, address in brackets"
like "$out" '^rcpt <bad@rcpt\.example>: tempfail 451 4\.7\.1 greylisted, try %later$' "rcpt tempfail with reply text, %% as Postfix shows it"
like "$out" '^header X-Fold: continue$' "one line per header"
like "$out" '^insheader 1 X-Test: hello world$' "insheader, unfolded by default"
like "$out" '^chgheader Subject 1 \(delete\)$' "chgheader delete"
like "$out" '^chgheader X-Fold 1 X-Fold: new$' "chgheader with value"
like "$out" '^addheader X-Added: v$' "addheader"
like "$out" '^quarantine: held by test$' "quarantine"
like "$out" '^result: accept$' "result accept"
l=$(log)
like "$l" '^connect host=\[192\.0\.2\.1\] family=inet addr=192\.0\.2\.1 port=54321$' "filter got family, address, port; unknown name as [ip]"
like "$l" '^header Subject=\[ two spaces\]$' "one leading space eaten without LEADSPC"
like "$l" '^header X-Fold=\[line1\\n\\tline2\]$' "folded header joined with LF"
like "$l" '^header X-Tab=\[\\tvalue\]$' "a leading tab is kept"
is "$(od -An -c "$T/body1" | tr -d ' \n')" 'bodyline1\r\nbodyline2\r\n' "LF body sent with CRLF, last line terminated"
like "$(sed -n '/^connect/,/^helo/p' "$TESTFILTER_LOG")" '{test}=x' "caller macro sent with connect"
unlike "$(sed -n '/^rcpt <bad/,/^data/p' "$TESTFILTER_LOG")" ' i=' "no {i} before DATA"
like "$(sed -n '/^data/,/^header/p' "$TESTFILTER_LOG")" ' i=[0-9A-F]{10}' "{i} from DATA on"
like "$l" '{mail_addr}=a@example\.com' "{mail_addr} from Postfix's default list"
unlike "$l" '{client_addr}=' "{client_addr} not sent unless asked for"
out=$(drive -x -i 192.0.2.1 -f a@example.com -r good@rcpt.example "$T/m.eml")
like "$out" '^insheader 1 X-Test: hello\\n\\tworld$' "-x prints folding exactly"
unlike "$out" '^helo' "no HELO event without -H"
testfilter_stop

# ---- LEADSPC, no reply for headers, symbol lists ----
testfilter_start tf2 -F leadspc,nr_hdr -M '0:{client_ptr} j' -M '4:{client_addr}' -e 'ins:0:X-Lead: v'
out=$(drive -i 2001:db8::5 -n mail.example.com -H h -f a@example.com -r b@rcpt.example "$T/m.eml")
ok $? "LEADSPC run"
like "$out" '^negotiate: .* protocol 0x100080$' "filter flags as negotiated"
like "$out" '^symlist connect: \{client_ptr\} j$' "symlist printed"
like "$out" '^header From: noreply$' "no reply awaited for headers"
like "$out" '^insheader 0 X-Lead: v$' "LEADSPC: value printed as sent"
l=$(log)
like "$l" '^header Subject=\[  two spaces\]$' "LEADSPC: value with its leading space"
like "$l" '^header From=\[ a@example\.com\]$' "LEADSPC: From too"
like "$l" '^connect host=mail\.example\.com family=inet6 addr=2001:db8::5 ' "IPv6 client"
c=$(sed -n '/^connect/,/^helo/p' "$TESTFILTER_LOG")
like "$c" 'macros: j=mx\.authmilter\.example \{client_ptr\}=mail\.example\.com$' "connect: only the asked macros"
like "$(sed -n '/^data/,/^header/p' "$TESTFILTER_LOG")" '\{client_addr\}=2001:db8::5' "data: asked connection macro"
testfilter_stop

# ---- skipped stages, SKIP, big body ----
head -c 200000 /dev/zero | tr '\0' 'x' | fold -w 100 >"$T/big.body"
{ printf 'From: a@example.com\n\n'; cat "$T/big.body"; } >"$T/big.eml"
testfilter_start tf3 -F nohelo,nodata,nr_rcpt,noeoh -b "$T/body3"
out=$(drive -H h -f a@example.com -r b@rcpt.example "$T/big.eml")
like "$out" '^helo: notsent$' "skipped HELO not sent"
like "$out" '^data: notsent$' "skipped DATA not sent"
like "$out" '^eoh: notsent$' "skipped EOH not sent"
like "$out" '^rcpt <b@rcpt\.example>: noreply$' "no reply awaited for RCPT"
is "$(grep -c '^body: continue$' <<<"$out")" 4 "200 kB body in 4 chunks"
is "$(grep '^body ' "$TESTFILTER_LOG" | tr '\n' ' ')" "body 65535 body 65535 body 65535 body 7395 " "chunks of 65535 bytes"
is "$(wc -c <"$T/body3")" 204000 "every body byte arrived (2000 CRLF lines)"
unlike "$(log)" '^(helo|data|eoh)' "filter saw no skipped stage"
testfilter_stop
testfilter_start tf4 -a body=skip
out=$(drive -f a@example.com -r b@rcpt.example "$T/big.eml")
like "$out" '^body: skip$' "SKIP reply"
is "$(grep -c '^body' <<<"$out")" 1 "no body chunk after SKIP"
like "$out" '^eom: continue$' "EOM follows SKIP"
testfilter_stop

# ---- early ends ----
testfilter_start tf5 -a rcpt=reject -a 'connect:early=tempfail' -a 'eom=reply:550:5.7.1:rejected by policy'
out=$(drive -f a@example.com -r b@rcpt.example -r c@rcpt.example "$T/m.eml")
like "$out" '^result: reject$' "all recipients rejected: message rejected"
like "$(log)" '^abort$' "SMFIC_ABORT after the early end"
unlike "$(log)" '^data' "no DATA after all recipients failed"
: >"$TESTFILTER_LOG"
out=$(drive -n early.example -f a@example.com -r b@rcpt.example "$T/m.eml" "$T/m.eml")
ok $? "connection-level tempfail is a completed conversation"
is "$(grep -c '^result: tempfail$' <<<"$out")" 2 "both messages get the connection verdict"
unlike "$(log)" '^mail' "nothing sent after connection-level tempfail"
: >"$TESTFILTER_LOG"
out=$(drive -n ok.example -i ::1 -f a@example.com -r b@x -r c@x "$T/m.eml")
like "$out" '^rcpt <c@x>: reject$' "plain reject"
: >"$TESTFILTER_LOG"
testfilter_stop
testfilter_start tf6 -a 'eom=reply:550:5.7.1:rejected by policy' -a 'mail:second=accept'
out=$(drive -f a@example.com -r b@rcpt.example "$T/m.eml")
like "$out" '^eom: reject 550 5\.7\.1 rejected by policy$' "reply code at eom"
like "$out" '^result: reject 550 5\.7\.1 rejected by policy$' "result carries the reply"

# ---- script mode: several messages on one connection ----
cat >"$T/script" <<EOF
# comment
connect client.example 192.0.2.7 2525
helo client.example
mail <first@example.com> SIZE=100
macro {test} rcptonly
rcpt <b@rcpt.example>
header From: first@example.com
header Subject: hi
body hello
eom
mail <second@example.com>
rcpt <b@rcpt.example>
abort
mail <third@example.com>
rcpt <b@rcpt.example>
message $T/m.eml
quit
EOF
: >"$TESTFILTER_LOG"
out=$(drive -S "$T/script")
ok $? "script ran"
like "$out" '^connect: continue$' "script connect"
like "$out" '^mail <first@example\.com>: continue$' "script mail"
like "$out" '^data: continue$' "DATA sent before the first header"
like "$out" '^eoh: continue$' "EOH sent before the body"
is "$(grep -c '^result: ' <<<"$out")" 3 "three results"
like "$out" '^mail <second@example\.com>: accept$' "accept at MAIL"
like "$out" '^abort: sent$' "abort"
like "$out" '^quit: sent$' "quit"
l=$(log)
like "$l" '^connect host=client\.example family=inet addr=192\.0\.2\.7 port=2525$' "script connect args"
like "$l" '^mail <first@example\.com> SIZE=100$' "ESMTP parameters passed"
unlike "$(sed -n '/^mail <first/,/^rcpt/p' "$TESTFILTER_LOG")" '\{test\}' "script macro not before its stage"
like "$(sed -n '/^rcpt/,/^data/p' "$TESTFILTER_LOG" | head -3)" '\{test\}=rcptonly' "script macro sent with the next stage"
like "$l" '^header Subject=\[hi\]$' "script header"
like "$(sed -n '/^mail <third/,$p' "$TESTFILTER_LOG")" '^eom$' "next message after an accept at MAIL"
printf 'bogus line\n' >"$T/bad.script"
drive -S "$T/bad.script" >/dev/null
is "$?" 1 "script error: exit 1"
like "$(cat "$T/drive.err")" "bad\.script:1: unknown command 'bogus'" "script error names file and line"
testfilter_stop

# ---- a filter that dies, a socket nobody listens on, inet sockets ----
testfilter_start tf7 -a eoh=exit
drive -f a@example.com -r b@rcpt.example "$T/m.eml" >/dev/null
is "$?" 2 "filter closing the connection: exit 2"
like "$(cat "$T/drive.err")" 'closed the connection.*during eoh' "clear message"
"$MD" -s "unix:$T/nothing.sock" -f a@x -r b@x "$T/m.eml" 2>"$T/drive.err" >/dev/null
is "$?" 2 "no socket: exit 2"
like "$(cat "$T/drive.err")" "cannot connect to unix:.*nothing\.sock" "no socket: clear message"
port=$(free_port)
"$top_builddir/t/milter-testfilter" -p "inet:$port@127.0.0.1" -l "$T/tf8.log" >"$T/tf8.out" 2>&1 &
harness_track $! tf8
wait_for 10 tcp_open "$port"
out=$("$MD" -s "inet:$port@127.0.0.1" -f a@x -r b@x "$T/m.eml" 2>&1)
like "$out" '^result: accept$' "inet:PORT@HOST socket"
out=$("$MD" -s "inet:127.0.0.1:$port" -f a@x -r b@x "$T/m.eml" 2>&1)
like "$out" '^result: accept$' "inet:HOST:PORT socket"
if [ -n "$(ip -6 addr show lo 2>/dev/null | grep '::1')" ]; then
	port=$(free_port)
	"$top_builddir/t/milter-testfilter" -p "inet6:$port@::1" -l "$T/tf9.log" >"$T/tf9.out" 2>&1 &
	harness_track $! tf9
	wait_for 10 grep -q listening "$T/tf9.out"
	out=$("$MD" -s "inet6:$port@::1" -f a@x -r b@x "$T/m.eml" 2>&1)
	like "$out" '^result: accept$' "inet6:PORT@::1 socket"
	out=$("$MD" -s "inet:$port@[::1]" -f a@x -r b@x "$T/m.eml" 2>&1)
	like "$out" '^result: accept$' "inet:PORT@[::1] socket"
else
	skip "no ::1 on this machine"
fi

# ---- milter-drive speaks like Postfix ----
if ! command -v postfix >/dev/null || ! command -v swaks >/dev/null; then
	skip "Postfix or swaks not installed: no comparison with Postfix"
	done_testing
fi
printf 'From: <a@example.com>\r\nTo: <b@rcpt.example>\r\nSubject:  two spaces\r\nX-Fold: line1\r\n\tline2\r\nX-Tab:\tvalue\r\nMessage-ID: <1@example.com>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nbody 1\r\n\r\n.dot line\r\nlast' >"$T/pf.eml"
for flags in "" leadspc; do
	testfilter_start "pf$flags" ${flags:+-F $flags} -b "$T/pf$flags.body" -e 'ins:1:X-Inserted:by filter'
	AM_SOCKET=$TESTFILTER_SOCKET postfix_start
	ok $? "postfix_start with the test filter ${flags:+($flags)}"
	postfix_send --from a@example.com --to b@rcpt.example --data "@$T/pf.eml" \
		--xclient-addr 192.0.2.9 --xclient-name mail.example.org --helo mail.example.org >"$T/swaks.out"
	ok $? "Postfix accepted the message"
	postfix_wait_mail b
	like "$(postfix_mail b)" '^X-Inserted: by filter$' "Postfix applied the filter's insheader"
	postfix_stop
	cp "$TESTFILTER_LOG" "$T/pf$flags.postfix.log"
	: >"$TESTFILTER_LOG"
	: >"$T/pf$flags.body"
	"$MD" -s "$TESTFILTER_SOCKET" -i 192.0.2.9 -n mail.example.org -H mail.example.org \
		-f a@example.com -r b@rcpt.example "$T/pf.eml" >/dev/null 2>&1
	cp "$T/pf$flags.body" "$T/pf$flags.body.drive"
	testfilter_stop
	is "$(grep '^header' "$TESTFILTER_LOG")" "$(grep '^header' "$T/pf$flags.postfix.log")" \
		"same header bytes as Postfix ${flags:-(no flags)}"
	cmp -s "$T/pf$flags.body.drive" "$T/pf$flags.body"
	ok $? "same body bytes as Postfix ${flags:-(no flags)}"
	# Postfix's last connection (earlier ones: the harness's port probe,
	# XCLIENT). libmilter runs sessions on a worker pool, so an earlier
	# session's close can be logged among the last one's events: only the
	# final close belongs to it.
	events() {
		grep -E '^[a-z]+( |$)' "$1" | cut -d' ' -f1 | tr '\n' ' ' |
			sed -e 's/.*negotiate /negotiate /' -e ':a' -e 's/ close \([a-z]\)/ \1/' -e 'ta'
	}
	is "$(events "$TESTFILTER_LOG")" "$(events "$T/pf$flags.postfix.log")" "same events as Postfix ${flags:-(no flags)}"
done
is "$(grep -o ' [a-z_{}]*=' "$TESTFILTER_LOG" | sort -u | tr -d '\n')" \
	"$(grep -o ' [a-z_{}]*=' "$T/pfleadspc.postfix.log" | sort -u | tr -d '\n')" \
	"same macro names as Postfix's defaults"


# ---- quarantine and a refused recipient through Postfix ----
testfilter_start pfq -e 'quar:held by the test filter' -a 'rcpt:later=reply:451:4.7.1:greylisted'
AM_SOCKET=$TESTFILTER_SOCKET postfix_start
postfix_send --from a@example.com --to b@rcpt.example --data "@$T/pf.eml" >"$T/swaks.out"
ok $? "quarantined message accepted by Postfix"
wait_for 20 test "$(postfix_held_count)" = 1
ok $? "quarantined message in the hold queue (postfix_held_count)"
like "$(postfix_queue)" '"queue_name": *"hold"' "postfix_queue shows it"
postfix_wait_log 'milter triggers HOLD action'
ok $? "Postfix log names the milter's HOLD"
out=$(postfix_send --from a@example.com --to later@rcpt.example --data "@$T/pf.eml")
ok $((! $?)) "recipient tempfailed by the filter: swaks fails"
like "$out" '<\*\* 451 4\.7\.1 greylisted' "the filter's reply reaches the SMTP client"
postfix_stop
testfilter_stop

done_testing
