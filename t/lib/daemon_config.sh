# t/lib/daemon_config.sh - sourced by daemon tests after t/lib/harness.sh:
# writes an authmilter.ini for a test daemon, so every test starts from the
# same base: the harness's DNS server, a socket Postfix can reach, no
# trusted networks, greylisting off, and a user to drop to when root.
#
#   daemon_config FILE [SECTION.KEY=VALUE ...]
# Overrides replace the base value of that key, or add it.

daemon_config() {
	local file=${1:?daemon_config FILE [section.key=value ...]} user="" kv section key
	shift
	[ "$(id -u)" = 0 ] && user=nobody
	cat >"$file" <<EOF
[milter]
socket_mode = 0666
user = $user
[server]
authserv_id = mx.test.example
trusted_networks =
[dns]
nameservers = ${AM_NAMESERVERS:-127.0.0.1@53}
timeout_ms = 1000
message_budget_ms = 5000
[greylist]
enable = no
EOF
	for kv in "$@"; do
		section=${kv%%.*}
		key=${kv#*.}
		key=${key%%=*}
		_daemon_config_set "$file" "$section" "$key" "${kv#*=}" || return 1
	done
}

# Set section.key = value in file (replace the line, or add it under its section).
_daemon_config_set() {
	awk -v s="[$2]" -v k="$3" -v v="$4" '
		/^\[/ { if (insec && !done) { print k " = " v; done = 1 } insec = ($0 == s) }
		insec && $0 ~ "^" k " *=" { if (!done) print k " = " v; done = 1; next }
		{ print }
		END { if (!done) { if (!insec) print s; print k " = " v } }
	' "$1" >"$1.new" && mv "$1.new" "$1"
}
