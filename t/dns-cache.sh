#!/bin/bash
# t/dns-cache.sh - the daemon's DNS answers (libunbound's cache and ours in
# front of it, lib/am_dns_cache.c) never outlive their TTL: an SPF record
# with a 2 s TTL is changed on the DNS server, and 4 s after it was first
# asked the daemon must see the new one; a record with a 300 s TTL changed
# the same way is still answered from the cache (so the first check is not
# passing merely because nothing is cached). Also: a repeated question
# inside the TTL does not reach the DNS server again.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
harness_init dns-cache
[ -x /usr/sbin/unbound ] || skip_all "unbound is not installed"

zone() {
	echo "short.example. 2 IN TXT \"v=spf1 $1 -all\""
	echo "long.example. 300 IN TXT \"v=spf1 $1 -all\""
}
zone "ip4:192.0.2.0/24" >"$T/zone1"
zone "ip4:198.51.100.0/24" >"$T/zone2"
dns_start "$T/zone1" || bail_out "no DNS server"
daemon_config "$T/am.ini" dmarc.enable=no bimi.enable=no
daemon_start "$T/am.ini" || bail_out "daemon did not start"

# spf DOMAIN: the daemon's smtp.mailfrom SPF result for a message from DOMAIN.
spf() {
	milter_drive -t 30 -i 192.0.2.1 -H mx.client.example -f "<a@$1>" -r b@rcpt.example "$T/m.eml" 2>&1 |
		sed -n 's/^insheader 1 Authentication-Results: .*spf=\([a-z]*\) smtp\.mailfrom=.*/\1/p'
}
printf 'From: <a@short.example>\nTo: <b@rcpt.example>\nSubject: ttl\n\nBody.\n' >"$T/m.eml"

t0=$(date +%s.%N)
is "$(spf short.example)" pass "2 s TTL: pass with the first record"
is "$(spf long.example)" pass "300 s TTL: pass with the first record"
asked=$(grep -c 'short.example. TXT' "$AM_DNS_LOG")
is "$(spf short.example)" pass "asked again at once: the same answer"
is "$(grep -c 'short.example. TXT' "$AM_DNS_LOG")" "$asked" "... and the DNS server was not asked again"

dns_restart "$T/zone2" || bail_out "DNS server did not restart"
# wait until 4 s after the first question (2 s TTL, generous slack)
sleep "$(awk -v t0="$t0" -v now="$(date +%s.%N)" 'BEGIN { w = 4 - (now - t0); print (w > 0 ? w : 0) }')"
is "$(spf short.example)" fail "after the 2 s TTL the changed record is seen (the client is no longer in it)"
is "$(spf long.example)" pass "inside the 300 s TTL the first answer is still used"
daemon_stop
ok $? "daemon stops cleanly"
done_testing
