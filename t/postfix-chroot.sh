#!/bin/bash
# t/postfix-chroot.sh - the README's recipe for Debian's chrooted smtpd,
# followed literally: smtpd chrooted in the queue directory ("y" in the
# chroot column of master.cf), the socket directory made inside it with
# the recipe's install -d line (owner authmilter, 0750), the socket there
# ([milter] socket_mode 0660, socket_group empty), smtpd_milters naming it
# relative to the queue directory, the daemon started as root with
# [milter] user = authmilter, and postfix in group authmilter (bootstrap.sh
# does what the recipe says). A message goes through with our
# Authentication-Results header. Root only: a private Postfix chroots only
# as root.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
harness_init postfix-chroot

[ "$(id -u)" = 0 ] || skip_all "not root: a private Postfix runs smtpd chrooted only as root"
postfix_require
id authmilter >/dev/null 2>&1 || skip_all "no user authmilter (bootstrap.sh creates it)"
id -nG postfix | grep -qw authmilter || skip_all "postfix is not in group authmilter (bootstrap.sh adds it)"

echo 'pass.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"' >"$T/zone"
dns_start "$T/zone" || bail_out "no DNS server"

# The recipe, with $T/postfix/queue standing for /var/spool/postfix.
Q="$T/postfix/queue"
mkdir -p "$Q" && chmod 0755 "$T/postfix" "$Q"
install -d -o authmilter -g authmilter -m 0750 "$Q/authmilter"
daemon_config "$T/am.ini" milter.user=authmilter milter.socket_mode=0660 \
	"milter.socket=unix:$Q/authmilter/authmilter.sock" dmarc.enable=no
grep -q '^socket_group' "$T/am.ini" && bail_out "the recipe leaves socket_group empty"
AM_SOCKET_DIR="$Q/authmilter" daemon_start "$T/am.ini" || bail_out "daemon did not start"
is "$(stat -c '%U:%G %a' "$AM_SOCKET_PATH")" "authmilter:authmilter 660" \
	"socket belongs to the daemon's user and group, mode 0660"
is "$(ps -o user= -p "$AM_DAEMON_PID")" "authmilter" "the daemon runs as [milter] user"

AM_PF_CHROOT=y postfix_start smtpd_milters=unix:authmilter/authmilter.sock || bail_out "postfix did not start"
is "$(postconf -c "$AM_PF_CONF" -h smtpd_milters)" "unix:authmilter/authmilter.sock" \
	"smtpd_milters names the socket relative to the queue directory"

printf 'From: <alice@pass.example>\nTo: <bob@rcpt.example>\nSubject: chroot\nMessage-ID: <chroot@pass.example>\n\nHello.\n' >"$T/m.eml"
out=$(postfix_send --from alice@pass.example --to bob@rcpt.example --data "@$T/m.eml" \
	--xclient-addr 192.0.2.1 --xclient-helo client.example)
ok $? "message accepted at SMTP" || printf '%s\n' "$out" | tail -5 | sed 's/^/#   /'
# The smtpd that took it runs chrooted in the queue directory.
smtpd=$(for p in $(postfix_pids); do
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = smtpd ] && echo "$p"
done | head -1)
is "$(readlink "/proc/$smtpd/root" 2>/dev/null)" "$Q" "smtpd (pid $smtpd) is chrooted in the queue directory"
postfix_wait_mail bob
ok $? "message delivered" || tail -10 "$AM_PF_LOG" | sed 's/^/#   /'
ar=$(postfix_mail bob | awk '/^Authentication-Results: / {p = 1; print; next} p && /^[ \t]/ {print; next} {p = 0}' |
	tr -d '\n' | tr -s ' \t' ' ')
like "$ar" '^Authentication-Results: mx\.test\.example; spf=pass smtp\.mailfrom=pass\.example' \
	"delivered with our Authentication-Results"
unlike "$(postfix_log)" 'milter.*(Permission denied|No such file)' "no milter connection errors in the Postfix log"
postfix_stop
daemon_stop
ok $? "clean stop"
done_testing
