#!/usr/bin/python3
"""spf-suite-convert.py - turn the openspf RFC 7208 test suite (YAML) into
one zone file and one case file per scenario, for t/spf-conformance.sh.

Usage: spf-suite-convert.py SUITE.yml OUTDIR
Writes OUTDIR/NN.zone (resource records for the harness's dns_start, one per
line, plus "name TIMEOUT" lines) and OUTDIR/NN.cases (one case per line:
scenario, name, helo, host, mailfrom, results, explanation; tab separated,
with \\xHH escapes), and prints the number of scenarios.

Zone rules (the suite's header and pyspf's test driver): SPF records are
served as TXT too, unless the name lists TXT records of its own ("TXT: NONE"
lists none but still counts); a list value is one record of several
character-strings; TIMEOUT makes the name time out when it has nothing else
to answer with. Type SPF (99) records are served as type 99, which RFC 7208
says to ignore. Needs python3-yaml (Debian), so run with /usr/bin/python3.
"""
import os
import sys

import yaml

NAME_OK = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/%+=,~*")


def raw(value):
    """YAML gives text; the suite means bytes ("\\xEF" is the byte 0xEF)."""
    text = str(value)
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def zone_name(value, lower=False):
    """An absolute owner or target name, odd bytes as \\DDD. Owners are
    lower-cased (names match case-insensitively anyway, and some servers
    file a mixed-case owner apart from their built-in reverse zones);
    targets keep their case, which ptr-case-change depends on."""
    data = raw(value).lower() if lower else raw(value)
    if not data.endswith(b"."):
        data += b"."
    return "".join(chr(c) if c in NAME_OK else "\\%03d" % c for c in data)


def char_strings(data):
    """Quoted character-strings (<= 255 bytes each) for one TXT record."""
    if not data:
        return ['""']
    out = []
    for i in range(0, len(data), 255):
        piece = data[i:i + 255]
        text = "".join(chr(c) if 0x20 <= c < 0x7f and c not in b'"\\\'' else "\\%03d" % c
                       for c in piece)
        out.append('"%s"' % text)
    return out


def txt_rdata(value):
    """A TXT/SPF value: a string, or a list of strings glued without spaces."""
    if isinstance(value, list):
        parts = [raw(v) for v in value]
        if not parts:
            return '""'
        return " ".join(s for p in parts for s in char_strings(p))
    return " ".join(char_strings(raw(value)))


def records(name, recs):
    """Zone lines for one name of a scenario."""
    owner = zone_name(name, lower=True)
    has_txt = any(isinstance(r, dict) and "TXT" in r for r in recs)
    lines, timeout = [], False
    for r in recs:
        if not isinstance(r, dict):
            timeout = timeout or r == "TIMEOUT"
            continue
        for rtype, value in r.items():
            if rtype in ("TXT", "SPF") and value == "NONE":
                continue
            if rtype == "TXT":
                lines.append("%s TXT %s" % (owner, txt_rdata(value)))
            elif rtype == "SPF":
                lines.append("%s SPF %s" % (owner, txt_rdata(value)))
                if not has_txt:
                    lines.append("%s TXT %s" % (owner, txt_rdata(value)))
            elif rtype in ("A", "AAAA"):
                lines.append("%s %s %s" % (owner, rtype, value))
            elif rtype in ("PTR", "CNAME"):
                lines.append("%s %s %s" % (owner, rtype, zone_name(value)))
            elif rtype == "MX":
                target = zone_name(value[1]) if value[1] else "."
                lines.append("%s MX %d %s" % (owner, int(value[0]), target))
            else:
                raise SystemExit("unknown record type %s at %s" % (rtype, name))
    answers = [l for l in lines if " SPF " not in l]
    if timeout and not answers:
        return ["%s TIMEOUT" % owner]
    return lines


def field(value):
    """One case field: bytes outside printable ASCII, tab and backslash as \\xHH."""
    return "".join(chr(c) if 0x20 <= c < 0x7f and c != 0x5c else "\\x%02x" % c
                   for c in raw("" if value is None else value))


def main():
    suite, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    with open(suite, "rb") as f:
        scenarios = list(yaml.safe_load_all(f))
    for i, sc in enumerate(scenarios, 1):
        with open(os.path.join(outdir, "%02d.zone" % i), "w") as z:
            for name, recs in sc.get("zonedata", {}).items():
                for line in records(name, recs):
                    z.write(line + "\n")
        with open(os.path.join(outdir, "%02d.cases" % i), "w") as c:
            for name, t in sc["tests"].items():
                results = t["result"] if isinstance(t["result"], list) else [t["result"]]
                c.write("\t".join([
                    "%02d" % i, field(name), field(t.get("helo")), field(t.get("host")),
                    field(t.get("mailfrom")), ",".join(results),
                    field(t["explanation"]) if "explanation" in t else "-"]) + "\n")
    print(len(scenarios))


if __name__ == "__main__":
    main()
