#!/bin/bash
# t/try-it.sh - the README's "Try it" section, run as written: its offline
# command (authmilter -t on the shipped etc/authmilter.ini) must print the
# verdict lines the README shows, exit 4 and name the resolver it asked;
# its Postfix commands (XCLIENT allowed, swaks posing as an outside
# client) must get the 550 the README shows. The only changes to the
# commands: the ini is a copy of etc/authmilter.ini pointing [dns] at the
# test's unbound (which holds example.com's real SPF and DMARC records)
# and, where the shipped user or store directory is missing, at this
# test's; Postfix is the harness's private instance.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
. "$top_srcdir/t/lib/daemon_auth.sh"
harness_init try-it

[ -x /usr/sbin/unbound ] || skip_all "unbound is not installed"
[ -x "$top_builddir/milter/authmilter" ] || skip_all "milter/authmilter not built"
[ -r /usr/share/publicsuffix/public_suffix_list.dat ] || skip_all "no public suffix list (apt-get install publicsuffix)"
README=$top_srcdir/README

cat >"$T/zone" <<'EOF2'
example.com. 300 IN TXT "v=spf1 -all"
_dmarc.example.com. 300 IN TXT "v=DMARC1;p=reject;sp=reject;adkim=s;aspf=s"
EOF2
dns_start "$T/zone" || bail_out "no DNS server"

# The shipped configuration, with the test's DNS server (and a user and a
# greylisting store directory that exist here).
cp "$top_srcdir/etc/authmilter.ini" "$T/try.ini"
_daemon_config_set "$T/try.ini" dns nameservers "$AM_NAMESERVERS"
user=$(sed -n 's/^user *= *//p' "$T/try.ini")
if [ "$(id -u)" = 0 ] && ! id "$user" >/dev/null 2>&1; then
	diag "the shipped [milter] user $user does not exist here: nobody instead"
	user=nobody
	_daemon_config_set "$T/try.ini" milter user nobody
fi
mkdir -p "$T/grey"
[ "$(id -u)" = 0 ] && chown "$user" "$T/grey"
_daemon_config_set "$T/try.ini" greylist lmdb_path "$T/grey/greylist.lmdb"
chmod 0644 "$T/try.ini"

# section TITLE: the README section under TITLE (up to the next underlined title).
section() {
	awk -v t="$1" '$0 == t { on = 1; next } on && /^---/ && prev != t { if (seen) exit } { if (on) { print; seen = 1 } prev = $0 }' "$README" |
		sed '$d'
}
TRY=$(section "Try it")
ok $([ -n "$TRY" ] && echo 0 || echo 1) "README has a Try it section"
like "$TRY" 'maillog_file' "Try it mentions Postfix's maillog_file for hosts without syslog"

# The offline commands: the printf line and the authmilter -t command with
# its continuation lines, paths made to point at this build and config.
cmds=$(printf '%s\n' "$TRY" | awk '/^    printf / { on = 1 } on { print; if (/authmilter -c/) seen = 1; if (seen && $0 !~ /\\$/) exit }' |
	sed -e 's/^    //' -e "s|etc/authmilter.ini|$T/try.ini|" -e "s|\./milter/authmilter|$top_builddir/milter/authmilter|")
diag "running: $cmds"
(cd "$T" && bash -c "$cmds") >"$T/offline.out" 2>&1
is "$?" 4 "the README's -t command exits 4 (reject), as the README says"
while IFS= read -r want; do
	like "$(cat "$T/offline.out")" "^$(printf '%s' "$want" | sed 's/[][\.*^$()+?{}|]/\\&/g')\$" "-t prints: $want"
done < <(printf '%s\n' "$TRY" | sed -n 's/^    \(\(action\|reason\|reply\): .*\)$/\1/p')
ok $([ "$(printf '%s\n' "$TRY" | grep -cE '^    (action|reason|reply): ')" -eq 3 ] && echo 0 || echo 1) \
	"the README shows the three verdict lines"
like "$(head -1 "$T/offline.out")" "^resolver: $AM_NAMESERVERS " "-t names the resolver on its first line"
like "$(cat "$T/offline.out")" 'spf=fail\(example\.com\)' "a real check ran: SPF fail from 192.0.2.1"

# ---- through Postfix ----
if ! command -v postfix >/dev/null || ! command -v swaks >/dev/null; then
	skip "postfix or swaks not installed (bootstrap.sh installs them)"
	done_testing
fi
_daemon_config_set "$T/try.ini" milter socket_mode 0666   # smtpd runs as postfix
daemon_start "$T/try.ini" || bail_out "daemon did not start on the shipped configuration"
AM_PF_DOMAINS=localhost postfix_start || bail_out "postfix did not start"
pf=$(printf '%s\n' "$TRY" | awk '/^    postconf -e .smtpd_authorized_xclient_hosts/ { on = 1 } on { print; if (/swaks/) seen = 1; if (seen && $0 !~ /\\$/) exit }' |
	sed -e 's/^    //' -e "s|^postconf |postconf -c $AM_PF_CONF |" -e "s|postfix reload|postfix -c $AM_PF_CONF reload|" \
		-e "s|--server 127.0.0.1|--server 127.0.0.1 --port $AM_PF_PORT|")
diag "running: $pf"
out=$(bash -c "$pf" 2>&1)
want=$(printf '%s\n' "$TRY" | sed -n 's/^    \(<\*\* .*\)$/\1/p')
ok $([ -n "$want" ] && echo 0 || echo 1) "the README shows swaks' reply ($want)"
like "$out" "^$(printf '%s' "$want" | sed 's/[][\.*^$()+?{}|]/\\&/g')\$" "swaks through Postfix gets the README's reply"
daemon_wait_log 'action=reject reason=dmarc stage=eom client=\[192\.0\.2\.1\]'
ok $? "the daemon's decision line for it"
postfix_stop
daemon_stop_clean
done_testing
