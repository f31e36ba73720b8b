#!/bin/bash
# t/harness-selftest.sh - proves that the test harness (t/lib/harness.sh)
# works: unbound answers from a zone file (TXT, A, MX, PTR in documentation
# ranges and loopback, NXDOMAIN, NODATA) and never answers TIMEOUT names;
# memcached instances store and lose data as told; a private Postfix accepts
# and delivers mail without a milter and leaves no process behind; the exit
# trap stops servers of a test that is interrupted and keeps $T of a test
# that failed. It does not test authmilter itself.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
harness_init harness-selftest

for tool in /usr/sbin/unbound memcached postfix swaks; do
	command -v "$tool" >/dev/null || skip_all "$tool is not installed"
done
perl -MNet::DNS -e 1 2>/dev/null || skip_all "perl Net::DNS missing (apt-get install libnet-dns-perl)"

# ---- DNS ----
cat >"$T/zone" <<'EOF'
# test zone
example.com. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
example.com. 300 IN A 192.0.2.10
example.com. 300 IN MX 10 mail.example.com.
mail.example.com. 300 IN A 192.0.2.25
sel._domainkey.example.org. 300 IN TXT "v=DKIM1; k=rsa; p=AAAA" "BBBB"
25.2.0.192.in-addr.arpa. 300 IN PTR mail.example.com.
5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 300 IN PTR v6.example.net.
1.0.0.127.in-addr.arpa. 300 IN PTR loopback.example.
www.example.net. 300 IN CNAME example.com.
slow.example.com TIMEOUT
EOF
dns_start "$T/zone"
ok $? "dns_start"
like "$AM_NAMESERVERS" '^127\.0\.0\.1@[0-9]+$' "AM_NAMESERVERS exported"
like "$(dns_query example.com TXT)" '^example\.com\. 300 IN TXT "v=spf1 ip4:192\.0\.2\.0/24 -all"$' "TXT answered"
like "$(dns_query example.com A)" 'IN A 192\.0\.2\.10$' "A answered"
like "$(dns_query example.com MX)" 'IN MX 10 mail\.example\.com\.$' "MX answered"
out=$(dns_query sel._domainkey.example.org TXT)
like "$out" 'TXT "?v=DKIM1; k=rsa; p=AAAA"? "?BBBB' "long TXT as several strings"
like "$(dns_query 25.2.0.192.in-addr.arpa PTR)" 'PTR mail\.example\.com\.$' "PTR in 192.0.2.0/24"
like "$(dns_query 5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa PTR)" \
	'PTR v6\.example\.net\.$' "PTR in 2001:db8::/32"
out=$(dns_query 1.0.0.127.in-addr.arpa PTR)
like "$out" 'PTR loopback\.example\.$' "loopback PTR from the zone file"
unlike "$out" 'PTR localhost' "unbound's default loopback PTR replaced"
like "$(dns_query www.example.net A)" 'CNAME example\.com\.$' "CNAME answered"
is "$(dns_query nope.example.com TXT | head -1)" NXDOMAIN "unknown name: NXDOMAIN"
is "$(dns_query 26.2.0.192.in-addr.arpa PTR | head -1)" NXDOMAIN "unknown PTR: NXDOMAIN"
is "$(dns_query nothing.example.org A | head -1)" NXDOMAIN "unknown .org name: NXDOMAIN"
is "$(dns_query example.com AAAA)" NOERROR "other type: NODATA"
start=$SECONDS
out=$(DNS_QUERY_TIMEOUT=2 dns_query slow.example.com TXT)
st=$?
is "$st:$out" "2:TIMEOUT" "TIMEOUT name not answered within 2 s"
out=$(DNS_QUERY_TIMEOUT=1 dns_query a.b.slow.example.com A)
is "$out" TIMEOUT "names below a TIMEOUT name are not answered either"
like "$(dns_queries)" '^slow\.example\.com\. TXT$' "dns_queries lists received queries"
out=$(AM_DNS_PORT=$AM_SILENT_PORT DNS_QUERY_TIMEOUT=1 dns_query example.com A)
is "$out" TIMEOUT "silent UDP socket never answers"
dns_restart
ok $? "dns_restart"
like "$(dns_query example.com A)" 'IN A 192\.0\.2\.10$' "answers after restart, same port"
dns_stop
is "$(DNS_QUERY_TIMEOUT=1 dns_query example.com A)" TIMEOUT "no answer after dns_stop"

# ---- memcached ----
memcached_start
ok $? "memcached_start (1)"
memcached_start
ok $? "memcached_start (2)"
set -- $AM_MEMCACHED_PORTS
is "$#" 2 "two ports exported"
like "$AM_MEMCACHED_SERVERS" "^127\.0\.0\.1:$1,127\.0\.0\.1:$2\$" "AM_MEMCACHED_SERVERS"
memcached_set "$1" greykey one
ok $? "set on instance 1"
is "$(memcached_get "$1" greykey)" one "get on instance 1"
memcached_get "$2" greykey >/dev/null
ok $((! $?)) "instances do not share data"
memcached_kill 1
memcached_set "$1" greykey two 2>/dev/null
ok $((! $?)) "instance 1 unreachable after memcached_kill"
memcached_restart 1
ok $? "memcached_restart 1"
memcached_get "$1" greykey >/dev/null
ok $((! $?)) "restarted instance is empty"
memcached_set "$1" greykey three
is "$(memcached_get "$1" greykey)" three "restarted instance works"

# ---- Postfix without a milter ----
postfix_start --no-milter
ok $? "postfix_start --no-milter"
pf_conf=$AM_PF_CONF
printf 'From: <sender@example.com>\nTo: <user@rcpt.example>\nSubject: harness selftest\n\nhello\n' >"$T/msg.eml"
out=$(postfix_send --from sender@example.com --to user@rcpt.example --data "@$T/msg.eml" --xclient-addr 192.0.2.25)
ok $? "swaks transaction accepted"
like "$out" '250 2\.0\.0 Ok: queued' "queued by our smtpd"
postfix_wait_mail user 1
ok $? "delivered to the test mailbox"
like "$(postfix_mail user)" '^Subject: harness selftest' "delivered message readable"
like "$(postfix_mail user)" '^Received: from client\.example \(unknown \[192\.0\.2\.25\]\)' "XCLIENT address in Received"
postfix_wait_log 'status=sent'
ok $? "maillog shows the delivery"
is "$(postfix_held_count)" 0 "hold queue empty"
postfix_stop
left=$(_h_pf_conf=$pf_conf postfix_pids)
is "$left" "" "postfix_stop leaves no processes"

# ---- cleanup of an interrupted and of a failed test ----
cat >"$T/child.sh" <<EOF
#!/bin/bash
. "$top_srcdir/t/lib/harness.sh"
harness_init harness-selftest-child
memcached_start >/dev/null
echo "\${_h_mc_pids[0]} \$T" >"$T/child.info"
[ "\$1" = fail ] && { ok 1 "deliberate failure"; done_testing; }
sleep 60 & harness_track \$! sleep; wait \$!
EOF
bash "$T/child.sh" >"$T/child.out" 2>&1 &
child=$!
harness_track "$child" child
wait_for 10 test -s "$T/child.info"
read -r mpid childT <"$T/child.info"
kill -0 "$mpid" 2>/dev/null
ok $? "child test started memcached"
kill -TERM "$child"
wait "$child" 2>/dev/null
harness_untrack "$child"
sleep 0.2
kill -0 "$mpid" 2>/dev/null
ok $((! $?)) "interrupted test stopped its memcached"
rm -f "$T/child.info"
bash "$T/child.sh" fail >"$T/child.out" 2>&1
st=$?
read -r mpid childT <"$T/child.info"
ok $((st == 0)) "failing child exits non-zero"
kill -0 "$mpid" 2>/dev/null
ok $((! $?)) "failed test stopped its memcached"
test -d "$childT"
ok $? "failed test kept its directory"
like "$(cat "$T/child.out")" "^# kept .*harness-selftest-child" "and said so"
rm -rf "$childT"

done_testing
