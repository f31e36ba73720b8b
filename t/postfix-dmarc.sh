#!/bin/bash
# t/postfix-dmarc.sh - RFC 9989 DMARC handling, shipped defaults, through a
# real Postfix (smtpd_milters) with the daemon and a real unbound: mail from
# a p=reject author relayed by a mailing list (List-Id, the list's own
# server with SPF pass) is delivered with the marker header and the DMARC
# failure and its override in our Authentication-Results, and its decision
# line names the RFC 9990 override (mailing_list); a spoof of the same
# author whose MAIL FROM fails SPF inside the author's own domain gets a
# 5xx at SMTP, the decision line naming the evidence.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib/harness.sh"
. "$top_srcdir/t/lib/daemon_config.sh"
harness_init postfix-dmarc

command -v postfix >/dev/null || skip_all "postfix not installed (bootstrap.sh installs it)"
command -v swaks >/dev/null || skip_all "swaks not installed (bootstrap.sh installs it)"

cat >"$T/zone" <<'EOF2'
bank.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.bank.example. 300 IN TXT "v=DMARC1; p=reject"
lists.example.org. 300 IN TXT "v=spf1 ip4:203.0.113.0/25 -all"
EOF2
dns_start "$T/zone" || bail_out "no DNS server"
daemon_config "$T/am.ini"   # the shipped defaults for [dmarc] and [scores]
daemon_start "$T/am.ini" || bail_out "daemon did not start"
postfix_start || bail_out "postfix did not start"

# send FROM RCPT FILE CLIENT-IP HELO: swaks transcript; status 0 when accepted.
send() {
	postfix_send --from "$1" --to "$2" --data "@$3" --xclient-addr "$4" --xclient-helo "$5"
}

# ---- list mail from the list's server: delivered with the marker ----
cat >"$T/list.eml" <<'EOF2'
From: Author <author@bank.example>
To: dev@lists.example.org
Subject: [dev] release plan
Message-ID: <plan-1@bank.example>
List-Id: Developers <dev.lists.example.org>
List-Post: <mailto:dev@lists.example.org>

The plan is attached.
--
dev mailing list
EOF2
send dev-bounces@lists.example.org alice@rcpt.example "$T/list.eml" 203.0.113.10 lists.example.org >/dev/null
ok $? "list mail from a p=reject author accepted at SMTP"
postfix_wait_mail alice
ok $? "and delivered (not held)"
is "$(postfix_held_count)" 0 "nothing in the hold queue"
msg=$(postfix_mail alice)
like "$msg" '^X-Authmilter-Quarantine: Held by the DMARC policy of bank\.example' "delivered with the marker header"
ar=$(printf '%s\n' "$msg" | awk '/^Authentication-Results: mx\.test\.example/ {p = 1; print; next} p && /^[ \t]/ {print; next} {p = 0}' | tr -d '\n')
like "$ar" 'dmarc=fail \(p=reject dis=quarantine override=mailing_list\)[[:space:]]+header\.from=bank\.example' \
	"the AR: the DMARC failure, the disposition and the override"
qid=$(sed -n 's/.*postfix\/cleanup\[[0-9]*\]: \([0-9A-F]*\): message-id=<plan-1@bank\.example>.*/\1/p' "$AM_PF_LOG" | head -1)
daemon_wait_log "$qid: conn=[^ ]+ action=accept reason=dmarc stage=eom client=\\[203\\.0\\.113\\.10\\] .*dmarc=\"fail\\(p=reject,dis=quarantine\\)\" hfrom=bank\\.example .*dmarc_override=mailing_list dmarc_override_comment=\"list dev\\.lists\\.example\\.org, SPF pass for lists\\.example\\.org\""
ok $? "decision line under the queue id ($qid) names the override mailing_list and why"

# ---- a spoof failing SPF inside the author's domain: 5xx ----
printf 'From: Bank <alerts@bank.example>\nTo: bob@rcpt.example\nSubject: verify your account\nMessage-ID: <spoof@bank.example>\n\nClick here.\n' >"$T/spoof.eml"
out=$(send alerts@bank.example bob@rcpt.example "$T/spoof.eml" 198.51.100.7 mx.stranger.example)
like "$out" '<\*\* +550[ -]5\.7\.1 Rejected by the DMARC policy of bank\.example' "spoof with SPF fail inside the author's domain: 550 5.7.1 at SMTP"
daemon_wait_log 'action=reject reason=dmarc stage=eom client=\[198\.51\.100\.7\].* dmarc="fail\(p=reject,dis=reject\)" hfrom=bank\.example .*dmarc_evidence=spf_fail_in_author_org'
ok $? "decision line names the evidence"
is "$(postfix_mail_count bob)" 0 "the spoof was not delivered"

postfix_stop
daemon_stop
ok $? "daemon stops cleanly"
done_testing
