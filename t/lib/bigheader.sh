# t/lib/bigheader.sh - sourced after t/lib/harness.sh by the big-header
# tests through a real MTA (t/postfix-bigheader.sh, t/sendmail-bigheader.sh):
# the message they send, so both MTAs get the same bytes.

# bigheader_msg ID BYTES RCPT: $T/ID.eml, from alice@example.com to RCPT,
# with an X-Big field of about BYTES bytes (folded at 78 columns),
# DKIM-signed (the fixture's rsa2048 key) over From, Subject, Message-ID and
# X-Big, so that dkim=pass shows the daemon read every byte of the field.
bigheader_msg() {
	local data="$top_srcdir/t/data/dkim"
	awk -v id="$1" -v n="$2" -v to="$3" 'BEGIN {
		printf "From: Alice <alice@example.com>\nTo: %s\nSubject: %s\nMessage-ID: <%s@example.com>\nX-Big: %s", to, id, id, id
		for (i = 0; i < n / 78; i++) printf "\n\t%076d", i
		printf "\n\nA message with a big header.\n" }' |
		perl "$data/sign-mail-dkim.pl" "$data/rsa2048.pem" example.com rsa2048 rsa-sha256 relaxed \
			headers=from:subject:message-id:x-big >"$T/$1.eml"
}
