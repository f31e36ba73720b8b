# contrib/bench_lib.sh - sourced by contrib/bench.sh and bench_profile.sh
# (after t/lib/harness.sh and t/lib/daemon_auth.sh): the zone, the corpus,
# the set-up both measure on, the socket-mode runs (milterload straight at
# each filter's socket), the soak, and the peers' namespace. The Postfix
# mode is in bench_postfix.sh, the floor in bench_null.sh, the BENCHMARKS.md
# writer in bench_write.sh. Decides nothing about correctness; it measures.
# Loopback only.

BENCH_DOMAINS="bench1.example bench2.example bench3.example bench4.example"
# arc right after rsa4k: it is rsa4k sealed, and the two are compared, so
# they are measured as close together in time as the matrix allows.
BENCH_CORPORA="rsa4k arc ed4k big"
BENCH_SEALER=lists.bench.example   # the d= of the arc corpus's ARC set
N_SMALL=20   # ~4 KB messages per algorithm
N_BIG=4      # ~100 KB messages (RSA-2048)
CLK_TCK=$(getconf CLK_TCK)

# arc_key PEM: a fresh RSA-2048 sealer key in PEM (made at bench time, so
# no private key of a sealer is kept in the tree); prints its key record.
arc_key() {
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null || return 1
	printf 'v=DKIM1; k=rsa; p=%s' "$(openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | base64 -w0)"
}

# bench_zone: SPF, both fixture DKIM keys and DMARC p=reject for every
# domain. SPF also admits 127.0.0.1: smtp-source connects from there. Also
# the ARC sealer's key ($T/arc.pem, made here).
bench_zone() {
	local d rec
	rec=$(arc_key "$T/arc.pem") || { echo "bench: openssl cannot make the ARC sealer key" >&2; return 1; }
	zone_txt "arc._domainkey.$BENCH_SEALER" "$rec"
	for d in $BENCH_DOMAINS; do
		zone_txt "$d" "v=spf1 ip4:192.0.2.0/24 ip4:127.0.0.1 -all"
		zone_txt "rsa._domainkey.$d" "$(fixture_key rsa2048)"
		zone_txt "ed._domainkey.$d" "$(fixture_key ed)"
		zone_txt "_dmarc.$d" "v=DMARC1; p=reject; rua=mailto:dmarc@$d"
	done
}

# body SEED BYTES: plain text of about BYTES bytes, the same for a seed.
body() {
	perl -e 'srand($ARGV[0]); my @w = qw(the mail filter checks each message and its domain key
		signature policy report header body line text sender receiver server client network
		time again please find attached details meeting tomorrow thanks regards);
		my $n = 0; while ($n < $ARGV[1]) { my $l = join(" ", map { $w[rand @w] } 1 .. 8 + int(rand 6));
		print "$l\n"; $n += length($l) + 1 }' "$1" "$2"
}

# message I DOMAIN BYTES: an unsigned message.
message() {
	printf 'From: "User %s" <user%s@%s>\nTo: <rcpt%s@rcpt.example>\nSubject: Benchmark message %s\n' \
		"$1" "$1" "$2" "$(($1 % 5))" "$1"
	printf 'Date: Sat, 22 Nov 2025 12:%02d:00 +0000\nMessage-ID: <bench-%s@%s>\nMIME-Version: 1.0\n' \
		"$(($1 % 60))" "$1" "$2"
	printf 'Content-Type: text/plain; charset=us-ascii\n\n'
	body "$1" "$3"
}

# arc_corpus DIR: each message of rsa4k sealed with one ARC set by
# $BENCH_SEALER (t/arc-seal.py: python3-dkim's arc_sign, RSA-2048), whose
# ARC-Authentication-Results says what a forwarder would have seen: SPF,
# DKIM and DMARC pass. Same clients and envelopes as rsa4k, so the two
# differ only by the set; LF line ends like the rest of the corpus.
arc_corpus() {
	local dir=$1 f ip helo from rcpt d
	: >"$dir/arc.manifest"
	while read -r f ip helo from rcpt; do
		d=${from#*@} d=${d%>}
		/usr/bin/python3 "$top_srcdir/t/arc-seal.py" "$T/arc.pem" "$BENCH_SEALER" arc "$BENCH_SEALER" \
			"spf=pass smtp.mailfrom=$d; dkim=pass header.d=$d; dmarc=pass header.from=$d" \
			<"$dir/$f" | sed 's/\r$//' >"$dir/arc-$f" || return 1
		grep -q '^ARC-Seal: ' "$dir/arc-$f" || return 1
		echo "arc-$f $ip $helo $from $rcpt" >>"$dir/arc.manifest"
	done <"$dir/rsa4k.manifest"
}

# bench_corpus DIR: the signed messages and one manifest per corpus.
bench_corpus() {
	local dir=$1 i d ip
	mkdir -p "$dir"
	: >"$dir/rsa4k.manifest" && : >"$dir/ed4k.manifest" && : >"$dir/big.manifest"
	for i in $(seq 1 $((2 * N_SMALL + N_BIG))); do
		d=$(echo $BENCH_DOMAINS | cut -d' ' -f$((i % 4 + 1)))
		ip=192.0.2.$((10 + i))
		if [ "$i" -le "$N_SMALL" ]; then
			message "$i" "$d" 3300 | perl "$DKIM_DATA/sign-mail-dkim.pl" "$DKIM_DATA/rsa2048.pem" \
				"$d" rsa rsa-sha256 relaxed/relaxed >"$dir/m$i.eml" || return 1
			echo "m$i.eml $ip mx.$d <user$i@$d> rcpt$((i % 5))@rcpt.example" >>"$dir/rsa4k.manifest"
		elif [ "$i" -le $((2 * N_SMALL)) ]; then
			message "$i" "$d" 3600 | /usr/bin/python3 "$DKIM_DATA/sign-dkimpy.py" "$DKIM_DATA/ed25519.key" \
				"$d" ed ed25519-sha256 relaxed/relaxed >"$dir/m$i.eml" || return 1
			echo "m$i.eml $ip mx.$d <user$i@$d> rcpt$((i % 5))@rcpt.example" >>"$dir/ed4k.manifest"
		else
			message "$i" "$d" 100000 | perl "$DKIM_DATA/sign-mail-dkim.pl" "$DKIM_DATA/rsa2048.pem" \
				"$d" rsa rsa-sha256 relaxed/relaxed >"$dir/m$i.eml" || return 1
			echo "m$i.eml $ip mx.$d <user$i@$d> rcpt$((i % 5))@rcpt.example" >>"$dir/big.manifest"
		fi
	done
	arc_corpus "$dir" || return 1
	SIZE_RSA4K=$(du -b "$dir/m1.eml" | cut -f1)
	SIZE_ARC=$(du -b "$dir/arc-m1.eml" | cut -f1)
	SIZE_ED4K=$(du -b "$dir/m$((N_SMALL + 1)).eml" | cut -f1)
	SIZE_BIG=$(du -b "$dir/m$((2 * N_SMALL + 1)).eml" | cut -f1)
}

# bench_setup: what contrib/bench.sh and bench_profile.sh both measure on:
# the zone on the test DNS server, memcached, the corpus in $T/corpus, and
# $T/am.ini: authmilter with every check on, greylisting on memcached that
# lets every triplet through once seen (clients = all, delay = 0).
bench_setup() {
	bench_zone >"$T/zone" || return 1
	dns_start "$T/zone" || return 1
	memcached_start || return 1
	bench_corpus "$T/corpus" || { echo "bench: signing the corpus failed" >&2; return 1; }
	daemon_config "$T/am.ini" greylist.enable=yes greylist.store=memcached greylist.clients=all \
		greylist.delay=0 "greylist.memcached_servers=$AM_MEMCACHED_SERVERS" \
		greylist.memcached_pool_size=64 log.facility=mail
}

# chain_args SOCKETS: -s options for milterload.
chain_args() {
	local s
	for s in $1; do printf -- '-s\n%s\n' "$s"; done
}

# bench_warmup SOCKETS: every message twice (greylisting: the first attempt
# records the triplet, the retry passes it; the caches fill), then once
# more, which must be accepted throughout.
bench_warmup() {
	local c n args
	mapfile -t args < <(chain_args "$1")
	for c in $BENCH_CORPORA; do
		n=$(grep -c . "$T/corpus/$c.manifest")
		"$ML" "${args[@]}" -q -c 4 -n $((2 * n)) -M "$T/corpus/$c.manifest" >"$T/warm.out" 2>&1
		"$ML" "${args[@]}" -q -c 4 -n "$n" -M "$T/corpus/$c.manifest" >"$T/warm.out" 2>&1
		if ! grep -q " accept=$n " "$T/warm.out"; then
			echo "bench: warm-up of $c not all accepted: $(cat "$T/warm.out")" >&2
			return 1
		fi
	done
}

# bench_sample NAME SOCKETS: the first message of each corpus once more
# with -v: the Authentication-Results headers go into BENCHMARKS.md, and
# they must say dkim=pass and dmarc=pass for each (else the figures would
# measure failures, and the bench says so); authmilter's must also say
# arc=pass for the arc corpus, or its row would not be the cost of
# verifying a chain (the peers do not verify ARC).
bench_sample() {
	local c args n=0
	mapfile -t args < <(chain_args "$2")
	: >"$T/sample.$1"
	for c in $BENCH_CORPORA; do
		"$ML" "${args[@]}" -q -v -n 1 -M "$T/corpus/$c.manifest" 2>&1 |
			sed -n 's/^  insheader Authentication-Results: *//p' >"$T/sample.$1.$c"
		cat "$T/sample.$1.$c" >>"$T/sample.$1"
		n=$((n + 1))
	done
	if [ "$(grep -c 'dkim=pass' "$T/sample.$1")" -lt $n ] || [ "$(grep -c 'dmarc=pass' "$T/sample.$1")" -lt $n ]; then
		echo "bench: $1 did not pass DKIM and DMARC on every corpus:" >&2
		cat "$T/sample.$1" >&2
		return 1
	fi
	if [ "$1" = authmilter ] && ! grep -q 'arc=pass' "$T/sample.$1.arc"; then
		echo "bench: authmilter did not say arc=pass for the ARC-sealed corpus:" >&2
		cat "$T/sample.$1.arc" >&2
		return 1
	fi
}

# cpu_ticks PIDS: utime + stime of the processes, in clock ticks.
cpu_ticks() {
	local p t=0
	for p in $1; do
		t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')))
	done
	echo $t
}

# per_msg_ms TICKS MESSAGES: CPU milliseconds per message (0 without messages).
per_msg_ms() {
	awk -v t="$1" -v hz="$CLK_TCK" -v m="${2:-0}" 'BEGIN { printf "%.3f", (m > 0 ? t / hz / m * 1000 : 0) }'
}

# sock_run NAME PIDS SOCKETS CORPUS CONNS: one milterload run of
# BENCH_SECONDS; appends "sock NAME CORPUS CONNS key=value... cpu_ms=MS"
# (the filter's CPU milliseconds per message) to $T/results.
sock_run() {
	local name=$1 pids=$2 c=$4 n=$5 args c0 c1 sum msgs cpu
	mapfile -t args < <(chain_args "$3")
	c0=$(cpu_ticks "$pids")
	"$ML" "${args[@]}" -q -c "$n" -d "$BENCH_SECONDS" -t 30 -M "$T/corpus/$c.manifest" \
		>"$T/run.out" 2>"$T/run.err"
	c1=$(cpu_ticks "$pids")
	sum=$(sed -n 's/^summary: //p' "$T/run.out")
	msgs=$(printf '%s\n' "$sum" | sed -n 's/.*messages=\([0-9]*\).*/\1/p')
	cpu=$(per_msg_ms $((c1 - c0)) "$msgs")
	echo "sock $name $c $n $sum cpu_ms=$cpu" >>"$T/results"
	echo "#   socket $name $c c=$n: $sum cpu=$cpu ms/msg"
	[ -s "$T/run.err" ] && sed 's/^/#     /' "$T/run.err" | head -3
}

# sock_matrix: every corpus at every concurrency, the systems of
# $SOCK_SYSTEMS ("NAME|PIDS|SOCKETS" words) taking turns within each step,
# so load from elsewhere on the machine hits them alike; the corpora take
# turns within each concurrency, so the ARC corpus runs right after the
# same messages unsealed, the pair whose difference is issue 14's figure.
sock_matrix() {
	local c n sys name pids socks
	for n in $CONNS; do
		for c in $BENCH_CORPORA; do
			for sys in $SOCK_SYSTEMS; do
				IFS='|' read -r name pids socks <<<"$sys"
				sock_run "$name" "${pids//,/ }" "${socks//,/ }" "$c" "$n"
			done
		done
	done
}

# soak PID SOCKET COUNT: COUNT messages of the 4 KB corpora at 50
# connections, the daemon's VmRSS sampled every BENCH_SOAK_EVERY (2) s into
# $T/soak.rss ("seconds kB"); the summary line goes to $T/soak.out.
soak() {
	local pid=$1 t0 ml
	: >"$T/soak.rss"
	cat "$T/corpus/rsa4k.manifest" "$T/corpus/ed4k.manifest" >"$T/corpus/soak.manifest"
	t0=$(date +%s)
	"$ML" -s "$2" -q -c 50 -n "$3" -t 60 -M "$T/corpus/soak.manifest" >"$T/soak.out" 2>&1 &
	ml=$!
	while kill -0 "$ml" 2>/dev/null; do
		echo "$(($(date +%s) - t0)) $(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")" >>"$T/soak.rss"
		sleep "${BENCH_SOAK_EVERY:-2}" & wait $!
	done
	wait "$ml"
	echo "$(($(date +%s) - t0)) $(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")" >>"$T/soak.rss"
}

# peers_start: opendkim and opendmarc in their own network and mount
# namespace, with the test zone on the namespace's 127.0.0.1:53. Sets
# OPENDKIM_PID, OPENDMARC_PID, PEER_SOCKETS.
peers_start() {
	local P=$T/peers
	mkdir -p "$P"
	sed -e 's/^  port: .*/  port: 53/' -e "s#$T/dns#$P#g" "$T/dns/unbound.conf" >"$P/unbound.conf"
	echo "nameserver 127.0.0.1" >"$P/resolv.conf"
	# Both skip loopback clients by default; through Postfix every client
	# is 127.0.0.1, so the internal (unchecked) set is a documentation host.
	echo "192.0.2.254" >"$P/internal"
	cat >"$P/opendkim.conf" <<EOF
Mode			v
Socket			local:$P/opendkim.sock
PidFile			$P/opendkim.pid
UMask			000
Syslog			yes
SyslogSuccess		yes
Nameservers		127.0.0.1
AuthservID		mx.test.example
InternalHosts		$P/internal
EOF
	cat >"$P/opendmarc.conf" <<EOF
Socket local:$P/opendmarc.sock
PidFile $P/opendmarc.pid
UMask 000
Syslog true
AuthservID mx.test.example
TrustedAuthservIDs mx.test.example
PublicSuffixList /usr/share/publicsuffix/public_suffix_list.dat
IgnoreHosts $P/internal
SPFSelfValidate true
RejectFailures true
FailureReports false
EOF
	# shellcheck disable=SC2016 # expanded inside the namespace
	harness_spawn peers "$P/ns.log" unshare --mount --net --propagation private bash -c '
		P=$1
		ip link set lo up && mount --bind "$P/resolv.conf" /etc/resolv.conf || exit 1
		/usr/sbin/unbound -d -c "$P/unbound.conf" & u=$!
		for i in $(seq 1 100); do grep -q "start of service" "$P/unbound.log" 2>/dev/null && break; sleep 0.1; done
		/usr/sbin/opendkim -f -x "$P/opendkim.conf" & k=$!
		/usr/sbin/opendmarc -f -c "$P/opendmarc.conf" & m=$!
		echo "$k $m" >"$P/pids"
		trap "kill $k $m $u 2>/dev/null; wait; exit 0" TERM INT
		wait' peers "$P"
	PEERS_NS_PID=$HARNESS_PID
	if ! wait_for 20 test -S "$P/opendkim.sock" -a -S "$P/opendmarc.sock" -a -s "$P/pids"; then
		echo "bench: the peers did not start:" >&2
		tail -5 "$P/ns.log" >&2
		return 1
	fi
	read -r OPENDKIM_PID OPENDMARC_PID <"$P/pids"
	PEER_SOCKETS="unix:$P/opendkim.sock unix:$P/opendmarc.sock"
}

# peers_stop: stop the namespace's processes (by pid) and its shell.
peers_stop() {
	[ -n "${PEERS_NS_PID:-}" ] || return 0
	harness_kill "$PEERS_NS_PID" 15
	kill "${OPENDKIM_PID:-}" "${OPENDMARC_PID:-}" 2>/dev/null
	PEERS_NS_PID=""
}

