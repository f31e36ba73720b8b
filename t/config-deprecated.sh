#!/bin/bash
# t/config-deprecated.sh - an existing config that still uses a renamed key
# ([scores] dmarc_fail, split by effective policy in RFC 9989 mode) keeps
# working: `authmilter -n` exits 0 and warns on stderr naming FILE:LINE and
# the new keys, and the daemon starts and logs the same warning.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
harness_init config-deprecated

AM="$top_builddir/milter/authmilter"
[ -x "$AM" ] || skip_all "milter/authmilter not built"

daemon_config "$T/old.ini" scores.dmarc_fail=4
line=$(grep -n '^dmarc_fail = 4$' "$T/old.ini" | cut -d: -f1)
"$AM" -n -c "$T/old.ini" >"$T/n.out" 2>"$T/n.err"
is "$?" 0 "-n: the old key is still valid (exit 0)"
like "$(cat "$T/n.out")" 'old\.ini: configuration ok$' "-n says the file is valid"
like "$(cat "$T/n.err")" "old\\.ini:$line: \\[scores\\] dmarc_fail is deprecated: use dmarc_fail_quarantine and dmarc_fail_reject\$" \
	"-n warns, naming FILE:LINE and the new keys"

daemon_start "$T/old.ini" || bail_out "the daemon did not start with the old key"
ok 0 "the daemon starts with the old key"
daemon_wait_log "warning: .*old\\.ini:$line: \\[scores\\] dmarc_fail is deprecated: use dmarc_fail_quarantine and dmarc_fail_reject" 10
ok $? "and logs the warning"
daemon_stop
ok $? "daemon stops cleanly"
done_testing
