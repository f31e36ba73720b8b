# t/lib/harness_sendmail.sh - sourced by Sendmail tests after
# t/lib/harness.sh: a real Sendmail (Debian's sendmail-bin, unpacked, not
# installed: it conflicts with Postfix) on 127.0.0.1 with the
# INPUT_MAIL_FILTER line of etc/sendmail.mc pointed at the test daemon.
# Its own queue, pidfile and files under $T; no delivery (queue only: the
# headers our filter added are the H lines of the qf file); its host name
# and resolver kept on loopback in private mount and UTS namespaces.
#
#   sendmail_prepare            find the Sendmail bootstrap.sh unpacked in
#                               /opt/authmilter-test/sendmail (AM_SENDMAIL_ROOT
#                               overrides; nothing is downloaded), or
#                               skip_all with the reason
#   sendmail_filter             etc/sendmail.mc's INPUT_MAIL_FILTER line,
#                               pointed at the test daemon's socket
#   sendmail_cf [MC-LINE...]    build the .cf (extra m4 lines before the
#                               MAILER lines) -> SM_PORT
#   sendmail_run                run sendmail -bd on it, wait until it
#                               listens -> SM_PID
#   sendmail_start [MC-LINE...] sendmail_cf, then sendmail_run
#   sendmail_send FROM RCPT FILE  swaks transcript; status 0 when accepted
#   sendmail_qf ID              the qf file of the message whose Message-ID
#                               contains ID
#   sendmail_qf_ar QF           our Authentication-Results in that qf file,
#                               unfolded

# sendmail_prepare: an unpacked Sendmail that runs here, or skip_all.
sendmail_prepare() {
	local missing
	command -v swaks >/dev/null || skip_all "swaks not installed (bootstrap.sh installs it)"
	[ "$(id -u)" = 0 ] || skip_all "Sendmail's daemon mode needs root here"
	SM_ROOT=${AM_SENDMAIL_ROOT:-/opt/authmilter-test/sendmail}
	SM="$SM_ROOT/usr/libexec/sendmail/sendmail"
	[ -x "$SM" ] && [ -f "$SM_ROOT/.complete" ] ||
		skip_all "Sendmail is not unpacked in $SM_ROOT (bootstrap.sh unpacks it)"
	export LD_LIBRARY_PATH="$SM_ROOT/usr/lib/x86_64-linux-gnu:$SM_ROOT/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
	missing=$(ldd "$SM" 2>/dev/null | awk '/not found/ { print $1 }' | tr '\n' ' ')
	[ -z "$missing" ] || skip_all "the unpacked sendmail lacks libraries: $missing"
	unshare -m -u true 2>/dev/null ||
		skip_all "unshare -m -u not permitted: cannot keep Sendmail's own DNS on loopback"
	SM_M4=$(command -v m4 || echo "$SM_ROOT/usr/bin/m4")
}

# sendmail_filter: etc/sendmail.mc's own filter line, so the tests run
# what the admin copies, with the test daemon's socket.
sendmail_filter() {
	grep '^INPUT_MAIL_FILTER(' "$top_srcdir/etc/sendmail.mc" |
		sed "s|unix:/run/authmilter/authmilter.sock|unix:${AM_SOCKET_PATH:?daemon_start first}|"
}

# sendmail_cf [MC-LINE...]: the .cf for a Sendmail on a free port with our
# filter line; status 0 when m4 built it.
sendmail_cf() {
	local filter line
	SM_PORT=$(free_port)
	mkdir -p -m 0700 "$T/mqueue"
	printf 'hosts files\naliases files\n' >"$T/service.switch"
	: >"$T/aliases"
	filter=$(sendmail_filter)
	{
		cat <<EOF
divert(-1)
include(\`$SM_ROOT/usr/share/sendmail/cf/m4/cf.m4')
OSTYPE(\`linux')
define(\`confDOMAIN_NAME', \`mx.sendmail.example')
define(\`QUEUE_DIR', \`$T/mqueue')
define(\`confPID_FILE', \`$T/sendmail.pid')
define(\`confDELIVERY_MODE', \`queueonly')
define(\`confSERVICE_SWITCH_FILE', \`$T/service.switch')
define(\`ALIAS_FILE', \`$T/aliases')
define(\`STATUS_FILE', \`$T/statistics')
define(\`confDONT_PROBE_INTERFACES', \`True')
define(\`confTO_IDENT', \`0')
define(\`confPRIVACY_FLAGS', \`goaway')
FEATURE(\`nocanonify')
FEATURE(\`accept_unresolvable_domains')
DAEMON_OPTIONS(\`Port=$SM_PORT, Addr=127.0.0.1, Name=MTA')
$filter
EOF
		for line in "$@"; do printf '%s\n' "$line"; done
		printf 'MAILER(`local'"'"')\nMAILER(`smtp'"'"')\n'
	} >"$T/sendmail.mc"
	"$SM_M4" "$T/sendmail.mc" >"$T/sendmail.cf" 2>"$T/m4.err" || {
		diag "m4 failed: $(cat "$T/m4.err")"
		return 1
	}
}

# sendmail_run: sendmail -bd on the .cf sendmail_cf built; status 0 when it
# listens. Sendmail resolves its own name (and clients') through the
# system resolver before it reads the .cf: run it in its own mount and UTS
# namespaces, where the host name is mx.sendmail.example, /etc/hosts knows
# it (IPv4 and IPv6) and /etc/resolv.conf names only 127.0.0.1, so nothing
# leaves the loopback and nothing waits for an unreachable nameserver.
sendmail_run() {
	printf '127.0.0.1 mx.sendmail.example localhost\n::1 mx.sendmail.example localhost\n' >"$T/hosts"
	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$T/resolv.conf"
	unshare -m -u sh -c 'mount --bind "$1/hosts" /etc/hosts && mount --bind "$1/resolv.conf" /etc/resolv.conf &&
		hostname mx.sendmail.example && exec "$2" -C "$1/sendmail.cf" -bd -q30m' sh "$T" "$SM" >"$T/sendmail.out" 2>&1 || {
		diag "sendmail -bd: $(cat "$T/sendmail.out")"
		return 1
	}
	# Start-up takes well under a second alone; under make -j2 beside
	# other servers it once took over 20 s, so the wait is generous.
	wait_for 60 test -s "$T/sendmail.pid" || { diag "sendmail wrote no pid file in 60 s: $(cat "$T/sendmail.out")"; return 1; }
	SM_PID=$(head -1 "$T/sendmail.pid" 2>/dev/null)
	[ -n "$SM_PID" ] && harness_track "$SM_PID" sendmail
	wait_for 60 tcp_open "$SM_PORT" || { diag "sendmail (pid $SM_PID) not listening on $SM_PORT in 60 s"; return 1; }
}

# sendmail_start [MC-LINE...]: sendmail_cf and sendmail_run in one step.
sendmail_start() {
	sendmail_cf "$@" && sendmail_run
}

# sendmail_send FROM RCPT FILE: swaks transcript; status 0 when accepted.
sendmail_send() {
	swaks --server 127.0.0.1 --port "${SM_PORT:?sendmail_start first}" --helo client.example \
		--from "$1" --to "$2" --data "@$3" --timeout 60 2>&1
}

# sendmail_qf ID: the queued message's qf file (Message-ID containing ID).
sendmail_qf() {
	grep -l "$1" "$T"/mqueue/qf* 2>/dev/null | head -1
}

# sendmail_qf_ar QF: our Authentication-Results from the qf file's H line
# and its continuation lines (the header is folded), unfolded.
sendmail_qf_ar() {
	awk '/^H/ { p = ($0 ~ /^H[^A-Za-z]*Authentication-Results: /) } p && /^H/ { sub(/^H[^A-Za-z]*Authentication-Results: /, ""); printf "%s", $0; next }
		p && /^[ \t]/ { printf " %s", $0; next } { p = 0 }' "$1" 2>/dev/null | tr -s ' \t' ' '
}
