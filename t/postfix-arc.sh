#!/bin/bash
# t/postfix-arc.sh - ARC end to end through a real Postfix (smtpd_milters =
# the daemon) and a real unbound: a message from a p=reject author domain,
# forwarded by a mailing list that breaks DMARC alignment and seals it
# (python3-dkim's arc_sign, t/arc-seal.py), is delivered when the list is a
# trusted sealer, with arc=pass in our AR and the override trusted_forwarder
# in the decision line; the same copy without the ARC set is rejected at
# SMTP ([dmarc] strict = yes, so the difference is reject against accept).
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
harness_init postfix-arc

postfix_require
[ -x /usr/sbin/unbound ] || skip_all "unbound is not installed"
/usr/bin/python3 -c 'import dkim, authres' 2>/dev/null ||
	skip_all "python3-dkim or python3-authres missing (apt-get install python3-dkim python3-authres)"
PSL=/usr/share/publicsuffix/public_suffix_list.dat
[ -r "$PSL" ] || skip_all "no public suffix list ($PSL; apt-get install publicsuffix)"

LIST=198.51.100.20
DATA=$top_srcdir/t/data/dkim
{
	echo "lists.example. 300 IN TXT \"v=spf1 ip4:$LIST -all\""
	echo 'author.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"'
	echo '_dmarc.author.example. 300 IN TXT "v=DMARC1; p=reject"'
	zone_txt sel._domainkey.lists.example "$(fixture_key rsa2048)"
} >"$T/zone"
dns_start "$T/zone" || bail_out "no DNS server"
daemon_config "$T/am.ini" dmarc.discovery=psl dmarc.psl_file="$PSL" dmarc.strict=yes \
	arc.trusted_sealers=lists.example
daemon_start "$T/am.ini" || bail_out "daemon did not start"
postfix_start || bail_out "postfix did not start"

# The author's message as the list sends it on: a subject tag, a footer.
mkmsg() {
	printf '%s\n' "From: Author <author@author.example>" "To: list@lists.example" \
		"Subject: [list] $1" "Date: Sat, 22 Nov 2025 12:00:00 +0000" "Message-ID: <$1@author.example>" \
		"List-Id: <list.lists.example>" "" "What the author wrote." "-- " "the list's footer"
}
mkmsg sealed >"$T/plain-sealed.eml"
/usr/bin/python3 "$top_srcdir/t/arc-seal.py" "$DATA/rsa2048.pem" lists.example sel lists.example \
	"spf=pass smtp.mailfrom=author@author.example; dmarc=pass header.from=author.example" \
	<"$T/plain-sealed.eml" >"$T/sealed.eml" || bail_out "arc_sign failed"
mkmsg unsealed >"$T/unsealed.eml"

postfix_send --from bounce@lists.example --to alice@rcpt.example --data "@$T/sealed.eml" \
	--xclient-addr "$LIST" --xclient-helo mx.lists.example >"$T/sealed.swaks"
ok $? "list copy with a trusted ARC seal accepted at SMTP"
postfix_wait_mail alice
ok $? "and delivered"
ar=$(postfix_headers alice Authentication-Results | grep '^Authentication-Results: mx\.test\.example')
like "$ar" "arc=pass \\(i=1 sealer lists\\.example\\) smtp\\.remote-ip=${LIST//./\\.} header\\.oldest-pass=0" \
	"our AR: arc=pass smtp.remote-ip header.oldest-pass"
like "$ar" 'dmarc=fail \(.*override=trusted_forwarder.*\) header\.from=author\.example' \
	"our AR: dmarc=fail with the override trusted_forwarder"
qid=$(postfix_qid 'sealed@author\.example')
daemon_wait_log "$qid: conn=[^ ]+ action=accept .* arc=\"pass\\(i=1,sealer=lists\\.example\\)\" arc_trusted=lists\\.example .*dmarc_override=trusted_forwarder dmarc_override_comment=\"arc sealer lists\\.example\""
ok $? "decision line under Postfix's queue id ($qid): arc=pass, arc_trusted, override trusted_forwarder"

postfix_send --from bounce@lists.example --to bob@rcpt.example --data "@$T/unsealed.eml" \
	--xclient-addr "$LIST" --xclient-helo mx.lists.example >"$T/unsealed.swaks" 2>&1
like "$(cat "$T/unsealed.swaks")" '<\*\* 550 5\.7\.1 ' "the same copy without the seal: 550 5.7.1 at SMTP"
is "$(postfix_mail_count bob)" 0 "and not delivered"

postfix_stop
done_testing
