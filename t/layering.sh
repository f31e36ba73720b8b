#!/bin/bash
# t/layering.sh - lib/ knows no libmilter (DESIGN: the checks take plain
# data; only milter/ speaks the milter protocol). No source of lib/
# includes a libmilter header, and the archive lib/libauthmilter.a refers
# to no libmilter symbol (smfi_*, mi_*), so a check cannot reach the MTA's
# context behind the session's back.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
harness_init layering

LIB=$top_builddir/lib/libauthmilter.a
[ -f "$LIB" ] || skip_all "lib/libauthmilter.a not built"
[ -f "$top_builddir/milter/authmilter" ] || skip_all "milter/ not built"
command -v nm >/dev/null || skip_all "nm (binutils) missing"

includes=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](libmilter/|mfapi\.h|mfdef\.h)' \
	"$top_srcdir"/lib/*.[ch] | sed "s|^$top_srcdir/||")
is "$includes" "" "no source of lib/ includes a libmilter header"

symbols=$(nm -u "$LIB" | awk '$1 == "U" && $2 ~ /^(smfi_|mi_)/ { print $2 }' | sort -u)
is "$(echo $symbols)" "" "lib/libauthmilter.a refers to no libmilter symbol"

# The milter layer does use libmilter: the same look finds it there, so an
# empty answer above is not nm reading nothing.
used=$(nm -u "$top_builddir"/milter/*.o | awk '$1 == "U" && $2 ~ /^smfi_/' | wc -l)
ok $([ "$used" -gt 0 ]; echo $?) "the same look finds libmilter's symbols in milter/ ($used references)"
done_testing
