#!/usr/bin/python3
"""dkim-conformance.py - the DKIM conformance suites of ../shared/conformance
(dkim-dkimpy, dkim-mail-dkim) as data for t/dkim-conformance.sh.

  dkim-conformance.py zone SHARED        zone file for harness.sh dns_start
  dkim-conformance.py files SHARED       the message files to verify
  dkim-conformance.py roundtrip          selectors to sign data/test.message for
  dkim-conformance.py check SHARED SKIPFILE RESULTS
                                         compare the driver's output, print TAP

Expectations (README.md of the conformance folder): the dkimpy vectors and the
RFC 8463 example are asserted exactly. The Mail::DKIM corpus predates RFC 6376
and RFC 8301, so its verdicts are adjusted by the project's policy, one rule
per modern flag (see expected_for); "invalid" maps to permerror, or neutral
(allowed by RFC 8601 for signatures that cannot be processed), and the two DNS
error cases to temperror. DomainKeys messages carry no DKIM-Signature: no
result. Needs python3-yaml (call it with /usr/bin/python3).
"""
import os
import sys

import yaml

NEUTRAL_OR_PERM = ("permerror", "neutral")

# dkimpy's sign-then-verify key records: data/test.message signed at test time
# by Mail::DKIM with data/test.private (RSA 1024) under each selector of
# example.com, whose record is the file named. The negative records must not
# let the signature pass.
ROUNDTRIP = [
    ("test", "data/test.txt", ("pass",), "the signing key's record"),
    ("test2", "data/test2.txt", ("pass",), "the same key without k= (k=rsa implied)"),
    ("badversion", "data/badversion.txt", ("permerror",), "malformed key record"),
    ("badk", "data/badk.txt", ("permerror",), "unknown k= key type"),
    ("testbad", "data/test_bad.txt", ("permerror",), "RSA key with a corrupted last byte"),
]


def load(shared, name):
    with open(os.path.join(shared, "conformance", name), encoding="utf-8") as f:
        return yaml.safe_load(f)


def fake_dns(shared):
    """FAKE_DNS.dat of Mail::DKIM as (name, value) pairs."""
    out = []
    path = os.path.join(shared, "conformance", "dkim-mail-dkim", "FAKE_DNS.dat")
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line.strip() or line.lstrip()[0] in "#;":
                continue
            name, _, value = line.strip().partition(" ")
            out.append((name, value.strip()))
    return out


def txt_strings(value):
    """A TXT value as quoted character-strings of at most 255 bytes."""
    if value == '""':
        return '""'
    parts = [value[i:i + 255] for i in range(0, len(value), 255)] or [""]
    return " ".join('"%s"' % p.replace("\\", "\\\\").replace('"', '\\"') for p in parts)


def zone(shared):
    """Zone file for t/lib/harness.sh dns_start: every key of both suites as
    local-data RR text, "name TIMEOUT" for Mail::DKIM's timeout case. Its
    SERVFAIL case has no zone-file form (see t/dkim-conformance-skip.txt)."""
    records = list(load(shared, "dkim-dkimpy/expected.yml")["dns_txt"].items())
    lines = []
    for name, value in fake_dns(shared):
        if value == "~~Query timed out~~":
            lines.append("%s TIMEOUT" % name)
        elif value not in ("NXDOMAIN", "~~SERVFAIL~~"):
            records.append((name, value))
    for sel, path, _, _ in ROUNDTRIP:
        name = sel + "._domainkey.example.com"
        if all(n != name for n, _ in records):
            with open(os.path.join(shared, "conformance", "dkim-dkimpy", path)) as f:
                records.append((name, f.read().strip()))
    lines += ["%s. 300 IN TXT %s" % (n, txt_strings(v)) for n, v in records]
    return "\n".join(lines) + "\n"


def dkimpy_cases(shared):
    """(file, [allowed results per signature]) for the dkimpy vectors."""
    for v in load(shared, "dkim-dkimpy/expected.yml")["vectors"]:
        yield ("dkim-dkimpy/" + v["file"], [(s["expect"],) for s in v["per_signature"]],
               "dkimpy vector (exact)")


def expected_for(sig, verdict):
    """Our result for one Mail::DKIM signature whose verdict was `verdict`,
    with the reason of any adjustment."""
    keybits = sig.get("keybits")
    v = sig.get("v")
    if not sig:
        return NEUTRAL_OR_PERM, "malformed field"
    if v is None or str(v) != "1":
        return ("neutral",), "v=%s: RFC 6376 needs v=1, not verified" % v
    if keybits in ("~~Query timed out~~", "~~SERVFAIL~~"):
        return ("temperror",), "DNS error on the key"
    if verdict == "invalid":
        return NEUTRAL_OR_PERM, "invalid"
    if verdict == "fail":
        return ("fail",), "fail"
    if sig.get("a") == "rsa-sha1":
        return ("policy",), "rsa-sha1 (RFC 8301)"
    if isinstance(keybits, int) and keybits < 1024:
        return ("policy",), "%d-bit key (RFC 8301)" % keybits
    return ("pass",), "pass"


def g_tag_only(entry):
    """badkey_8..13: invalid only under RFC 4871's g= tag, which RFC 6376
    removed: an RFC 6376 verifier ignores g= and judges the signature."""
    return ("key-g-tag-rfc4871-only" in entry.get("modern_flags", []) and
            entry.get("expect") == "invalid" and "g=" in entry.get("note", ""))


def mail_dkim_cases(shared):
    for e in load(shared, "dkim-mail-dkim/expected.yml"):
        f = "dkim-mail-dkim/" + e["file"]
        if e["kind"] == "domainkeys":
            yield f, [], "DomainKeys, not DKIM: no result"
            continue
        sigs = e.get("signatures", [])
        per = e.get("per_signature_expect", [e["expect"]] * len(sigs))
        exact = not e.get("modern_flags")  # the ed25519 set: asserted exactly
        allowed, why = [], []
        for i, sig in enumerate(sigs):
            verdict = per[i] if i < len(per) else "invalid"
            if g_tag_only(e):
                verdict = "pass"
            a, w = expected_for(sig, verdict)
            if exact and verdict == "invalid":
                a, w = ("permerror",), "invalid (exact)"
            allowed.append(a)
            why.append(w)
        yield f, allowed, "; ".join(why)


def roundtrip_cases():
    for sel, _, allowed, why in ROUNDTRIP:
        yield "roundtrip/%s.eml" % sel, [allowed], "dkimpy key record: " + why


def cases(shared):
    yield from dkimpy_cases(shared)
    yield from mail_dkim_cases(shared)
    yield from roundtrip_cases()


def read_skips(path):
    skips = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                name, _, reason = line.strip().partition(" ")
                skips[name] = reason.strip()
    return skips


def read_results(path, shared):
    """Driver output -> {relative file: [result per signature]}."""
    base = os.path.join(shared, "conformance") + "/"
    got = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 3 or cols[1] == "rss":
                continue
            name = cols[0][len(base):] if cols[0].startswith(base) else cols[0]
            lst = got.setdefault(name, [])
            if cols[1] != "-":
                lst.append((cols[2], cols[-1]))
    return got


def check(shared, skipfile, results):
    skips = read_skips(skipfile)
    got = read_results(results, shared)
    n = failed = 0
    for f, allowed, why in cases(shared):
        n += 1
        if f in skips:
            print("ok %d - %s # SKIP %s" % (n, f, skips[f]))
            continue
        res = got.get(f)
        good = res is not None and len(res) == len(allowed) and all(
            r in a for (r, _), a in zip(res, allowed))
        failed += not good
        print("%sok %d - %s: %s" % ("" if good else "not ", n, f,
                                    " ".join("|".join(a) for a in allowed) or "none"))
        if not good:
            print("#   expected (%s): %s" % (why, allowed))
            print("#   got: %s" % (res,))
    print("1..%d" % n)
    print("# %d passed, %d failed, %d skipped" % (n - failed - len(skips), failed, len(skips)))
    return 1 if failed else 0


def main(argv):
    if len(argv) >= 3 and argv[1] == "zone":
        sys.stdout.write(zone(argv[2]))
        return 0
    if len(argv) >= 3 and argv[1] == "files":
        for f, _, _ in cases(argv[2]):
            if not f.startswith("roundtrip/"):
                print(os.path.join(argv[2], "conformance", f))
        return 0
    if len(argv) >= 2 and argv[1] == "roundtrip":
        print(" ".join(sel for sel, _, _, _ in ROUNDTRIP))
        return 0
    if len(argv) >= 5 and argv[1] == "check":
        return check(argv[2], argv[3], argv[4])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
