#!/usr/bin/python3
"""bimi_yaml2tab.py - turn $AM_SHARED/conformance/bimi/mail-bimi/cases.yml
into lines t/unit/test_am_bimi reads: the block name, then TAB-separated
key=value fields (values never hold a TAB or a newline: such a case makes
this script fail rather than be misread).

  record     txt= valid=0|1 error=FIRST_ERROR_CODE
  authority  a= valid=0|1 relevant=0|1
  lookup     test= domain= selector= result= d= sel= location= header=
             dns_failure= strict_spf=0|1 retrieved_d= retrieved_sel=
  result     test= domain= selector= record= dmarc=pass|fail|null
             disposition= result= d= sel=

result/d/sel come from the expected "bimi=KEYWORD (comment) header.d=D
header.selector=S" text (the comment is Mail::BIMI's and not compared).
Exit status 77 (message on stderr) when python3-yaml is missing.
Run with Debian's /usr/bin/python3."""
import re
import sys

try:
    import yaml
except ImportError:
    sys.stderr.write("python3-yaml is not installed\n")
    sys.exit(77)


def val(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "1" if v else "0"
    s = str(v)
    if "\t" in s or "\n" in s:
        raise SystemExit("value with a TAB or newline: %r" % s)
    return s


def line(block, **fields):
    print("\t".join([block] + ["%s=%s" % (k, val(v)) for k, v in fields.items()]))


def expected(text):
    """Split 'bimi=pass header.d=x header.selector=y' into its parts."""
    if not text:
        return {"result": "", "d": "", "sel": ""}
    m = re.match(r"bimi=(\w+)", text)
    d = re.search(r"header\.d=(\S+)", text)
    s = re.search(r"header\.selector=(\S+)", text)
    return {"result": m.group(1) if m else "", "d": d.group(1) if d else "",
            "sel": s.group(1) if s else ""}


def main(path):
    with open(path) as f:
        doc = yaml.safe_load(f)
    for c in doc.get("record_validation") or []:
        errs = c.get("errors") or []
        line("record", txt=c["record"], valid=bool(c["valid"]), error=errs[0] if errs else "")
    for c in doc.get("authority_validation") or []:
        line("authority", a=c["a"], valid=bool(c["valid"]), relevant=bool(c.get("relevant")))
    for c in doc.get("lookups") or []:
        e = expected(c.get("expect"))
        r = c.get("expect_retrieved") or {}
        line("lookup", test=c["test"], domain=c["domain"], selector=c["selector"],
             result=e["result"], d=e["d"], sel=e["sel"], location=c.get("location"),
             header=c.get("bimi_location_header"), dns_failure=c.get("dns_failure"),
             strict_spf=bool((c.get("options") or {}).get("strict_spf")),
             retrieved_d=r.get("domain"), retrieved_sel=r.get("selector"))
    for c in doc.get("results") or []:
        e = expected(c.get("expect"))
        dm = c.get("dmarc")
        line("result", test=c["test"], domain=c["domain"], selector=c["selector"],
             record=c["record"], dmarc=dm["result"] if dm else "null",
             disposition=dm.get("disposition") if dm else "",
             result=e["result"], d=e["d"], sel=e["sel"])


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: bimi_yaml2tab.py cases.yml")
    main(sys.argv[1])
