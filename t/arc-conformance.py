#!/usr/bin/python3
"""arc-conformance.py - the ValiMail ARC validation suite of
../shared/conformance/arc-valimail as data for t/arc-conformance.sh.

  arc-conformance.py zone SHARED            zone file for harness.sh dns_start
  arc-conformance.py messages SHARED DIR    write each case to DIR/NAME.eml (CRLF)
  arc-conformance.py check SHARED DIVERGENCES RESULTS
                                            compare the driver's output, print TAP

Every validation case runs and is counted. Expected: the case's cv (Pass,
Fail, None); an empty cv means Fail (as Mail::DKIM's harness and dkimpy read
it). A case listed in the divergences file (t/arc-divergences.txt) must give
the result written there, with the reason beside it; any other difference
fails. Needs python3-yaml (call it with /usr/bin/python3).
"""
import os
import re
import sys

import yaml

SUITE = "arc-valimail/arc-draft-validation-tests.yml"


def scenarios(shared):
    with open(os.path.join(shared, "conformance", SUITE), encoding="utf-8") as f:
        return list(yaml.safe_load_all(f))


def txt_strings(value):
    """A TXT value as quoted character-strings of at most 255 bytes."""
    parts = [value[i:i + 255] for i in range(0, len(value), 255)] or [""]
    return " ".join('"%s"' % p.replace("\\", "\\\\").replace('"', '\\"') for p in parts)


def zone(shared):
    """Every key of the suite (the same name has the same value in every
    scenario), white-space runs collapsed to one space."""
    records = {}
    for doc in scenarios(shared):
        for name, value in (doc.get("txt-records") or {}).items():
            records[name] = re.sub(r"\s+", " ", value).strip()
    return "".join("%s. 300 IN TXT %s\n" % (n, txt_strings(v)) for n, v in sorted(records.items()))


def cases(shared):
    """(name, expected) for every validation test, in file order."""
    for doc in scenarios(shared):
        for name, t in doc["tests"].items():
            yield name, (t.get("cv") or "Fail").strip().lower(), t["message"] or ""


def messages(shared, out):
    os.makedirs(out, exist_ok=True)
    for name, _, msg in cases(shared):
        with open(os.path.join(out, name + ".eml"), "wb") as f:
            f.write(msg.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8"))
        print(name + ".eml")


def read_divergences(path):
    div = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                name, result, reason = (line.strip().split(None, 2) + ["", ""])[:3]
                div[name] = (result, reason)
    return div


def check(shared, divfile, results):
    div = read_divergences(divfile)
    got = {}
    with open(results, encoding="utf-8", errors="replace") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) >= 2:
                got[os.path.basename(cols[0])[:-len(".eml")]] = (cols[1], cols[-1])
    n = failed = diverged = 0
    for name, want, _ in cases(shared):
        n += 1
        res, reason = got.get(name, ("missing", "no result from the driver"))
        note = ""
        if name in div:
            want, note = div[name][0], " # listed divergence: " + div[name][1]
            diverged += 1
        good = res == want
        failed += not good
        print("%sok %d - %s: %s (%s)%s" % ("" if good else "not ", n, name, res, reason, note))
        if not good:
            print("#   expected %s" % want)
    stale = sorted(set(div) - {c[0] for c in cases(shared)})
    for name in stale:
        n += 1
        failed += 1
        print("not ok %d - divergence list names %s, which is not a case" % (n, name))
    print("1..%d" % n)
    print("# %d passed, %d failed (%d as listed divergences)" % (n - failed, failed, diverged))
    return 1 if failed else 0


def main():
    cmd = sys.argv[1]
    if cmd == "zone":
        sys.stdout.write(zone(sys.argv[2]))
    elif cmd == "messages":
        messages(sys.argv[2], sys.argv[3])
    elif cmd == "check":
        sys.exit(check(sys.argv[2], sys.argv[3], sys.argv[4]))
    else:
        sys.exit("usage: arc-conformance.py zone|messages|check ...")


if __name__ == "__main__":
    main()
