"""mail - the report mail (RFC 9990 section 3.2.2: the gzipped report as an
application/gzip attachment with the RFC's file name, the RFC's Subject,
Message-ID made of the Report-ID), its DKIM signature (python3-dkim, key
and selector from [report], d= the From domain so DMARC passes aligned),
and sending: `sendmail -t -oi` or SMTP to HOST:PORT. Sending returns
"sent", "size" (refused for size: logged, not retried), "failed" (refused
for good) or "temp" (try again next run)."""
import email.utils
import shlex
import smtplib
import subprocess
from email.message import EmailMessage


def build(settings, to_addr, subject, fname, gz_data, rid, text):
    """The report mail as bytes (DKIM-signed when [report] dkim_key is set);
    ValueError when it cannot be signed."""
    msg = EmailMessage()
    msg["From"] = settings.from_addr
    msg["To"] = to_addr
    msg["Subject"] = subject
    msg["Date"] = email.utils.formatdate(usegmt=True)
    msg["Message-ID"] = "<%s>" % rid
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    msg.add_attachment(gz_data, maintype="application", subtype="gzip", filename=fname)
    raw = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
    if settings.dkim_key:
        raw = sign(raw, settings)
    return raw


def sign(raw, settings):
    """raw with a DKIM-Signature of [report] dkim_domain / dkim_selector."""
    try:
        import dkim  # python3-dkim; only needed when signing
    except ImportError as e:
        raise ValueError("DKIM signing needs python3-dkim: %s" % e) from e
    try:
        with open(settings.dkim_key, "rb") as f:
            key = f.read()
        sig = dkim.sign(raw, settings.dkim_selector.encode(), settings.dkim_domain.encode(), key,
                        include_headers=[b"from", b"to", b"subject", b"date", b"message-id",
                                         b"mime-version", b"content-type", b"auto-submitted"])
    except (OSError, dkim.DKIMException) as e:
        raise ValueError("DKIM signing with %s: %s" % (settings.dkim_key, e)) from e
    return sig + raw


def _classify(code, text):
    """A refusal's meaning: size, failed (5xx) or temp (4xx)."""
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    if code == 552 or "5.3.4" in text or "5.2.3" in text:
        return "size", "%d %s" % (code, text)
    return ("failed" if 500 <= code < 600 else "temp"), "%d %s" % (code, text)


def send_smtp(hostport, from_addr, to_addr, raw):
    """Send through SMTP at HOST:PORT; (status, detail)."""
    host, _, port = hostport.rpartition(":")
    try:
        with smtplib.SMTP(host.strip("[]"), int(port), timeout=60) as s:
            s.sendmail(from_addr, [to_addr], raw)
        return "sent", "250"
    except smtplib.SMTPRecipientsRefused as e:
        code, text = list(e.recipients.values())[0]
        return _classify(code, text)
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as e:
        return _classify(e.smtp_code, e.smtp_error)
    except (OSError, smtplib.SMTPException) as e:
        return "temp", str(e)


def send_sendmail(command, from_addr, raw):
    """Hand the mail to the local MTA; its bounces go to from_addr."""
    argv = shlex.split(command) + ["-f", from_addr]
    try:
        p = subprocess.run(argv, input=raw.replace(b"\r\n", b"\n"), capture_output=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "temp", str(e)
    if p.returncode == 0:
        return "sent", "sendmail exit 0"
    return "temp", "sendmail exit %d: %s" % (p.returncode, p.stderr.decode("utf-8", "replace").strip())


def send(settings, to_addr, raw):
    """Send by the configured way; (status, detail)."""
    if settings.smtp:
        return send_smtp(settings.smtp, settings.from_addr, to_addr, raw)
    return send_sendmail(settings.sendmail, settings.from_addr, raw)
