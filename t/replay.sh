#!/bin/bash
# t/replay.sh - the session replays: each t/replay/NAME.in (a scripted SMTP
# session: connect, helo, mail, rcpt, headers, body, eom, with its DNS
# table and config) runs through lib/am_session with the table resolver
# (t/replay/replay), and its output must equal t/replay/NAME.ref: the
# verdict, the SMTP reply, the Authentication-Results header and the
# decision line, pinned together (Postfix's smtpd_check.in/.ref is the
# model). A reference changes only by `make replay-regen`, never here.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
harness_init replay

DRIVER=$top_builddir/t/replay/replay
[ -x "$DRIVER" ] || skip_all "t/replay/replay not built"
[ -r /usr/share/publicsuffix/public_suffix_list.dat ] ||
	skip_all "no public suffix list for the psl cases (apt-get install publicsuffix)"

n=0
for in in "$top_srcdir"/t/replay/*.in; do
	name=$(basename "$in" .in)
	ref=${in%.in}.ref
	n=$((n + 1))
	if [ ! -r "$ref" ]; then
		ok 1 "$name: no reference $ref (make replay-regen writes it)"
		continue
	fi
	top_srcdir=$top_srcdir "$DRIVER" "$in" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	diff -u "$ref" "$T/$name.out" >"$T/$name.diff"
	ok $([ $rc = 0 ] && [ ! -s "$T/$name.diff" ] && echo 0 || echo 1) "$name: $(sed -n 's/^# //p' "$in" | head -1)" ||
		{ diag "exit $rc: $(cat "$T/$name.err")"; sed 's/^/  /' "$T/$name.diff" | head -40 | while IFS= read -r l; do diag "$l"; done; }
done
ok $([ $n -ge 20 ] && echo 0 || echo 1) "$n replay cases found"
done_testing
