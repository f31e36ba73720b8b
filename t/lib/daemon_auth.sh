# t/lib/daemon_auth.sh - sourced after t/lib/harness.sh by the daemon-level
# authentication tests (t/daemon-dkim.sh, t/daemon-dmarc.sh, t/daemon-bimi.sh):
# their prerequisites and sending one message through the daemon with its
# verdict, Authentication-Results header and decision line picked apart. It
# decides nothing: the tests do. Configs come from t/lib/daemon_config.sh;
# zone lines for DKIM keys (zone_txt, fixture_key) from the harness.
# shellcheck disable=SC2034,SC2154 # sets OUT/RESULT/AR/LOG for the tests; harness.sh sets top_*

. "$top_srcdir/t/lib/daemon_config.sh"

DKIM_DATA=$top_srcdir/t/data/dkim
PSL=/usr/share/publicsuffix/public_suffix_list.dat

# daemon_auth_require [psl]: skip the whole test, saying why, unless unbound,
# the built daemon and Mail::DKIM (and with "psl" Debian's public suffix
# list) are there.
daemon_auth_require() {
	[ -x /usr/sbin/unbound ] || skip_all "unbound is not installed"
	[ -x "$top_builddir/milter/authmilter" ] || skip_all "milter/authmilter not built"
	perl -MMail::DKIM::Signer -e 1 2>/dev/null || skip_all "Mail::DKIM missing (apt-get install libmail-dkim-perl)"
	[ "${1:-}" != psl ] || [ -r "$PSL" ] || skip_all "no public suffix list ($PSL; apt-get install publicsuffix)"
}

# send NAME DRIVE-ARGS...: drive one message through the daemon. Sets OUT
# (milter-drive's output, also in $T/NAME.out), RESULT (its "result:" line
# without the prefix), AR (our Authentication-Results value, unfolded) and
# LOG (the decision lines this message added to the daemon log).
send() {
	local name=$1 before
	shift
	before=$(grep -c ' stage=eom ' "$T/daemon.log")
	milter_drive -t 30 "$@" >"$T/$name.out" 2>"$T/$name.err" ||
		diag "milter-drive $name: exit $? ($(head -c 300 "$T/$name.err"))"
	OUT=$(cat "$T/$name.out")
	RESULT=$(sed -n 's/^result: //p' "$T/$name.out")
	AR=$(sed -n 's/^insheader 1 Authentication-Results: //p' "$T/$name.out")
	LOG=$(grep ' stage=eom ' "$T/daemon.log" | tail -n +"$((before + 1))")
}

# ar_entries METHOD: the resinfo entries of $AR for METHOD, one a line.
ar_entries() {
	printf '%s\n' "$AR" | sed 's/; /\n/g' | grep -E "^$1="
}

# vmhwm PID: peak resident set size of a process in kB.
vmhwm() {
	sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"
}

# built_with_asan: the daemon runs under AddressSanitizer (RSS means nothing).
built_with_asan() {
	ldd "$top_builddir/milter/authmilter" 2>/dev/null | grep -q libasan
}

