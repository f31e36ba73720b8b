#!/usr/bin/python3
"""dmarc_yaml2tab.py - turn $AM_SHARED/conformance/dmarc/cases.yml into the
line format the C conformance drivers read (t/conformance/dmarc_cases.h).

One case per line: the block name, then TAB-separated key=value fields.
Backslash, TAB and newline in values are written as \\\\, \\t and \\n.
Lists are flattened: spf "domain:scope:result ...", dkim "domain:result ...".
Exit status 77 (with a message on stderr) when python3-yaml is missing.
Run with Debian's /usr/bin/python3 (python3-yaml)."""
import sys

try:
    import yaml
except ImportError:
    sys.stderr.write("python3-yaml is not installed\n")
    sys.exit(77)


def esc(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        v = "true" if v else "false"
    return str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def line(block, **fields):
    parts = [block] + ["%s=%s" % (k, esc(v)) for k, v in fields.items()]
    print("\t".join(parts))


def flat_spf(lst):
    return " ".join("%s:%s:%s" % (s.get("domain", ""), s.get("scope", "mfrom"), s.get("result", ""))
                    for s in lst or [])


def flat_dkim(lst):
    return " ".join("%s:%s" % (d.get("domain", ""), d.get("result", "")) for d in lst or [])


def flat_expect(e):
    return ",".join("%s=%s" % (k, esc(v)) for k, v in (e or {}).items())


def main(path):
    data = yaml.safe_load(open(path, encoding="utf-8"))
    for c in data.get("record_parse", []):
        line("record_parse", n=c["n"], record=c["record"], expect=c["expect"])
    for c in data.get("alignment", []):
        line("alignment", n=c["n"], domain=c["domain"], other=c["other"], mode=c["mode"], expect=c["expect"])
    for block in ("from_domain_libopendmarc", "from_domain_mail_dmarc"):
        for c in data.get(block, []):
            line(block, raw=c["raw"], expect=c.get("expect", ""))
    for i, c in enumerate(data.get("identifier_alignment", []), 1):
        spf = c.get("spf")
        line("identifier_alignment", n=i, header_from=c["header_from"], aspf=c.get("aspf", ""),
             spf=flat_spf([spf] if spf else []), dkim=flat_dkim(c.get("dkim")), expect=c["expect"])
    for i, c in enumerate(data.get("validate", []), 1):
        line("validate", n=i, header_from=c["header_from"], dmarcbis=bool(c.get("dmarcbis")),
             spf=flat_spf(c.get("spf", [{"domain": "unrelated.example.com", "scope": "mfrom", "result": "pass"}])),
             dkim=flat_dkim(c.get("dkim", [])), expect=flat_expect(c.get("expect")), note=c.get("note", ""))
    for c in data.get("organizational_domain_tree_walk", []):
        line("organizational_domain_tree_walk", domain=c["domain"], expect=c["expect"])
    for zl in (data.get("mail_dmarc_zone") or "").splitlines():
        f = zl.split(None, 3)
        if len(f) == 4:
            line("zone", name=f[0], type=f[2], value=f[3])
    tv = data.get("tag_values", {})
    for verdict in ("good", "bad"):
        for tag, values in (tv.get(verdict) or {}).items():
            for v in values:
                line("tag_values", verdict=verdict, tag=tag, value=v)
    for c in data.get("record_validity", []):
        line("record_validity", record=c["record"], valid=bool(c["valid"]), dmarcbis=bool(c.get("dmarcbis")))
    for c in data.get("milter_multi_from", []):
        line("milter_multi_from", name=c["name"], message=c["message"],
             default=flat_expect((c.get("expect") or {}).get("default")))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write("usage: dmarc_yaml2tab.py cases.yml\n")
        sys.exit(2)
    main(sys.argv[1])
