"""t/dmarc_report_check.py - reads RFC 9990 reports for the tests: each
argument is a report (gzipped or plain XML, or a mail whose application/gzip
attachment is the report) and the output is one JSON object per report:
its policy domain, report_id, date range, total count, the sum of counts
per (source_ip, disposition), every override reason as "type: comment",
and the attachment's file name for a mail. Used by t/dmarc-report-*.sh."""
import email
import email.policy
import gzip
import json
import sys
import xml.etree.ElementTree as ET

NS = {"d": "urn:ietf:params:xml:ns:dmarc-2.0"}


def report_bytes(path):
    """(XML bytes, attachment file name or None) of one argument."""
    raw = open(path, "rb").read()
    if raw[:2] != b"\x1f\x8b" and not raw.lstrip().startswith(b"<"):
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        for part in msg.walk():
            if part.get_content_type() == "application/gzip":
                return gzip.decompress(part.get_payload(decode=True)), part.get_filename()
        raise SystemExit("%s: no application/gzip part" % path)
    return (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw), None


def summary(data, fname):
    """The facts the tests compare."""
    root = ET.fromstring(data)
    out = {"pdom": root.findtext("d:policy_published/d:domain", namespaces=NS),
           "report_id": root.findtext("d:report_metadata/d:report_id", namespaces=NS),
           "begin": root.findtext("d:report_metadata/d:date_range/d:begin", namespaces=NS),
           "total": 0, "by_ip_disp": {}, "reasons": [], "file": fname, "records": 0}
    for rec in root.findall("d:record", NS):
        n = int(rec.findtext("d:row/d:count", namespaces=NS))
        key = "%s %s" % (rec.findtext("d:row/d:source_ip", namespaces=NS),
                         rec.findtext("d:row/d:policy_evaluated/d:disposition", namespaces=NS))
        out["total"] += n
        out["records"] += 1
        out["by_ip_disp"][key] = out["by_ip_disp"].get(key, 0) + n
        for r in rec.findall("d:row/d:policy_evaluated/d:reason", NS):
            out["reasons"].append("%s: %s" % (r.findtext("d:type", namespaces=NS),
                                              r.findtext("d:comment", default="", namespaces=NS)))
    return out


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print(json.dumps(summary(*report_bytes(p)), sort_keys=True))
