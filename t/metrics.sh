#!/bin/bash
# t/metrics.sh - the [metrics] endpoint of the real daemon: known traffic
# through the milter socket (milter_drive) against a real unbound: SPF
# pass / fail (rejected at RCPT) / none / temperror (a DNS timeout), a
# greylisted client with two recipients and whitelisted ones; then a
# scrape over HTTP, where each counter has the value that traffic implies
# and the families add up (SPF results = MAIL commands, RCPT actions =
# recipients = rcpt histogram count, EOM actions = messages = eom count,
# cumulative buckets). Also: 404/405, a bad listen value refused by -n, a
# busy port refusing to start.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
harness_init metrics

cat >"$T/zone" <<'EOF2'
pass.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
fail.example. 300 IN TXT "v=spf1 -all"
nospf.example. 300 IN A 192.0.2.99
slow.example TIMEOUT
EOF2
dns_start "$T/zone" || bail_out "no DNS server"
mkdir "$T/lmdb"
[ "$(id -u)" = 0 ] && chown nobody "$T/lmdb"
PORT=$(free_port)
daemon_config "$T/am.ini" "metrics.listen=127.0.0.1:$PORT" spf.fail_action=reject dmarc.enable=no \
	greylist.enable=yes greylist.clients=all greylist.store=lmdb "greylist.lmdb_path=$T/lmdb/g.lmdb" \
	greylist.whitelist_networks=192.0.2.0/24
daemon_start "$T/am.ini" || bail_out "daemon did not start"
daemon_wait_log "metrics on http://127\.0\.0\.1:$PORT/metrics"
ok $? "the daemon logs where the metrics are"

# http METHOD PATH: the whole HTTP/1.0 response (headers and body).
http() {
	local resp
	exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
	printf '%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$1" "$2" >&3
	resp=$(cat <&3)
	exec 3<&-
	printf '%s\n' "$resp" | tr -d '\r'
}
# v SERIES: the value of one sample of the last scrape (empty if absent).
v() { awk -v s="$1" '$1 == s { print $2 }' <<<"$SCRAPE"; }
# sum PREFIX: the sum of the samples whose series starts with PREFIX.
sum() { awk -v p="$1" 'index($1, p) == 1 { s += $2 } END { print s + 0 }' <<<"$SCRAPE"; }

SCRAPE=$(http GET /metrics)
like "$SCRAPE" '^HTTP/1\.[01] 200' "GET /metrics: 200"
like "$SCRAPE" '^Content-Type: text/plain; version=0\.0\.4' "Prometheus text content type"
is "$(v authmilter_connections_total)" 0 "no traffic yet: 0 connections"

printf 'From: <a@pass.example>\nTo: <b@rcpt.example>\nSubject: m\n\nHello.\n' >"$T/m.eml"
# drive IP FROM RCPT...: one message on its own connection.
drive() {
	local ip=$1 from=$2 r args=()
	shift 2
	for r in "$@"; do args+=(-r "<$r>"); done
	milter_drive -t 30 -i "$ip" -H helo.example -f "<$from>" "${args[@]}" "$T/m.eml" 2>&1
}
out=$(drive 192.0.2.1 a@pass.example b@rcpt.example)
like "$out" '^result: accept$' "traffic 1: SPF pass accepted"
out=$(drive 192.0.2.1 x@fail.example b@rcpt.example)
like "$out" '^rcpt <b@rcpt\.example>: reject 550' "traffic 2: SPF fail rejected at RCPT"
out=$(drive 198.51.100.7 c@nospf.example d@rcpt.example e@rcpt.example)
is "$(grep -c '^rcpt .*: tempfail 451 4\.7\.1' <<<"$out")" 2 "traffic 3: both recipients greylisted"
out=$(drive 192.0.2.1 y@slow.example b@rcpt.example)
like "$out" '^result: accept$' "traffic 4: SPF temperror accepted"

SCRAPE=$(http GET /metrics)
is "$(v authmilter_connections_total)" 4 "connections"
is "$(v 'authmilter_spf_results_total{identity="mailfrom",result="pass"}')" 1 "spf mailfrom pass"
is "$(v 'authmilter_spf_results_total{identity="mailfrom",result="fail"}')" 1 "spf mailfrom fail"
is "$(v 'authmilter_spf_results_total{identity="mailfrom",result="none"}')" 1 "spf mailfrom none"
is "$(v 'authmilter_spf_results_total{identity="mailfrom",result="temperror"}')" 1 "spf mailfrom temperror"
is "$(sum 'authmilter_spf_results_total{identity="mailfrom"')" 4 "spf mailfrom results add up to the 4 MAIL commands"
is "$(sum 'authmilter_spf_results_total{identity="helo"')" 4 "spf helo results: one per MAIL (new HELO each time)"
is "$(v 'authmilter_actions_total{stage="rcpt",action="reject"}')" 1 "rcpt reject"
is "$(v 'authmilter_actions_total{stage="rcpt",action="tempfail"}')" 2 "rcpt tempfail"
is "$(v 'authmilter_actions_total{stage="rcpt",action="continue"}')" 2 "rcpt continue"
is "$(sum 'authmilter_actions_total{stage="rcpt"')" 5 "rcpt actions add up to the 5 recipients"
is "$(v 'authmilter_stage_duration_seconds_count{stage="rcpt"}')" 5 "rcpt latency: 5 observations"
is "$(v 'authmilter_greylist_total{outcome="new"}')" 2 "greylist new"
is "$(v 'authmilter_greylist_total{outcome="whitelisted"}')" 3 "greylist whitelisted"
is "$(sum authmilter_greylist_total)" 5 "greylist outcomes add up to the recipients"
is "$(v 'authmilter_messages_total{client="checked"}')" 2 "2 messages reached end of data"
is "$(sum 'authmilter_actions_total{stage="eom"')" 2 "eom actions add up to the messages"
is "$(v 'authmilter_actions_total{stage="eom",action="accept"}')" 2 "eom accept"
is "$(v 'authmilter_stage_duration_seconds_count{stage="eom"}')" 2 "eom latency: 2 observations"
is "$(v 'authmilter_stage_duration_seconds_count{stage="mail"}')" 4 "mail latency: 4 observations"
is "$(v 'authmilter_dkim_results_total{result="none"}')" 2 "dkim none for the 2 unsigned messages"
is "$(v 'authmilter_dmarc_results_total{result="none"}')" 0 "dmarc off: nothing counted"
ok $([ "$(v 'authmilter_dns_errors_total{error="timeout"}')" -ge 1 ] && echo 0 || echo 1) \
	"the DNS timeout is counted"
ok $([ "$(v authmilter_dns_queries_total)" -ge 8 ] && echo 0 || echo 1) \
	"DNS queries counted ($(v authmilter_dns_queries_total))"
mail_inf=$(v 'authmilter_stage_duration_seconds_bucket{stage="mail",le="+Inf"}')
mail_fast=$(v 'authmilter_stage_duration_seconds_bucket{stage="mail",le="0.5"}')
is "$mail_inf" 4 "mail histogram: +Inf bucket = count"
is "$mail_fast" 3 "mail histogram: the DNS timeout (1 s) is the one slow MAIL"
mono=$(awk '/^authmilter_stage_duration_seconds_bucket/ { split($1, a, ",le="); k = a[1];
	if (k == last && $2 < prev) bad = 1; last = k; prev = $2 } END { print bad + 0 }' <<<"$SCRAPE")
is "$mono" 0 "histogram buckets are cumulative"

like "$(http GET /other)" '^HTTP/1\.[01] 404' "another path: 404"
like "$(http POST /metrics)" '^HTTP/1\.[01] 405' "POST: 405"

daemon_stop
ok $? "daemon stops cleanly with the endpoint running"

# -n refuses a bad listen value, naming the option.
daemon_config "$T/bad.ini" metrics.listen=localhost:9100
out=$("$top_builddir/milter/authmilter" -n -c "$T/bad.ini" 2>&1)
st=$?
is "$st" 1 "-n: a host name as listen address is refused"
like "$out" '\[metrics\] listen' "-n names the option"

# A busy port: the daemon does not start, and says why.
PORT2=$(free_port)
/usr/bin/python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(30)' "$PORT2" &
busy=$!
harness_track "$busy" busy-port
wait_for 5 tcp_open "$PORT2"
daemon_config "$T/busy.ini" "metrics.listen=127.0.0.1:$PORT2"
# The milter socket opens first, so daemon_start sees it; then the daemon exits.
daemon_start "$T/busy.ini"
dead() { ! daemon_alive; }
wait_for 10 dead
ok $? "a busy metrics port: the daemon does not start"
daemon_stop
is "$?" 1 "exit status 1"
like "$(cat "$T/daemon.log")" "cannot serve metrics on 127\.0\.0\.1:$PORT2" "and logs why"
harness_kill "$busy" 1
done_testing
