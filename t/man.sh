#!/bin/bash
# t/man.sh - the manual pages: `make install DESTDIR=...` installs
# authmilter(8) and authmilter.ini(5); mandoc -Tlint (every level, style
# included) and groff -ww report nothing on them; and the generated
# authmilter.ini(5) lists exactly the options of the table in
# lib/am_options.c (read here from the source text, independently of the
# generator), each with its default.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
harness_init man

command -v mandoc >/dev/null || skip_all "mandoc not installed (bootstrap.sh installs it)"

# The parent make's jobserver and flags are not for this one.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$top_builddir" install DESTDIR="$T/inst" >"$T/install.log" 2>&1
ok $? "make install DESTDIR=... succeeds" || tail -20 "$T/install.log" | sed 's/^/#   /'
page8=$(find "$T/inst" -path '*/man8/authmilter.8' | head -1)
page5=$(find "$T/inst" -path '*/man5/authmilter.ini.5' | head -1)
ok $([ -s "$page8" ] && echo 0 || echo 1) "authmilter.8 installed under man8 (${page8#"$T/inst"})"
ok $([ -s "$page5" ] && echo 0 || echo 1) "authmilter.ini.5 installed under man5 (${page5#"$T/inst"})"
[ -s "$page8" ] && [ -s "$page5" ] || bail_out "pages not installed"

# The pages name each other; that is only "not found" until they are in
# the system's manual path, so exactly those two references are let pass.
lint=$(mandoc -Tlint -W all "$page8" "$page5" 2>&1 |
	grep -Ev 'STYLE: referenced manual not found: Xr authmilter(\.ini)? [58]( \([0-9]+ times\))?$')
is "$lint" "" "mandoc -Tlint -W all: nothing to report"
if command -v groff >/dev/null; then
	is "$(groff -ww -mdoc -z "$page8" 2>&1; groff -ww -mdoc -z "$page5" 2>&1)" "" "groff -ww: no warnings"
else
	skip "groff not installed"
fi
like "$(grep '^\.Pa ' "$page8")" "^\.Pa .*/etc/authmilter/authmilter\.ini" "authmilter.8 names the configured sysconfdir"
unlike "$(cat "$page8")" '%[a-z]+%' "no placeholder left in authmilter.8"

# Options of the table, as "section key", from the source text.
want=$({
	grep -o 'OPT("[a-z0-9_]*", "[a-z0-9_]*"' "$top_srcdir/lib/am_options.c" |
		sed 's/OPT("\([^"]*\)", "\([^"]*\)"/\1 \2/'
	grep -o 'SCORE("[a-z0-9_]*", "[a-z0-9_]*"' "$top_srcdir/lib/am_options.c" |
		sed 's/SCORE("\([^"]*\)", "\([^"]*\)"/scores \1_\2/'
} | sort)
# Options of the page: ".Ss The [section] section" then ".It Cm key No = ...".
got=$(awk '/^\.Ss The \[/ { s = $3; gsub(/[][]/, "", s) }
	/^\.It Cm [a-z0-9_]+ No = / { print s, $3 }' "$page5" | sort)
ok $([ "$(wc -l <<<"$want")" -gt 50 ] && echo 0 || echo 1) "the table has $(wc -l <<<"$want") options"
is "$(diff <(echo "$want") <(echo "$got"))" "" "authmilter.ini.5 lists every option of the table, and no other"
defaults=$(awk '/^\.It Cm / { n++ } /^Default:/ { d++ } END { print n - d }' "$page5")
is "$defaults" 0 "every option has its default"
like "$(mandoc -Tascii "$page5" | col -b)" 'memcached_servers = words|memcached_servers = text' "renders (mandoc -Tascii)"
done_testing
