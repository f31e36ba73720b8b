# t/lib/harness_servers.sh - part of t/lib/harness.sh (sourced by it, not by
# tests): DNS (unbound), memcached, the authmilter daemon and the milter
# drivers. Postfix lives in harness_postfix.sh.

# ---- DNS: a real unbound answering from a zone file --------------------------

# Zone file lines: unbound local-data RR text ("name. 300 IN TXT \"v=spf1 -all\""),
# or "name TIMEOUT" for names whose queries are never answered. '#' comments.
# Every other name is NXDOMAIN (NODATA when the name has other types); nothing
# is ever sent anywhere (local-zone "." static, no forwarding, no recursion).
# Timeout names use local-zone "deny" (unbound drops the query): unlike a
# forward to a silent server, no infrastructure cache can ever turn that into
# a quick SERVFAIL. A silent UDP socket is started too, for tests that point
# the daemon at a server that never answers (AM_SILENT_NAMESERVERS).

# Unbound's built-in zones that carry data and would mix with the test's.
_h_dns_datazones="localhost. 127.in-addr.arpa. 1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa."

# Write $T/dns/unbound.conf for zone file $1 and port $2.
_h_dns_config() {
	local zone=$1 port=$2 dir="$T/dns" line name z f
	{
		cat <<EOF
server:
  verbosity: 1
  interface: 127.0.0.1
  port: $port
  do-ip4: yes
  do-ip6: no
  do-udp: yes
  do-tcp: yes
  username: ""
  chroot: ""
  directory: "$dir"
  pidfile: "$dir/unbound.pid"
  logfile: "$dir/unbound.log"
  use-syslog: no
  log-queries: yes
  log-replies: yes
  num-threads: 1
  so-reuseport: no
  module-config: "iterator"
  access-control: 127.0.0.0/8 allow
  local-zone: "." static
EOF
		while IFS= read -r line || [ -n "$line" ]; do
			line=${line%$'\r'}
			case "$line" in '' | '#'* | ';'*) continue ;; esac
			read -r -a f <<<"$line"
			if [ ${#f[@]} -eq 2 ] && [ "${f[1]}" = TIMEOUT ]; then
				name=${f[0]%.}.
				echo "  local-zone: \"$name\" deny"
				continue
			fi
			case "$line" in *"'"*) echo "dns_start: line with a single quote unsupported: $line" >&2; return 1 ;; esac
			name=${f[0]%.}.
			for z in $_h_dns_datazones; do
				case "$name" in *".$z" | "$z") echo "  local-zone: \"$z\" nodefault" ;; esac
			done
			echo "  local-data: '$line'"
		done <"$zone"
		printf 'remote-control:\n  control-enable: no\n'
	} >"$dir/unbound.conf.new" || return 1
	# nodefault lines may repeat; unbound accepts only one per zone. A name
	# with data below a TIMEOUT (deny) name gets a static zone of its own,
	# or the deny would swallow its queries too.
	awk '
		/local-zone: .* deny$/ { split($0, q, "\""); deny[q[2]] = 1 }
		{ line[NR] = $0 }
		END {
			for (i = 1; i <= NR; i++) {
				if (line[i] ~ /local-zone: .* nodefault/ && seen[line[i]]++) continue
				if (line[i] ~ /^  local-data: /) {
					split(line[i], w, /[ \047]+/); n = tolower(w[3])
					for (d in deny)
						if (n != tolower(d) && substr(n, length(n) - length(d)) == "." tolower(d) && !own[n]++)
							print "  local-zone: \"" n "\" static"
				}
				print line[i]
			}
		}' "$dir/unbound.conf.new" >"$dir/unbound.conf"
	rm -f "$dir/unbound.conf.new"
}

# Start the silent UDP socket (reads, never answers) once per test.
_h_silent_start() {
	[ -n "${_h_silent_pid:-}" ] && return 0
	AM_SILENT_PORT=$(free_port) || return 1
	harness_spawn silent-udp "$T/dns/silent.log" perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $ARGV[0],
			Proto => "udp") or die "bind: $!\n";
		print "ready\n"; $| = 1;
		while (1) { $s->recv(my $b, 65535) }' "$AM_SILENT_PORT"
	_h_silent_pid=$HARNESS_PID
	wait_for 10 grep -q ready "$T/dns/silent.log" || { diag "silent UDP socket did not start"; return 1; }
	export AM_SILENT_PORT AM_SILENT_NAMESERVERS="127.0.0.1@$AM_SILENT_PORT"
}

# dns_start ZONEFILE: start unbound on a free port; exports AM_NAMESERVERS
# (127.0.0.1@PORT), AM_DNS_PORT, AM_DNS_LOG (one line per query received).
dns_start() {
	local zone=${1:?dns_start ZONEFILE} dir="$T/dns"
	[ -x /usr/sbin/unbound ] || { diag "dns_start: /usr/sbin/unbound missing (apt-get install unbound)"; return 1; }
	[ -f "$zone" ] || { diag "dns_start: no zone file $zone"; return 1; }
	mkdir -p "$dir"
	_h_dns_zone=$(cd "$(dirname "$zone")" && pwd)/$(basename "$zone")
	[ -n "${AM_DNS_PORT:-}" ] || AM_DNS_PORT=$(free_port) || return 1
	_h_silent_start || return 1
	_h_dns_config "$_h_dns_zone" "$AM_DNS_PORT" || return 1
	/usr/sbin/unbound-checkconf "$dir/unbound.conf" >"$dir/checkconf.log" 2>&1 ||
		{ diag "dns_start: bad unbound config:"; sed 's/^/#   /' "$dir/checkconf.log"; return 1; }
	: >"$dir/unbound.log"
	harness_spawn unbound "$dir/unbound.stderr" /usr/sbin/unbound -d -c "$dir/unbound.conf"
	_h_dns_pid=$HARNESS_PID
	if ! wait_for 15 grep -q "start of service" "$dir/unbound.log"; then
		diag "dns_start: unbound did not start:"
		tail -5 "$dir/unbound.stderr" "$dir/unbound.log" | sed 's/^/#   /'
		return 1
	fi
	export AM_DNS_PORT AM_NAMESERVERS="127.0.0.1@$AM_DNS_PORT" AM_DNS_LOG="$dir/unbound.log"
}

# dns_stop: stop unbound (the port stays reserved for dns_restart).
dns_stop() {
	[ -n "${_h_dns_pid:-}" ] || return 0
	harness_kill "$_h_dns_pid" 5
	_h_dns_pid=""
}

# dns_restart [ZONEFILE]: stop and start again on the same port.
dns_restart() {
	dns_stop
	dns_start "${1:-$_h_dns_zone}"
}

# dns_query NAME [TYPE]: ask our unbound (Net::DNS). Prints the rcode
# (NOERROR, NXDOMAIN, ...) then one answer RR a line; "TIMEOUT" and status 2
# when no answer comes within DNS_QUERY_TIMEOUT seconds (default 2).
dns_query() {
	perl -MNet::DNS -e '
		my ($port, $name, $type, $to) = @ARGV;
		my $r = Net::DNS::Resolver->new(nameservers => ["127.0.0.1"], port => $port,
			recurse => 1, udp_timeout => $to, tcp_timeout => $to, retry => 1, retrans => $to);
		my $p = $r->send($name, $type);
		if (!$p) {
			if ($r->errorstring =~ /timed out/) { print "TIMEOUT\n"; exit 2 }
			print "ERROR ", $r->errorstring, "\n"; exit 3;
		}
		print $p->header->rcode, "\n";
		for my $rr ($p->answer) {
			my $s = join(" ", $rr->owner . ".", $rr->ttl, $rr->class, $rr->type, $rr->rdstring);
			$s =~ s/\s+/ /g; print "$s\n";
		}
	' "${AM_DNS_PORT:?dns_start first}" "$1" "${2:-A}" "${DNS_QUERY_TIMEOUT:-2}"
}

# dns_queries: the queries unbound received so far, "NAME TYPE" a line.
dns_queries() {
	sed -n 's/.* info: 127\.[0-9.]* \([^ ]*\) \([A-Z0-9]*\) IN$/\1 \2/p' "$AM_DNS_LOG"
}

# zone_txt NAME TEXT: one unbound local-data line for a TXT record; long
# text (DKIM keys) is split into strings of at most 250 characters.
zone_txt() {
	perl -e 'my ($n, $s) = @ARGV; my @c = $s =~ /(.{1,250})/g;
		print "$n. 300 IN TXT ", join(" ", map { "\"$_\"" } @c), "\n"' "$1" "$2"
}

# fixture_key SELECTOR: the key record of a fixture key (t/data/dkim/keys.zone).
fixture_key() {
	sed -n "s/^$1\._domainkey\.example\.com TXT //p" "$top_srcdir/t/data/dkim/keys.zone"
}

# ---- memcached ---------------------------------------------------------------

_h_mc_ports=()
_h_mc_pids=()

# Export the lists of every instance started (stopped ones included).
_h_mc_export() {
	local p s=""
	for p in "${_h_mc_ports[@]}"; do s="$s${s:+,}127.0.0.1:$p"; done
	export AM_MEMCACHED_PORTS="${_h_mc_ports[*]}" AM_MEMCACHED_SERVERS="$s"
}

# Run memcached instance N (1-based) on its port.
_h_mc_run() {
	local n=$1 port=${_h_mc_ports[$(($1 - 1))]} user=()
	[ "$(id -u)" = 0 ] && user=(-u nobody)
	harness_spawn "memcached$n" "$T/memcached.$n.log" memcached -l 127.0.0.1 -U 0 -p "$port" -m 16 -c 256 "${user[@]}"
	_h_mc_pids[$((n - 1))]=$HARNESS_PID
	wait_for 10 tcp_open "$port" || { diag "memcached $n did not start"; cat "$T/memcached.$n.log" | sed 's/^/#   /'; return 1; }
}

# memcached_start: one more instance on a free port. Sets MEMCACHED_N (its
# number) and MEMCACHED_PORT; exports AM_MEMCACHED_PORTS ("p1 p2") and
# AM_MEMCACHED_SERVERS ("127.0.0.1:p1,127.0.0.1:p2").
memcached_start() {
	command -v memcached >/dev/null || { diag "memcached missing (apt-get install memcached)"; return 1; }
	MEMCACHED_PORT=$(free_port) || return 1
	_h_mc_ports+=("$MEMCACHED_PORT")
	MEMCACHED_N=${#_h_mc_ports[@]}
	_h_mc_export
	_h_mc_run "$MEMCACHED_N"
}

# memcached_stop N / memcached_kill N (SIGKILL, a crash) / memcached_restart N (same port, empty).
memcached_stop() {
	local pid=${_h_mc_pids[$(($1 - 1))]:-}
	[ -n "$pid" ] && harness_kill "$pid" 5
	_h_mc_pids[$(($1 - 1))]=""
}
memcached_kill() {
	local pid=${_h_mc_pids[$(($1 - 1))]:-}
	[ -n "$pid" ] || return 0
	kill -KILL "$pid" 2>/dev/null
	harness_kill "$pid" 1
	_h_mc_pids[$(($1 - 1))]=""
}
memcached_restart() {
	memcached_stop "$1"
	_h_mc_run "$1"
}

# memcached_set PORT KEY VALUE: store; status 0 on STORED.
memcached_set() {
	local fd line
	exec {fd}<>"/dev/tcp/127.0.0.1/$1" || return 1
	printf 'set %s 0 0 %d\r\n%s\r\n' "$2" "${#3}" "$3" >&"$fd"
	read -r -t 5 -u "$fd" line
	exec {fd}>&-
	[ "${line%$'\r'}" = STORED ]
}

# memcached_get PORT KEY: print the value; status 1 when absent.
memcached_get() {
	local fd line val="" found=1
	exec {fd}<>"/dev/tcp/127.0.0.1/$1" || return 1
	printf 'get %s\r\n' "$2" >&"$fd"
	while read -r -t 5 -u "$fd" line; do
		line=${line%$'\r'}
		case "$line" in
		END) break ;;
		"VALUE "*) found=0; read -r -t 5 -u "$fd" val; val=${val%$'\r'} ;;
		*) break ;;
		esac
	done
	exec {fd}>&-
	[ $found = 0 ] && printf '%s\n' "$val"
	return $found
}

# ---- the daemon ---------------------------------------------------------------

# daemon_start CONFIG [ARGS...]: run authmilter -f -c CONFIG -p unix:$T/authmilter.sock
# (unix:$AM_SOCKET_DIR/authmilter.sock when that is set)
# in the background (prefixed by $AM_DAEMON_WRAPPER, e.g. valgrind), output to
# $T/daemon.log; waits for the socket. Exports AM_SOCKET (unix:PATH),
# AM_SOCKET_PATH, AM_DAEMON_PID.
daemon_start() {
	local cfg=${1:?daemon_start CONFIG} bin="$top_builddir/milter/authmilter" limit=20
	shift
	[ -x "$bin" ] || { diag "daemon_start: $bin not built"; return 1; }
	[ -n "${AM_DAEMON_WRAPPER:-}" ] && limit=120
	AM_SOCKET_PATH="${AM_SOCKET_DIR:-$T}/authmilter.sock"
	rm -f "$AM_SOCKET_PATH"
	# shellcheck disable=SC2086 # the wrapper is a command line
	harness_spawn authmilter "$T/daemon.log" ${AM_DAEMON_WRAPPER:-} "$bin" -f -c "$cfg" -p "unix:$AM_SOCKET_PATH" "$@"
	_h_daemon_pid=$HARNESS_PID
	if ! wait_for "$limit" _h_daemon_ready || [ ! -S "$AM_SOCKET_PATH" ]; then
		diag "daemon_start: no socket $AM_SOCKET_PATH; daemon.log:"
		tail -20 "$T/daemon.log" | sed 's/^/#   /'
		harness_kill "$_h_daemon_pid" 5
		_h_daemon_pid=""
		return 1
	fi
	export AM_SOCKET="unix:$AM_SOCKET_PATH" AM_SOCKET_PATH AM_DAEMON_PID=$_h_daemon_pid
}

# Socket there, or the daemon died (then stop waiting: wait_for fails later).
_h_daemon_ready() {
	[ -S "$AM_SOCKET_PATH" ] && return 0
	kill -0 "$_h_daemon_pid" 2>/dev/null && [ "$(_h_proc_state "$_h_daemon_pid")" != Z ] || return 0
	return 1
}

# daemon_stop: SIGTERM (SIGKILL after 15 s); returns the daemon's exit status.
daemon_stop() {
	local st=0 limit=15
	[ -n "${_h_daemon_pid:-}" ] || return 0
	[ -n "${AM_DAEMON_WRAPPER:-}" ] && limit=60
	harness_kill "$_h_daemon_pid" "$limit"
	st=$?
	_h_daemon_pid=""
	return $st
}

# daemon_stop_clean: stop the daemon; it must exit 0 and its log must hold
# no sanitizer report (ASan/LSan/UBSan builds print them there, LSan only
# at exit, and UBSan does not change the exit status).
daemon_stop_clean() {
	daemon_stop
	ok $? "daemon stopped with exit status 0"
	unlike "$(cat "$T/daemon.log")" 'runtime error|AddressSanitizer|LeakSanitizer|SUMMARY: .*Sanitizer' \
		"no sanitizer report in the daemon log"
}

# daemon_reload: SIGUSR1 (reload the configuration).
daemon_reload() {
	kill -USR1 "${_h_daemon_pid:?daemon not running}"
}

# daemon_alive: the daemon process still runs.
daemon_alive() {
	[ -n "${_h_daemon_pid:-}" ] && kill -0 "$_h_daemon_pid" 2>/dev/null &&
		[ "$(_h_proc_state "$_h_daemon_pid")" != Z ]
}

# daemon_wait_log PATTERN [SECONDS]: wait until daemon.log has a line matching.
daemon_wait_log() {
	wait_for "${2:-10}" grep -Eq -- "$1" "$T/daemon.log"
}

# ---- milter drivers -----------------------------------------------------------

# milter_drive ARGS...: t/milter-drive against $AM_SOCKET (see its usage).
milter_drive() {
	"$top_builddir/t/milter-drive" -s "${AM_SOCKET:?no daemon socket}" "$@"
}

# filter_start VAR NAME OUTPUT PROGRAM ARGS...: start the milter PROGRAM
# with -p unix:$T/NAME.sock ARGS..., its output appended to OUTPUT, tracked,
# and wait up to 10 s for the socket (diag OUTPUT and return 1 when none
# comes). umask 0: the socket is world-writable so Postfix's smtpd can use
# it. Sets ${VAR}_SOCKET and ${VAR}_PID (the pid also when it fails).
filter_start() {
	local var=$1 name=$2 out=$3 program=$4
	shift 4
	printf -v "${var}_SOCKET" '%s' "unix:$T/$name.sock"
	rm -f "$T/$name.sock"
	(umask 0 && exec "$program" -p "unix:$T/$name.sock" "$@") >>"$out" 2>&1 </dev/null &
	printf -v "${var}_PID" '%s' "$!"
	harness_track "$!" "$name"
	wait_for 10 test -S "$T/$name.sock" || {
		diag "${program##*/} $name did not start: $(cat "$out")"
		return 1
	}
}

# filter_stop VAR: stop the filter filter_start VAR started, at once
# (SIGKILL: libmilter takes seconds to notice SIGTERM, and the test filters
# have nothing to save), and empty ${VAR}_PID.
filter_stop() {
	local pid_var=${1}_PID
	[ -n "${!pid_var:-}" ] || return 0
	kill -KILL "${!pid_var}" 2>/dev/null
	harness_kill "${!pid_var}" 1 2>/dev/null
	printf -v "$pid_var" '%s' ""
}

# testfilter_start NAME ARGS...: start t/milter-testfilter (a libmilter test
# filter, see its header) on unix:$T/NAME.sock (filter_start), log
# $T/NAME.log, output in $T/NAME.out. Sets TESTFILTER_SOCKET,
# TESTFILTER_LOG, TESTFILTER_PID.
testfilter_start() {
	local name=${1:?testfilter_start NAME ARGS...}
	shift
	TESTFILTER_LOG="$T/$name.log"
	rm -f "$TESTFILTER_LOG"
	filter_start TESTFILTER "$name" "$T/$name.out" "$top_builddir/t/milter-testfilter" -l "$TESTFILTER_LOG" "$@"
}

# testfilter_stop: stop the test filter (filter_stop).
testfilter_stop() {
	filter_stop TESTFILTER
}
