#!/usr/bin/python3
"""make-seeds.py - write seed corpora for the fuzz targets (fuzz/fuzz_*.c)
from the third-party conformance data and the project's own test data, at
fuzz time, into a build directory. Nothing is copied into the repository.

Usage: make-seeds.py SHARED SRCDIR OUTDIR
  SHARED  the conformance folder's parent ($AM_SHARED); missing parts are skipped
  SRCDIR  the source tree (etc/authmilter.ini, t/data/dkim/*.eml)
  OUTDIR  gets one folder per target, one file per seed (named by its hash)
Prints "TARGET N" per target. Needs python3-yaml (run with /usr/bin/python3).
Each seed is laid out the way its target reads its input (see fuzz/*.c).
"""
import glob
import hashlib
import os
import re
import sys

import yaml

seeds = {}


def add(target, data):
    """Keep one seed (bytes or text) for target."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    seeds.setdefault(target, set()).add(data)


def raw(value):
    """YAML text as the bytes the suites mean ("\\xEF" is the byte 0xEF)."""
    text = "" if value is None else str(value)
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def load_all(path):
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        return [d for d in yaml.safe_load_all(f) if d]


def headers(message):
    """(name, raw value) of each header field of a message (bytes)."""
    head = re.split(rb"\r?\n\r?\n", message, maxsplit=1)[0]
    out = []
    for m in re.finditer(rb"^([!-9;-~]+):(.*(?:\r?\n[ \t].*)*)", head, re.M):
        out.append((m.group(1).decode("latin-1"), m.group(2)))
    return out


def spf_table(zonedata):
    """A zone of the openspf suite as am_dns_table lines (bytes)."""
    lines = []
    for name, recs in (zonedata or {}).items():
        owner = raw(name)
        for r in recs:
            if not isinstance(r, dict):
                if r == "TIMEOUT":
                    lines.append(owner + b" TIMEOUT")
                continue
            for rtype, value in r.items():
                if rtype in ("TXT", "SPF") and value != "NONE":
                    parts = value if isinstance(value, list) else [value]
                    data = [raw(p) for p in parts]
                    if any(b'"' in p or len(p) > 255 for p in data):
                        lines.append(owner + b" TXT " + b"".join(data))
                    else:
                        lines.append(owner + b" TXT " + b" ".join(b'"' + p + b'"' for p in data))
                elif rtype in ("A", "AAAA", "PTR", "CNAME"):
                    lines.append(owner + b" " + rtype.encode() + b" " + raw(value))
                elif rtype == "MX":
                    lines.append(owner + b" MX %d " % int(value[0]) + raw(value[1] or "."))
    return lines


def spf_seeds(shared):
    for suite in ("rfc7208-tests.yml", "rfc4408-tests.yml"):
        for sc in load_all(os.path.join(shared, "spf-openspf", suite)):
            table = spf_table(sc.get("zonedata"))
            for line in table:
                if b" TXT " in line:
                    txt = line.split(b" TXT ", 1)[1]
                    add("spf_record", txt.strip(b'"'))
                    add("spf_macro", b"\x00" + txt.strip(b'"') + b"\nstrong-bad@email.example.com"
                        b"\nemail.example.com\nmx.example.org\nmail.example.com")
            for t in (sc.get("tests") or {}).values():
                head = b"\n".join([raw(t.get("host")), raw(t.get("helo")), raw(t.get("mailfrom"))])
                add("spf_eval", head + b"\n" + b"\n".join(table) + b"\n")
                add("grey_key", b"\x0f\x05" + raw(t.get("mailfrom")) + b"\n" + raw(t.get("host")) +
                    b"\n\nuser@rcpt.example")
                if "explanation" in t:
                    add("spf_macro", b"\x01" + raw(t["explanation"]))


def dmarc_seeds(shared):
    for doc in load_all(os.path.join(shared, "dmarc", "cases.yml")):
        for c in doc.get("record_parse", []) + doc.get("record_validity", []):
            add("dmarc_record", raw(c["record"]))
        for line in (doc.get("mail_dmarc_zone") or "").splitlines():
            m = re.search(r'TXT\s+"(.*)"', line)
            if m:
                add("dmarc_record", m.group(1))
        for kind in ("good", "bad"):
            for tag, values in (doc.get("tag_values", {}).get(kind) or {}).items():
                for v in values:
                    add("dmarc_record", "v=DMARC1; %s=%s" % (tag, v))
        for key in ("from_domain_libopendmarc", "from_domain_mail_dmarc"):
            for c in doc.get(key, []):
                add("from", raw(c["raw"]))
                add("header", raw(c["raw"]))


def bimi_seeds(shared):
    for doc in load_all(os.path.join(shared, "bimi", "mail-bimi", "cases.yml")):
        for c in doc.get("record_validation", []):
            add("bimi_record", raw(c["record"]) + b"\x00v=BIMI1; s=brand;")
        for c in doc.get("authority_validation", []):
            add("bimi_record", b"v=BIMI1; l=https://x.example/a.svg; a=" + raw(c["a"]))
    for zone in glob.glob(os.path.join(shared, "bimi", "*", "*zonefile")):
        with open(zone, "rb") as f:
            for line in f:
                m = re.search(rb'TXT\s+"(.*)"', line)
                if m and m.group(1).lower().startswith(b"v=bimi"):
                    add("bimi_record", m.group(1))


def message_seeds(shared, srcdir):
    """Header values of every test message: From, AR, BIMI-Selector, all."""
    messages = []
    for path in glob.glob(os.path.join(shared, "dkim-mail-dkim", "corpus", "*")) + \
            glob.glob(os.path.join(shared, "dkim-dkimpy", "data", "*.msg")) + \
            glob.glob(os.path.join(srcdir, "t", "data", "dkim", "*.eml")):
        with open(path, "rb") as f:
            messages.append(f.read())
    for suite in ("arc-draft-validation-tests.yml", "arc-draft-sign-tests.yml"):
        for doc in load_all(os.path.join(shared, "arc-valimail", suite)):
            for t in (doc.get("tests") or {}).values():
                if isinstance(t, dict) and t.get("message"):
                    messages.append(raw(t["message"]))
                    add("arc", raw(t["message"]))
    for i, msg in enumerate(messages):
        add("message", bytes([i % 32]) + msg)
        for name, value in headers(msg):
            add("header", value)
            low = name.lower()
            if low == "from":
                add("from", value)
            elif low in ("authentication-results", "arc-authentication-results"):
                add("authres", b"lists.example.org\n" + value.replace(b"\n", b" ") +
                    b"\nexample.org\nmail.example.org\nd1.example.org\n@d1.example.org\nsel\nrsa-sha256\nAbCdEfGh")
            elif low == "bimi-selector":
                add("bimi_record", b"\x00" + value)


def config_seeds(srcdir):
    for path in [os.path.join(srcdir, "etc", "authmilter.ini")]:
        if os.path.exists(path):
            with open(path, "rb") as f:
                add("config", f.read())


def main():
    shared, srcdir, outdir = sys.argv[1], sys.argv[2], sys.argv[3]
    conf = os.path.join(shared, "conformance")
    spf_seeds(conf)
    dmarc_seeds(conf)
    bimi_seeds(conf)
    message_seeds(conf, srcdir)
    config_seeds(srcdir)
    for target, datas in sorted(seeds.items()):
        d = os.path.join(outdir, target)
        os.makedirs(d, exist_ok=True)
        for data in datas:
            with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
                f.write(data)
        print(target, len(datas))


if __name__ == "__main__":
    main()
