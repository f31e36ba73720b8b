"""build - RFC 9990 aggregate reports from report data records: one report
per policy domain and policy configuration (section 3.1), one record per
(source IP, policy_evaluated, identifiers, auth_results) with its count,
XML in the dmarc-2.0 namespace in the RFC's element order, the Report-ID,
the attachment's file name and the Subject. No I/O."""
import gzip
import hashlib
from xml.sax.saxutils import escape

NS = "urn:ietf:params:xml:ns:dmarc-2.0"
CONFIG_KEYS = ("pdom", "disc", "p", "sp", "np", "fo", "adkim", "aspf", "testing")
DKIM_RESULTS = ("none", "pass", "fail", "policy", "neutral", "temperror", "permerror")
MAX_SIGS = 100  # RFC 9990 section 2.1.3: at most 100 signatures per row


def config_of(rec):
    """The policy configuration a record was evaluated under."""
    return tuple(rec[k] for k in CONFIG_KEYS)


def group(records):
    """{configuration: [records]}: one report each (RFC 9990 section 3.1)."""
    out = {}
    for rec in records:
        out.setdefault(config_of(rec), []).append(rec)
    return out


def report_id(submitter, config, begin):
    """Report-ID (RFC 9990 ridfmt: dot-atom-text "@" dot-atom-text), unique
    per policy domain: the period, the configuration's hash, the domain."""
    tag = hashlib.sha256(repr(config).encode()).hexdigest()[:8]
    return "%d.%s.%s@%s" % (begin, tag, config[0], submitter)


def unique_id(rid):
    """The file name's unique-id (letters and digits only), tied to the Report-ID."""
    return hashlib.sha256(rid.encode()).hexdigest()[:20]


def file_name(submitter, pdom, begin, end, rid):
    """receiver!policy-domain!begin!end!unique-id.xml.gz (RFC 9990 section 3.2.2)."""
    return "%s!%s!%d!%d!%s.xml.gz" % (submitter, pdom, begin, end, unique_id(rid))


def subject(pdom, submitter, rid):
    """Report Domain: D Submitter: S Report-ID: <RID> (RFC 9990 section 3.2.2)."""
    return "Report Domain: %s Submitter: %s Report-ID: <%s>" % (pdom, submitter, rid)


def _sig_rank(sig, hfrom):
    """RFC 9990 2.1.3 preference: strict-aligned pass, relaxed pass, pass, other."""
    d, res = sig[0].lower(), sig[2]
    if res != "pass":
        return 3
    if d == hfrom:
        return 0
    if hfrom.endswith("." + d) or d.endswith("." + hfrom):
        return 1
    return 2


def row_key(rec):
    """What makes two messages one record (and the data to write it)."""
    sigs = sorted((tuple(s) for s in rec["sigs"]), key=lambda s: (_sig_rank(s, rec["hfrom"]), s))
    return (rec["ip"], rec["disp"], rec["dkim"], rec["spf"], tuple(tuple(r) for r in rec["reasons"]),
            rec["hfrom"], rec["efrom"], rec["eto"], tuple(sigs[:MAX_SIGS]),
            tuple(rec["spfres"]) if rec["spfres"] else None)


def rows(records):
    """[(row key, count)], in a stable order."""
    counts = {}
    for rec in records:
        k = row_key(rec)
        counts[k] = counts.get(k, 0) + 1
    return sorted(counts.items(), key=lambda kv: repr(kv[0]))


def _t(s):
    """XML text: escaped, characters XML 1.0 forbids dropped."""
    s = "".join(c for c in s if c in "\t\n\r" or ord(c) >= 0x20)
    return escape(s)


def _el(out, ind, name, text):
    out.append("%s<%s>%s</%s>" % ("  " * ind, name, _t(str(text)), name))


def _record(out, key, count):
    """One <record>: row, identifiers, auth_results, in the RFC's order."""
    ip, disp, dkim, spf, reasons, hfrom, efrom, eto, sigs, spfres = key
    out += ["  <record>", "    <row>"]
    _el(out, 3, "source_ip", ip)
    _el(out, 3, "count", count)
    out.append("      <policy_evaluated>")
    _el(out, 4, "disposition", disp)
    _el(out, 4, "dkim", dkim)
    _el(out, 4, "spf", spf)
    for typ, comment in reasons:
        out.append("        <reason>")
        _el(out, 5, "type", typ)
        if comment:
            _el(out, 5, "comment", comment)
        out.append("        </reason>")
    out += ["      </policy_evaluated>", "    </row>", "    <identifiers>"]
    _el(out, 3, "header_from", hfrom)
    _el(out, 3, "envelope_from", efrom)  # empty for the null sender (allowed)
    if eto:
        _el(out, 3, "envelope_to", eto)
    out += ["    </identifiers>", "    <auth_results>"]
    for d, s, res in sigs:
        out.append("      <dkim>")
        _el(out, 4, "domain", d)
        _el(out, 4, "selector", s)
        _el(out, 4, "result", res if res in DKIM_RESULTS else "fail")
        out.append("      </dkim>")
    if spfres:
        out.append("      <spf>")
        _el(out, 4, "domain", spfres[0])
        _el(out, 4, "scope", "mfrom")
        _el(out, 4, "result", spfres[1])
        out.append("      </spf>")
    out += ["    </auth_results>", "  </record>"]


def xml(meta, config, records):
    """The report document (bytes). meta: org_name, email, report_id, begin,
    end, generator."""
    c = dict(zip(CONFIG_KEYS, config))
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<feedback xmlns="%s">' % NS,
           "  <version>1.0</version>", "  <report_metadata>"]
    for k in ("org_name", "email", "report_id"):
        _el(out, 2, k, meta[k])
    out.append("    <date_range>")
    _el(out, 3, "begin", meta["begin"])
    _el(out, 3, "end", meta["end"])
    out.append("    </date_range>")
    _el(out, 2, "generator", meta["generator"])
    out += ["  </report_metadata>", "  <policy_published>"]
    _el(out, 2, "domain", c["pdom"])
    _el(out, 2, "discovery_method", c["disc"])
    for k in ("p", "sp", "np", "fo", "adkim", "aspf", "testing"):
        if c[k]:
            _el(out, 2, k, c[k])
    out.append("  </policy_published>")
    for key, count in rows(records):
        _record(out, key, count)
    out.append("</feedback>")
    return ("\n".join(out) + "\n").encode("utf-8")


def gz(data):
    """gzip of data, byte-identical on a resend (no time stamp inside)."""
    return gzip.compress(data, mtime=0)
