#!/bin/bash
# t/dmarc-report-unit.sh - the unit tests of contrib/dmarcreport
# (t/dmarc_report_test.py: grouping, records and counts, Report-ID, file
# name, Subject, rua= parsing, organisational domains, the data reader), the
# sample report they write validated against the RFC 9990 schema, and the
# tool's command line (--help, bad arguments).
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
harness_init dmarc-report-unit

TOOL="/usr/bin/python3 $top_srcdir/contrib/authmilter-dmarc-report"
XSD="$top_srcdir/../shared/conformance/dmarc-reports/dmarc-2.0.xsd"

top_srcdir="$top_srcdir" REPORT_XML="$T/sample.xml" /usr/bin/python3 "$top_srcdir/t/dmarc_report_test.py" \
	>"$T/unit.out" 2>&1
ok $? "python unit tests pass ($(grep -E '^Ran [0-9]+ tests' "$T/unit.out"))" || sed 's/^/#   /' "$T/unit.out"
like "$(cat "$T/unit.out")" '^OK$' "unittest: OK"

if [ ! -r "$XSD" ]; then
	skip "schema check: ../shared/conformance/dmarc-reports/dmarc-2.0.xsd is absent"
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
printf '[report]\n' >"$T/nofrom.ini"
$TOOL -c "$T/nofrom.ini" --dry-run "$T" 2>"$T/nofrom.err" >/dev/null
is $? 2 "no [report] from: exit 2"
like "$(cat "$T/nofrom.err")" 'from is not set' "and says why"
done_testing
