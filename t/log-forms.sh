#!/bin/bash
# t/log-forms.sh - what the decision log tells an admin, against a real
# unbound: reason=temperror-accepted for mail let through on a DNS
# timeout (fail-open, not a pass), `authmilter -t` naming the resolver it
# asked, [log] verbose detail lines (the SPF record, term and why, each DKIM
# signature and why, the DMARC record, tag and alignment modes, iprev),
# [log] format = json through the real daemon (one JSON object a line, the
# same fields and values as the key=value form, hostile HELO text escaped)
# and contrib/authmilter-report reading both forms to the same report; in
# the foreground without a syslog socket, no syslog() attempt per line.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
. "$top_srcdir/t/lib/daemon_auth.sh"
harness_init log-forms

[ -x /usr/sbin/unbound ] || skip_all "unbound is not installed"
AM=$top_builddir/milter/authmilter
[ -x "$AM" ] || skip_all "milter/authmilter not built"
[ -r /usr/share/publicsuffix/public_suffix_list.dat ] || skip_all "no public suffix list (apt-get install publicsuffix)"
PY=/usr/bin/python3
REPORT="$PY $top_srcdir/contrib/authmilter-report"

cat >"$T/zone" <<'EOF2'
fail.example. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 -all"
_dmarc.fail.example. 300 IN TXT "v=DMARC1; p=reject; sp=none; adkim=s"
pass.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
slow.example TIMEOUT
EOF2
dns_start "$T/zone" || bail_out "no DNS server"

# mkmsg NAME FROM-DOMAIN [HEADER...]: $T/NAME.eml
mkmsg() {
	local name=$1 dom=$2
	shift 2
	{
		[ $# -gt 0 ] && printf '%s\n' "$@"
		printf 'From: <a@%s>\nTo: <b@rcpt.example>\nSubject: %s\n\nBody.\n' "$dom" "$name"
	} >"$T/$name.eml"
}
mkmsg slow slow.example
mkmsg fail sub.fail.example \
	'DKIM-Signature: v=1; a=rsa-sha256; d=fail.example; s=nokey; c=relaxed/relaxed; h=from:subject; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA'
mkmsg pass pass.example

# offline NAME CONFIG MESSAGE MAIL-FROM: authmilter -t; output in $T/NAME.out
offline() {
	"$AM" -c "$2" -t "$3" --client-ip 192.0.2.1 --helo mx.pass.example --mail-from "$4" \
		--rcpt b@rcpt.example >"$T/$1.out" 2>"$T/$1.err"
}

# ---- fail-open is not a pass; -t names its resolver ----
daemon_config "$T/am.ini"
offline slow "$T/am.ini" "$T/slow.eml" '<a@slow.example>'
is "$?" 0 "DNS timeout: accepted (exit 0)"
like "$(cat "$T/slow.out")" '^reason: temperror-accepted$' "-t: reason temperror-accepted"
like "$(cat "$T/slow.out")" '^log: NOQUEUE: .*action=accept reason=temperror-accepted .*spf=temperror\(slow\.example\)' \
	"the decision line says temperror-accepted"
like "$(cat "$T/slow.out")" "^resolver: 127\\.0\\.0\\.1@$AM_DNS_PORT \\(\\[dns\\] nameservers\\)$" \
	"-t names the resolver it asked"
offline pass "$T/am.ini" "$T/pass.eml" '<a@pass.example>'
like "$(cat "$T/pass.out")" '^reason: pass$' "a real pass is still reason=pass"
unlike "$(cat "$T/pass.out")" 'detail=' "verbose off: no detail lines"
daemon_config "$T/sys.ini" dns.nameservers=
"$AM" -c "$T/sys.ini" -t "$T/pass.eml" --client-ip 127.0.0.1 --helo localhost --mail-from '<a@pass.example>' \
	--rcpt b@rcpt.example >"$T/sys.out" 2>&1
like "$(cat "$T/sys.out")" '^resolver: .* \(/etc/resolv\.conf; \[dns\] nameservers is empty\)$' \
	"-t with no nameservers: names resolv.conf's"

# ---- [log] verbose ----
daemon_config "$T/verbose.ini" log.verbose=yes
offline fail "$T/verbose.ini" "$T/fail.eml" '<a@sub.fail.example>'
OUT=$(cat "$T/fail.out")
like "$OUT" '^log: NOQUEUE: detail=spf conn=offline identity=mailfrom domain=sub\.fail\.example result=none record=none why=' \
	"verbose: SPF of the MAIL FROM identity (no record at sub.fail.example)"
like "$OUT" '^log: NOQUEUE: detail=spf conn=offline identity=helo domain=mx\.pass\.example result=' "verbose: SPF of HELO"
offline fail2 "$T/verbose.ini" "$T/fail.eml" '<a@fail.example>'
OUT=$(cat "$T/fail2.out")
like "$OUT" '^log: NOQUEUE: detail=spf .*domain=fail\.example result=fail record="v=spf1 ip4:198\.51\.100\.0/24 -all" term=-all why="a mechanism matched"$' \
	"verbose: the SPF record, the term that matched and why"
like "$OUT" '^log: NOQUEUE: detail=dkim conn=offline d=fail\.example s=nokey a=rsa-sha256 bits=0 result=[a-z]+ why="?[a-z]' \
	"verbose: the DKIM signature and why it did not pass"
like "$OUT" '^log: NOQUEUE: detail=dmarc conn=offline hfrom=sub\.fail\.example record=fail\.example tag="sp=none" modes="adkim=s aspf=r" .*result=fail' \
	"verbose: the DMARC record, the tag that applied (sp= for a subdomain) and the modes"
like "$OUT" '^log: NOQUEUE: detail=iprev conn=offline address=192\.0\.2\.1 name=none result=permerror why="no PTR record"$' \
	"verbose: iprev"

# ---- [log] format = json through the daemon, and the report on both forms ----
run_daemon() { # FORMAT: a daemon, three messages, its log in $T/FORMAT.log
	daemon_config "$T/$1.ini" log.format="$1" log.verbose=yes
	daemon_start "$T/$1.ini" || bail_out "daemon ($1) did not start"
	milter_drive -i 192.0.2.1 -H mx.pass.example -f '<a@pass.example>' -r '<b@rcpt.example>' "$T/pass.eml" >/dev/null
	milter_drive -i 192.0.2.1 -H 'evil" \x01 "}{' -f '<a@fail.example>' -r '<b@rcpt.example>' "$T/fail.eml" >/dev/null
	milter_drive -i 198.51.100.1 -H mx.fail.example -f '<a@fail.example>' -r '<b@rcpt.example>' "$T/fail.eml" >/dev/null
	daemon_wait_log 'client.*198\.51\.100\.1.*stage|stage.*client.*198\.51\.100\.1'
	daemon_stop_clean
	mv "$T/daemon.log" "$T/$1.log"
}
run_daemon text
run_daemon json
is "$(grep -c ' authmilter: {"queue_id":' "$T/json.log")" 17 "json: 3 decision lines and 14 detail lines, each one JSON object"
# The decisions of both logs as Python dicts, without what differs by run
# (connection and queue ids, milliseconds).
$PY - "$T/text.log" "$T/json.log" >"$T/compare.out" 2>&1 <<'PYEOF'
import json, re, sys
pair = re.compile(r'([a-z_]+)=("(?:[^"\\]|\\.)*"|\S*)')
def unq(v):
    if len(v) < 2 or v[0] != '"':
        return v
    return re.sub(r'\\x([0-9a-f]{2})|\\(.)', lambda m: chr(int(m.group(1), 16)) if m.group(1) else m.group(2), v[1:-1])
def text(path):
    for line in open(path, errors='replace'):
        m = re.search(r' authmilter: (\S+): (conn=\S+ action=.*)$', line)
        if m:
            d = {k: unq(v) for k, v in pair.findall(m.group(2))}
            d['queue_id'] = m.group(1)
            yield d
def js(path):
    for line in open(path, errors='replace'):
        i = line.find(' authmilter: {')
        if i >= 0:
            d = json.loads(line[i + 13:])
            if 'detail' not in d:
                yield {k: str(v) for k, v in d.items()}
run = ('conn', 'ms', 'queue_id')
a = [{k: v for k, v in d.items() if k not in run} for d in text(sys.argv[1])]
b = [{k: v for k, v in d.items() if k not in run} for d in js(sys.argv[2])]
print('decisions', len(a), len(b))
print('same' if a == b else 'differ\n%r\n%r' % (a, b))
print('helo', b[1]['helo'] if len(b) > 1 else None)
print('keys', ' '.join(next(js(sys.argv[2]))))
PYEOF
like "$(cat "$T/compare.out")" '^decisions 3 3$' "json: every decision line parses"
like "$(cat "$T/compare.out")" '^same$' "json: the same fields and values as the key=value form"
is "$(sed -n 's/^helo //p' "$T/compare.out")" 'evil" \x01 "}{' "json: a hostile HELO survives the round trip"
like "$(cat "$T/compare.out")" '^keys queue_id conn action reason stage client helo from spf spf_helo dkim dmarc hfrom .* score ms$' \
	"json: fields in the key=value order, queue_id first"
$REPORT --json "$T/text.log" >"$T/report-text.json" 2>&1
ok $? "report on the key=value log"
$REPORT --json "$T/json.log" >"$T/report-json.json" 2>&1
ok $? "report on the JSON log"
is "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["decisions"])' "$T/report-json.json")" 3 \
	"report: the three JSON decisions counted, detail lines skipped"
# r FILE: the report's counts (not its clock: the runs may straddle an hour).
r() { $PY -c 'import json, sys; r = json.load(open(sys.argv[1])); print({k: v for k, v in r.items() if k not in ("first", "last", "per_hour")})' "$1"; }
is "$(r "$T/report-json.json")" "$(r "$T/report-text.json")" "report: the same counts from either form"

# ---- no syslog socket: in the foreground the lines go to stderr alone ----
# (glibc's syslog() would try socket+connect+close for every line; the
# daemon looks for /dev/log every 10 s instead.)
if [ -e /dev/log ]; then
	skip "this machine has a syslog socket (/dev/log): the path without one is not reachable here"
	skip "(the same)"
elif ! command -v strace >/dev/null; then
	skip "strace is not installed: cannot count connect() calls"
	skip "(the same)"
else
	# decisions_logged N: N accept lines in the daemon log (read afresh each call)
	decisions_logged() { [ "$(grep -c ' action=accept ' "$T/daemon.log")" -ge "$1" ]; }
	daemon_config "$T/nosyslog.ini"
	daemon_start "$T/nosyslog.ini" || bail_out "daemon (no syslog) did not start"
	strace -f -qq -e trace=connect -o "$T/nosyslog.strace" -p "$AM_DAEMON_PID" 2>/dev/null &
	st=$!
	sleep 1   # attached to every thread
	for i in 1 2 3 4 5; do
		milter_drive -i 192.0.2.1 -H mx.pass.example -f '<a@pass.example>' -r "<b$i@rcpt.example>" \
			"$T/pass.eml" >/dev/null
	done
	wait_for 10 decisions_logged 5
	kill "$st" 2>/dev/null
	wait "$st" 2>/dev/null
	is "$(grep -c ' action=accept ' "$T/daemon.log")" 5 "no syslog socket: all 5 decision lines on stderr"
	is "$(grep -c '/dev/log' "$T/nosyslog.strace")" 0 "... and no connect() to /dev/log for any of them"
	daemon_stop_clean
fi
done_testing
