# contrib/bench_lib.sh - sourced by contrib/bench.sh (after t/lib/harness.sh
# and t/lib/daemon_auth.sh): the zone, the corpus, the measured runs, the
# peers' namespace and the BENCHMARKS.md writer. Decides nothing about
# correctness; it measures. Loopback only.

BENCH_DOMAINS="bench1.example bench2.example bench3.example bench4.example"
BENCH_CORPORA="rsa4k ed4k big"
N_SMALL=20   # ~4 KB messages per algorithm
N_BIG=4      # ~100 KB messages (RSA-2048)
CLK_TCK=$(getconf CLK_TCK)

# bench_zone: SPF, both fixture DKIM keys and DMARC p=reject for every domain.
bench_zone() {
	local d
	for d in $BENCH_DOMAINS; do
		zone_txt "$d" "v=spf1 ip4:192.0.2.0/24 -all"
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
	SIZE_RSA4K=$(du -b "$dir/m1.eml" | cut -f1)
	SIZE_ED4K=$(du -b "$dir/m$((N_SMALL + 1)).eml" | cut -f1)
	SIZE_BIG=$(du -b "$dir/m$((2 * N_SMALL + 1)).eml" | cut -f1)
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
# measure failures, and the bench says so).
bench_sample() {
	local c args
	mapfile -t args < <(chain_args "$2")
	: >"$T/sample.$1"
	for c in $BENCH_CORPORA; do
		"$ML" "${args[@]}" -q -v -n 1 -M "$T/corpus/$c.manifest" 2>&1 |
			sed -n 's/^  insheader Authentication-Results: *//p' >>"$T/sample.$1"
	done
	if [ "$(grep -c 'dkim=pass' "$T/sample.$1")" -lt 3 ] || [ "$(grep -c 'dmarc=pass' "$T/sample.$1")" -lt 3 ]; then
		echo "bench: $1 did not pass DKIM and DMARC on every corpus:" >&2
		cat "$T/sample.$1" >&2
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

# bench_matrix NAME PIDS SOCKETS: every corpus at every concurrency; one
# line per run in $T/results: NAME CORPUS CONNS key=value... cpu1000=S.
bench_matrix() {
	local name=$1 pids=$2 c n args c0 c1 sum msgs cpu
	mapfile -t args < <(chain_args "$3")
	for c in $BENCH_CORPORA; do
		for n in $CONNS; do
			c0=$(cpu_ticks "$pids")
			"$ML" "${args[@]}" -q -c "$n" -d "$BENCH_SECONDS" -t 30 -M "$T/corpus/$c.manifest" \
				>"$T/run.out" 2>"$T/run.err"
			c1=$(cpu_ticks "$pids")
			sum=$(sed -n 's/^summary: //p' "$T/run.out")
			msgs=$(printf '%s\n' "$sum" | sed -n 's/.*messages=\([0-9]*\).*/\1/p')
			cpu=$(awk -v t=$((c1 - c0)) -v hz="$CLK_TCK" -v m="${msgs:-0}" \
				'BEGIN { printf "%.2f", (m > 0 ? t / hz / m * 1000 : 0) }')
			echo "$name $c $n $sum cpu1000=$cpu" >>"$T/results"
			echo "#   $name $c c=$n: $sum cpu/1000=$cpu s"
			[ -s "$T/run.err" ] && sed 's/^/#     /' "$T/run.err" | head -3
		done
	done
}

# peers_start: opendkim and opendmarc in their own network and mount
# namespace, with the test zone on the namespace's 127.0.0.1:53. Sets
# OPENDKIM_PID, OPENDMARC_PID, PEER_SOCKETS.
peers_start() {
	local P=$T/peers
	mkdir -p "$P"
	sed -e 's/^  port: .*/  port: 53/' -e "s#$T/dns#$P#g" "$T/dns/unbound.conf" >"$P/unbound.conf"
	echo "nameserver 127.0.0.1" >"$P/resolv.conf"
	cat >"$P/opendkim.conf" <<EOF
Mode			v
Socket			local:$P/opendkim.sock
PidFile			$P/opendkim.pid
UMask			000
Syslog			yes
SyslogSuccess		yes
Nameservers		127.0.0.1
AuthservID		mx.test.example
EOF
	cat >"$P/opendmarc.conf" <<EOF
Socket local:$P/opendmarc.sock
PidFile $P/opendmarc.pid
UMask 000
Syslog true
AuthservID mx.test.example
TrustedAuthservIDs mx.test.example
PublicSuffixList /usr/share/publicsuffix/public_suffix_list.dat
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

# field LINE KEY: a key=value of a results line.
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# Corpus names for the tables.
corpus_name() {
	case $1 in
	rsa4k) echo "~4 KB, RSA-2048 ($SIZE_RSA4K bytes)" ;;
	ed4k) echo "~4 KB, ed25519 ($SIZE_ED4K bytes)" ;;
	big) echo "~100 KB, RSA-2048 ($SIZE_BIG bytes)" ;;
	esac
}

# table NAME: the markdown rows of one system's runs.
table() {
	local line
	echo "| corpus | conns | msg/s | p50 ms | p95 ms | p99 ms | max ms | CPU s / 1000 msg | accept | tempfail | other |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	grep "^$1 " "$T/results" | while IFS= read -r line; do
		set -- $line
		echo "| $(corpus_name "$2") | $3 | $(field "$line" rate) | $(field "$line" p50_ms) |" \
			"$(field "$line" p95_ms) | $(field "$line" p99_ms) | $(field "$line" max_ms) |" \
			"$(field "$line" cpu1000) | $(field "$line" accept) | $(field "$line" tempfail) |" \
			"$(($(field "$line" quarantine) + $(field "$line" reject) + $(field "$line" discard) + $(field "$line" error))) |"
	done
}

# ratio X Y: X / Y with two decimals, or n/a.
ratio() {
	awk -v x="$1" -v y="$2" 'BEGIN { if (y > 0 && x != "") printf "%.2f", x / y; else printf "n/a" }'
}

# ratios: authmilter against the peers, run by run.
ratios() {
	local c n a p
	echo "| corpus | conns | msg/s: authmilter / peers | CPU per message: peers / authmilter | p99: peers / authmilter |"
	echo "|---|---:|---:|---:|---:|"
	for c in $BENCH_CORPORA; do
		for n in $CONNS; do
			a=$(grep "^authmilter $c $n " "$T/results")
			p=$(grep "^peers $c $n " "$T/results")
			echo "| $(corpus_name "$c") | $n | $(ratio "$(field "$a" rate)" "$(field "$p" rate)") |" \
				"$(ratio "$(field "$p" cpu1000)" "$(field "$a" cpu1000)") |" \
				"$(ratio "$(field "$p" p99_ms)" "$(field "$a" p99_ms)") |"
		done
	done
}

# bench_write FILE SECONDS: BENCHMARKS.md from $T/results (keeping the
# "## Load test" section and what follows it).
bench_write() {
	local out=$1 secs=$2 rev cpu kernel
	rev=$(git -C "$top_srcdir" rev-parse --short HEAD 2>/dev/null || echo unknown)
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
	kernel=$(uname -r)
	{
		cat <<EOF2
# Benchmarks

Measured by \`contrib/bench.sh\` (\`make bench\`) on $(date -u +%Y-%m-%d): $cpu,
$(nproc) cores, Linux $kernel, $(. /etc/os-release && echo "$PRETTY_NAME"). authmilter
$("$AM" -V | cut -d' ' -f2) (commit $rev, built with \`$(sed -n 's/^CFLAGS = //p' "$top_builddir/Makefile")\`)$(
	[ -n "$PEERS" ] && printf ', opendkim %s and opendmarc %s (Debian packages)' \
		"$(dpkg-query -W -f='${Version}' opendkim)" "$(dpkg-query -W -f='${Version}' opendmarc)").
Each run lasts $BENCH_SECONDS s; the whole benchmark took $secs s.

## What runs

- **DNS**: unbound from \`t/lib/harness.sh\` on loopback, answering from a zone
  file (SPF, the two DKIM fixture keys and DMARC \`p=reject\` for four sender
  domains); every record is asked once in a warm-up pass before the measured
  runs, so the filters' caches are warm.
- **Corpus**: plain-text messages signed at bench time with relaxed/relaxed
  canonicalisation: $N_SMALL of ~4 KB with RSA-2048 (Mail::DKIM,
  \`t/data/dkim/sign-mail-dkim.pl\`), $N_SMALL of ~4 KB with ed25519 (dkimpy,
  \`t/data/dkim/sign-dkimpy.py\`: Debian's Mail::DKIM cannot sign ed25519), $N_BIG of
  ~100 KB with RSA-2048. Every message passes SPF, DKIM and DMARC.
- **Load**: \`contrib/milterload\` at 1, 10 and 50 concurrent connections, one
  message per milter connection (as one SMTP session per message), one
  recipient each, replaying the corpus round robin for $BENCH_SECONDS s.
  Latency is from the connect event to the end-of-message reply.
- **authmilter**: every check on: SPF, DKIM, DMARC, BIMI, and greylisting
  on memcached (\`clients = all\`, \`delay = 0\`). The warm-up sends every
  message twice, so every triplet is already passed: measured messages do
  the store look-ups and are not tempfailed (the tempfail column would
  count any).
- **opendkim + opendmarc** (when installed): verify-only opendkim, then
  opendmarc with \`SPFSelfValidate\` (its own SPF check) trusting opendkim's
  Authentication-Results, chained as \`smtpd_milters\` would chain them (the
  second sees the header the first added). opendmarc reads
  /etc/resolv.conf, so both run in a private network namespace whose
  loopback has a copy of the same DNS server on port 53.
- **CPU** is the filters' own (utime + stime from /proc/PID/stat, summed over
  opendkim and opendmarc), in CPU seconds per 1000 messages; **peak RSS** is
  VmHWM at the end.
- Caveats: the load generator shares the $(nproc) cores with the filters (at
  high concurrency the machine is saturated and msg/s is bounded by both);
  the machine has no syslog daemon, so every filter's per-message syslog()
  call fails fast; other work may have run on the machine at the same time.

## authmilter

$(table authmilter)

Peak RSS of the daemon: $((AM_RSS / 1024)) MB ($AM_RSS kB).

What it added to the first message of each corpus (checked before measuring):

$(sed 's/^/    Authentication-Results: /' "$T/sample.authmilter")
EOF2
		if [ -n "$PEERS" ]; then
			set -- $PEER_RSS
			cat <<EOF2

## opendkim + opendmarc

$(table peers)

Peak RSS: opendkim $(($1 / 1024)) MB ($1 kB), opendmarc $(($2 / 1024)) MB ($2 kB).

What they added to the first message of each corpus (checked before measuring):

$(sed 's/^/    Authentication-Results: /' "$T/sample.peers")

## Side by side

Ratios above 1 favour authmilter (which does SPF, DKIM, DMARC, BIMI and
greylisting in one process; the peers do DKIM and DMARC with SPF, no
greylisting, no BIMI).

$(ratios)
EOF2
		else
			printf '\n## opendkim + opendmarc\n\nNot measured: not installed (apt-get install opendkim opendmarc).\n'
		fi
		cat <<'EOF2'

## How to rerun

    ./configure && make
    make bench                       # or, from the build directory: contrib/bench.sh
    BENCH_SECONDS=10 make bench      # longer runs
    BENCH_PEERS=no make bench        # authmilter only

It needs unbound, memcached, libmail-dkim-perl and python3-dkim (all in
bootstrap.sh); for the side-by-side figures also Debian's opendkim and
opendmarc (`apt-get install opendkim opendmarc`; not installed by
bootstrap.sh), and root for their network namespace. It writes
BENCHMARKS.md in the source tree (BENCH_OUT=FILE to write elsewhere). It is
not part of `make check`. Everything stays on loopback.
EOF2
		# Sections other tools own (the load test) are kept as they were.
		[ -f "$out" ] && sed -n '/^## Load test/,$p' "$out" | sed '1s/^/\n/'
	} >"$out.new" && mv "$out.new" "$out"
}
