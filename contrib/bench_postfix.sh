# contrib/bench_postfix.sh - sourced by contrib/bench.sh (after
# t/lib/harness.sh and contrib/bench_lib.sh): the through-Postfix mode. One
# private Postfix (t/lib/harness_postfix.sh) with one smtpd per system on a
# port of its own (no milter, the null milter, authmilter, the peers), so
# the systems take turns run by run without a reload; mail is discarded
# after the queue (discard(8)), so Postfix's share is smtpd, cleanup, qmgr
# and the queue files. Load: Postfix's smtp-source, one message per SMTP
# session. Measures; decides nothing about correctness beyond the sample.

# pf_bench_start: Postfix without a default milter, delivery discarded, and
# no inflow control: with in_flow_delay (1 s by default) Postfix pauses a
# new message for up to a second whenever arrivals outpace deliveries,
# which at 50 sessions happened to a few percent of the messages of every
# system, milter or none, and those pauses, not the filters, decided the
# figures (one run measured authmilter at 0.50 of the null milter, the
# next at 1.08).
pf_bench_start() {
	postfix_start --no-milter "virtual_transport = discard:" "in_flow_delay = 0s" \
		"smtpd_client_connection_count_limit = 0" \
		"smtpd_client_message_rate_limit = 0" "smtpd_client_connection_rate_limit = 0" \
		"smtpd_milter_maps =" "milter_connect_timeout = 30s" || return 1
	PF_SYSTEMS=""
}

# pf_add SYSTEM MILTERS: an smtpd for SYSTEM on a free port, with
# smtpd_milters = MILTERS (comma-separated, no blanks; "" = none).
pf_add() {
	local port
	port=$(free_port) || return 1
	postconf -c "$AM_PF_CONF" -Me "127.0.0.1:$port/inet=127.0.0.1:$port inet n - n - - smtpd -o smtpd_milters=$2" ||
		return 1
	eval "PF_PORT_${1//-/_}=$port"
	PF_SYSTEMS="$PF_SYSTEMS $1"
}

# pf_port SYSTEM: its smtpd port.
pf_port() {
	eval "echo \$PF_PORT_${1//-/_}"
}

# pf_reload: make the added smtpd services listen.
pf_reload() {
	local s
	postfix -c "$AM_PF_CONF" reload >>"$T/postfix/start.log" 2>&1 || return 1
	for s in $PF_SYSTEMS; do
		wait_for 20 tcp_open "$(pf_port "$s")" || { diag "smtpd for $s does not listen"; return 1; }
	done
}

# pf_cpu_ticks: CPU of the Postfix instance in clock ticks: the master and
# its children (zombies included: their times stay readable until reaped),
# each utime + stime + cutime + cstime; a reaped child's time moves into
# the master's cutime, so the sum only grows.
pf_cpu_ticks() {
	local master
	master=$(head -1 "$T/postfix/queue/pid/master.pid" 2>/dev/null | tr -d ' ')
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v m="${master:-0}" '
		{ pid = $1; sub(/^.*\) /, "") }
		pid == m || $2 == m { t += $12 + $13 + $14 + $15 }
		END { print t + 0 }'
}

# pf_queue_empty: nothing left in the queue (checked on disk: asking
# postqueue would spend Postfix CPU).
pf_queue_empty() {
	[ -z "$(find "$T/postfix/queue/incoming" "$T/postfix/queue/active" "$T/postfix/queue/maildrop" \
		-type f 2>/dev/null | head -1)" ]
}

# pf_log_stats FROM-BYTE: from the mail log since FROM-BYTE, "accepted=N
# refused=N": accepted = queued and delivered, refused = milter rejects
# and tempfails. (The log's time stamps are whole seconds: latency comes
# from contrib/smtplat.)
pf_log_stats() {
	tail -c +"$(($1 + 1))" "$AM_PF_LOG" |
		awk '/ status=sent / { acc++ } / milter-reject: / { ref++ } END { printf "accepted=%d refused=%d\n", acc, ref }'
}

# pf_send SYSTEM CORPUS SESSIONS COUNT: smtp-source, one message per
# session, the corpus' first message; prints smtp-source's output on error.
pf_send() {
	local line file from helo
	line=$(grep -v '^#' "$T/corpus/$2.manifest" | head -1)
	set -- "$1" "$2" "$3" "$4" $line
	file=$T/corpus/$5
	helo=$7
	from=${8#<}
	from=${from%>}
	${PF_CLIENT:-smtp-source -M} "$helo" -s "$3" -m "$4" -f "$from" -t "$9" -F "$file" "127.0.0.1:$(pf_port "$1")" \
		>"$T/pf.out" 2>&1 || { sed 's/^/#     /' "$T/pf.out" | head -3; return 1; }
}

# pf_latency SYSTEM CORPUS SESSIONS COUNT: contrib/smtplat's summary
# (per-message session latency) as "p50_ms=... p99_ms=... max_ms=... lat_refused=N".
pf_latency() {
	PF_CLIENT="$top_builddir/contrib/smtplat -H" pf_send "$@"
	sed -n 's/^summary: .* refused=\([0-9]*\) error=\([0-9]*\) \(.*\)$/\3 lat_refused=\1 lat_error=\2/p' "$T/pf.out"
}

# pf_run SYSTEM PIDS CORPUS SESSIONS COUNT: one measured run (smtp-source:
# msg/s and CPU; then smtplat: latency); appends
# "pf SYSTEM CORPUS SESSIONS rate=... cpu_ms=... pf_cpu_ms=... ..." to
# $T/results. PIDS: the milter daemon's processes ("" for none).
pf_run() {
	local sys=$1 pids=$2 corpus=$3 n=$4 count=$5 off m0 m1 p0 p1 t0 t1 stats acc rate mcpu pcpu
	wait_for 60 pf_queue_empty # the previous run's latency messages
	off=$(stat -c %s "$AM_PF_LOG")
	p0=$(pf_cpu_ticks)
	m0=$(cpu_ticks "$pids")
	t0=$(date +%s.%N)
	pf_send "$sys" "$corpus" "$n" "$count"
	t1=$(date +%s.%N)
	wait_for 60 pf_queue_empty || echo "#     the queue did not drain in 60 s"
	m1=$(cpu_ticks "$pids")
	p1=$(pf_cpu_ticks)
	# then a quarter as many again with smtplat, for the latency alone
	stats="$(pf_log_stats "$off") $(pf_latency "$sys" "$corpus" "$n" $((count / 4 > 100 ? count / 4 : 100)))"
	acc=$(field "$stats" accepted)
	rate=$(awk -v m="${acc:-0}" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", m / (b - a) }')
	mcpu=$(per_msg_ms $((m1 - m0)) "$acc")
	pcpu=$(per_msg_ms $((p1 - p0)) "$acc")
	echo "pf $sys $corpus $n rate=$rate $stats cpu_ms=$mcpu pf_cpu_ms=$pcpu" >>"$T/results"
	echo "#   postfix $sys $corpus s=$n: $rate msg/s $stats milter $mcpu ms/msg postfix $pcpu ms/msg"
}

# pf_sample SYSTEM: one message through SYSTEM's smtpd delivered into the
# Maildir (Postfix's own delivery, not discarded): its Authentication-
# Results must say dkim=pass and dmarc=pass, so the measured runs verify
# real signatures through Postfix exactly as sent by smtp-source.
pf_sample() {
	local f
	postconf -c "$AM_PF_CONF" -e "virtual_transport = virtual" && pf_reload || return 1
	pf_send "$1" rsa4k 1 1
	postfix_wait_mail '*' 1 20
	f=$(_h_pf_files '*' | tail -1)
	postconf -c "$AM_PF_CONF" -e "virtual_transport = discard:" && pf_reload || return 1
	awk '/^$/ { exit } /^[ \t]/ { if (ar) { sub(/^[ \t]+/, " "); line = line $0 }; next }
		{ if (ar) exit; ar = (tolower($0) ~ /^authentication-results:/); line = $0 }
		END { if (ar) print line }' "$f" 2>/dev/null >"$T/sample.pf"
	if ! grep -q 'dkim=pass' "$T/sample.pf" || ! grep -q 'dmarc=pass' "$T/sample.pf"; then
		echo "bench: through Postfix authmilter did not pass DKIM and DMARC:" >&2
		cat "$f" >&2
		return 1
	fi
}

# pf_matrix: every system at 1, 10 and 50 sessions with the 4 KB RSA
# corpus, then at 10 with the 100 KB one; the systems take turns within
# each step so load from elsewhere on the machine hits them alike, and
# each step runs BENCH_PF_ROUNDS times (bench.sh sets the default;
# BENCHMARKS.md reports the median of each figure, and compares authmilter
# with the null milter round by round: one run through Postfix varies by
# 10-20%).
# Message counts scale with BENCH_PF_SCALE (percent, default 100).
pf_matrix() {
	local step n corpus count sys round scale=${BENCH_PF_SCALE:-100}
	for step in rsa4k:1:1000 rsa4k:10:2000 rsa4k:50:3000 big:10:400; do
		IFS=: read -r corpus n count <<<"$step"
		count=$((count * scale / 100))
		for round in $(seq "$BENCH_PF_ROUNDS"); do
			for sys in $PF_SYSTEMS; do
				pf_run "$sys" "$(pf_pids "$sys")" "$corpus" "$n" "$count"
			done
		done
	done
}

# pf_pids SYSTEM: the milter processes behind SYSTEM's smtpd.
pf_pids() {
	case $1 in
	none) echo "" ;;
	null) echo "$NULL_PID" ;;
	authmilter) echo "$AM_DAEMON_PID" ;;
	peers) echo "$OPENDKIM_PID $OPENDMARC_PID" ;;
	esac
}

# pf_warmup: two messages of each corpus through every system (greylisting
# records the 127.0.0.1 triplet on the first and passes the second; smtpd
# processes and the filters' caches start), not measured.
pf_warmup() {
	local sys c
	for sys in $PF_SYSTEMS; do
		for c in rsa4k big; do
			pf_send "$sys" "$c" 1 1 >/dev/null
			pf_send "$sys" "$c" 1 1 || { echo "bench: warm-up through $sys failed" >&2; return 1; }
		done
	done
	wait_for 60 pf_queue_empty
}
