#!/bin/bash
# t/dmarc-report-unit.sh - the unit tests of contrib/dmarcreport
# (t/dmarc_report_test.py: grouping, records and counts, Report-ID, file
# name, Subject, rua= parsing, organisational domains, the data reader), the
# sample report they write validated against the RFC 9990 schema, and the
# tool's command line (--help, bad arguments).
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
harness_init dmarc-report-unit

TOOL="/usr/bin/python3 $top_srcdir/contrib/authmilter-dmarc-report"
XSD="${AM_SHARED:-$top_srcdir/../shared}/conformance/dmarc-reports/dmarc-2.0.xsd"

top_srcdir="$top_srcdir" REPORT_XML="$T/sample.xml" /usr/bin/python3 "$top_srcdir/t/dmarc_report_test.py" \
	>"$T/unit.out" 2>&1
ok $? "python unit tests pass ($(grep -E '^Ran [0-9]+ tests' "$T/unit.out"))" || sed 's/^/#   /' "$T/unit.out"
like "$(cat "$T/unit.out")" '^OK$' "unittest: OK"

if [ ! -r "$XSD" ]; then
	skip "schema check: $XSD is absent (AM_SHARED)"
elif ! command -v xmllint >/dev/null; then
	skip "schema check: xmllint missing (apt-get install libxml2-utils)"
else
	xmllint --noout --schema "$XSD" "$T/sample.xml" >"$T/xmllint.out" 2>&1
	ok $? "the sample report validates against the RFC 9990 schema" || sed 's/^/#   /' "$T/xmllint.out"
fi

$TOOL --help >"$T/help.out" 2>&1
ok $? "--help: exit 0"
like "$(cat "$T/help.out")" '--dry-run DIR' "--help names --dry-run"
like "$(cat "$T/help.out")" '--from-logs FILE' "--help names --from-logs"
printf '[report]\nfrom = dmarc@rep.example\n' >"$T/am.ini"
$TOOL -c "$T/am.ini" --period 2026-13-40 >/dev/null 2>&1
is $? 2 "a bad --period: exit 2"
$TOOL -c "$T/nonexistent.ini" --dry-run "$T" >/dev/null 2>&1
is $? 2 "an unreadable configuration: exit 2"
printf '[report]\nenable = yes\n' >"$T/nofrom.ini"
$TOOL -c "$T/nofrom.ini" --dry-run "$T" 2>"$T/nofrom.err" >/dev/null
is $? 2 "no [report] from: exit 2"
like "$(cat "$T/nofrom.err")" 'from is not set' "and says why"
# Periods: one UTC day, a range of days, seconds, and the default (yesterday).
mkdir "$T/dry"
period_of() { $TOOL -c "$T/am.ini" --dry-run "$T/dry" --from-logs /dev/null "$@" 2>/dev/null | sed -n 's/^period \([0-9]*-[0-9]*\):.*/\1/p'; }
is "$(period_of --period 2026-01-01)" "1767225600-1767311999" "--period DAY: that UTC day, end included"
is "$(period_of --period 2026-01-01:2026-01-02)" "1767225600-1767398399" "--period DAY:DAY: both days"
is "$(period_of --period 100:200)" "100-200" "--period BEGIN:END in seconds"
# yesterday: the previous UTC day as BEGIN-END (asked before and after the run: midnight may pass).
yesterday() { local b; b=$(date -u -d "$(date -u -d yesterday +%F)" +%s); echo "$b-$((b + 86399))"; }
Y1=$(yesterday)
GOT=$(period_of)
Y2=$(yesterday)
ok "$([ "$GOT" = "$Y1" ] || [ "$GOT" = "$Y2" ] && echo 0 || echo 1)" "default: the previous UTC day ($GOT)"
$TOOL -c "$T/am.ini" --dry-run "$T/dry" --from-logs /dev/null --period 200:100 >/dev/null 2>&1
is $? 2 "a period that ends before it begins: exit 2"

printf '[report]\nenable = no\n' >"$T/off.ini"
$TOOL -c "$T/off.ini" 2>"$T/off.err" >/dev/null
is $? 0 "[report] enable = no and no --from-logs: exit 0 (the packaged timer is harmless)"
like "$(cat "$T/off.err")" 'reports are off' "and says so"

# The manual page: lint-clean (the references to the other pages aside).
if command -v mandoc >/dev/null; then
	is "$(mandoc -Tlint -W all "$top_srcdir/man/authmilter-dmarc-report.8" 2>&1 |
		grep -Ev 'STYLE: referenced manual not found: Xr authmilter(\.ini)? [58]( \([0-9]+ times\))?$')" "" \
		"authmilter-dmarc-report.8: mandoc -Tlint -W all reports nothing"
else
	skip "mandoc not installed"
fi

# make install: the tool in sbin finds its modules in pkgdatadir, and its page in man8.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$top_builddir" install DESTDIR="$T/inst" >"$T/install.log" 2>&1
ok $? "make install DESTDIR=... succeeds" || tail -20 "$T/install.log" | sed 's/^/#   /'
inst=$(find "$T/inst" -path '*/sbin/authmilter-dmarc-report' | head -1)
ok "$([ -x "$inst" ] && echo 0 || echo 1)" "the tool is installed in sbin (${inst#"$T/inst"})"
ok "$(find "$T/inst" -path '*/man8/authmilter-dmarc-report.8' | grep -q . && echo 0 || echo 1)" \
	"its manual page is installed in man8"
like "$(grep '^MODULE_DIR = ' "$inst")" "^MODULE_DIR = '/.*/authmilter'\$" "the installed tool names its module directory"
moddir=$(sed -n "s/^MODULE_DIR = '\(.*\)'\$/\1/p" "$inst")
ok "$([ -r "$T/inst$moddir/dmarcreport/build.py" ] && echo 0 || echo 1)" "the modules are installed there"
like "$(grep '^DEFAULT_CONFIG = ' "$inst")" '^DEFAULT_CONFIG = "/.*/authmilter/authmilter\.ini"$' \
	"the installed tool reads the daemon's configuration by default"
# Run the installed copy with its modules (the DESTDIR prefix added to its path).
sed "s|^MODULE_DIR = '|MODULE_DIR = '$T/inst|" "$inst" >"$T/installed-tool"
/usr/bin/python3 "$T/installed-tool" --help >"$T/inst-help.out" 2>&1
ok $? "the installed tool runs (--help)"
done_testing
