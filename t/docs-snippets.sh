#!/bin/bash
# t/docs-snippets.sh - the snippets the README and authmilter(8) quote
# agree with the files in etc/ that the tests use literally: the Postfix
# main.cf lines (etc/postfix-main.cf, including the chroot form, relative
# to the queue directory), the Sendmail INPUT_MAIL_FILTER line
# (etc/sendmail.mc), and the ini keys of the README's recipe
# (etc/authmilter.ini). No absolute chroot path is recommended anywhere.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
harness_init docs-snippets

README="$top_srcdir/README"
MAN="$top_srcdir/man/authmilter.8.in"
PF="$top_srcdir/etc/postfix-main.cf"
SM="$top_srcdir/etc/sendmail.mc"
INI="$top_srcdir/etc/authmilter.ini"

# Lines of FILE (leading blanks and comment marks stripped) for grep -Fx.
plain() { sed -e 's/^[[:space:]]*//' -e 's/^#[[:space:]]*//' "$1"; }

# in_file LINE FILE NAME: LINE (blanks trimmed) is a line of FILE, or the
# same behind a comment mark (an alternative the file explains).
in_file() {
	local line
	line=$(printf '%s' "$1" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//')
	plain "$2" | grep -Fxq -- "$line"
	ok $? "$3: '$line' is in ${2#"$top_srcdir"/}"
}

# The Postfix lines the README and the man page quote (main.cf settings).
n=0
while IFS= read -r l; do
	in_file "$l" "$PF" "README"
	n=$((n + 1))
done < <(grep -E '^[[:space:]]+(smtpd_milters|milter_default_action|milter_protocol) = ' "$README")
[ "$n" -ge 4 ]
ok $? "README quotes $n main.cf lines (the three settings and the chroot form)"
n=0
while IFS= read -r l; do
	in_file "$l" "$PF" "authmilter(8)"
	n=$((n + 1))
done < <(grep -E '^(smtpd_milters|milter_default_action|milter_protocol) = ' "$MAN")
[ "$n" -ge 4 ]
ok $? "authmilter(8) quotes $n main.cf lines"
like "$(plain "$PF")" '^smtpd_milters = unix:authmilter/authmilter\.sock$' \
	"etc/postfix-main.cf gives the relative chroot form"
for f in "$README" "$MAN" "$PF" "$INI"; do
	unlike "$(grep -E 'smtpd_milters *= *unix:/authmilter' "$f")" . \
		"${f#"$top_srcdir"/}: no absolute chroot path as the setting"
done

# Sendmail: the man page's line may wrap after its first argument.
want=$(grep '^INPUT_MAIL_FILTER(' "$SM")
[ -n "$want" ]
ok $? "etc/sendmail.mc has an INPUT_MAIL_FILTER line"
got=$(grep -E '^[[:space:]]+INPUT_MAIL_FILTER\(' "$README" | sed 's/^[[:space:]]*//')
is "$got" "$want" "README's INPUT_MAIL_FILTER line is etc/sendmail.mc's"
got=$(awk '/^INPUT_MAIL_FILTER\(/ { l = $0; if (l !~ /\)$/) { getline n; sub(/^[ \t]+/, "", n); l = l " " n } print l }' "$MAN")
is "$got" "$want" "authmilter(8)'s INPUT_MAIL_FILTER line is etc/sendmail.mc's"

# The ini lines of the README's chroot recipe name keys of [milter].
milter_keys=$(awk '/^\[/ { s = $0 } s == "[milter]" && /^[a-z_]+ =/ { print $1 }' "$INI")
while IFS= read -r l; do
	key=${l%% =*}
	key=${key##* }
	like "$milter_keys" "^$key\$" "README recipe: [milter] $key is a key of etc/authmilter.ini"
done < <(awk '/^    \[milter\]$/ { p = 1; next } p && /^    [a-z_]+ = / { print; next } { p = 0 }' "$README")
done_testing
