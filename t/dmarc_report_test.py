"""t/dmarc_report_test.py - unit tests of contrib/dmarcreport (run by
t/dmarc-report-unit.sh): grouping per policy domain and configuration,
records and their counts, the Report-ID (RFC 9990 ridfmt), the file name,
the Subject, rua= parsing (the obsolete !size suffix, schemes, max_uris),
organisational domains, the verification record's tags, suppression and
the data reader (bad lines, duplicates, gzip). Writes a sample report to
the file named by $REPORT_XML for the schema check."""
import gzip
import json
import os
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "contrib"))
from dmarcreport import build, data, dest, run, state  # noqa: E402


def rec(**kw):
    """A report data record as lib/am_report_data.c writes it."""
    r = {"v": 1, "id": "mx1/C1/Q1/1", "t": 1000, "host": "mx1", "ip": "192.0.2.1", "hfrom": "example.com",
         "efrom": "example.com", "eto": "rcpt.example", "pdom": "example.com", "disc": "psl", "p": "reject",
         "sp": "", "np": "", "adkim": "r", "aspf": "r", "testing": "n", "fo": "", "rua": "mailto:a@example.com",
         "disp": "reject", "reasons": [], "dkim": "fail", "spf": "fail",
         "sigs": [["other.example", "s", "pass"], ["example.com", "s1", "fail"]],
         "spfres": ["example.com", "fail"], "loop": False}
    r.update(kw)
    return r


class Grouping(unittest.TestCase):
    """build.group and build.rows."""

    def test_per_domain_and_config(self):
        """One report per policy domain and configuration; subdomains in their policy domain's."""
        recs = [rec(), rec(id="2"), rec(id="3", hfrom="a.example.com"), rec(id="4", pdom="b.example.com"),
                rec(id="5", p="quarantine")]
        g = build.group(recs)
        self.assertEqual(len(g), 3)
        self.assertEqual(len(g[build.config_of(rec())]), 3)  # subdomain's mail in its policy domain's report

    def test_rows_count(self):
        """Identical messages make one record with their count."""
        recs = [rec(), rec(id="2"), rec(id="3", ip="192.0.2.2"),
                rec(id="4", disp="none", reasons=[["trusted_forwarder", "forwarder network 192.0.2.0/24"]])]
        rows = build.rows(recs)
        self.assertEqual(sorted(c for _k, c in rows), [1, 1, 2])
        self.assertEqual(sum(c for _k, c in rows), 4)

    def test_sig_order(self):
        """DKIM signatures in RFC 9990 2.1.3 order: strict, relaxed, other passes, failures."""
        k = build.row_key(rec(sigs=[["x.example", "a", "fail"], ["other.example", "b", "pass"],
                                    ["mail.example.com", "c", "pass"], ["example.com", "d", "pass"]]))
        self.assertEqual([s[0] for s in k[8]], ["example.com", "mail.example.com", "other.example", "x.example"])


class Names(unittest.TestCase):
    """Report-ID, file name, Subject."""

    cfg = build.config_of(rec())

    def test_report_id(self):
        """The Report-ID matches the RFC's ridfmt, is stable and unique per configuration."""
        rid = build.report_id("rep.example", self.cfg, 1700000000)
        atom = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
        dot_atom = r"%s(\.%s)*" % (atom, atom)
        self.assertRegex(rid, r"^%s@%s$" % (dot_atom, dot_atom))
        self.assertTrue(rid.startswith("1700000000.") and rid.endswith(".example.com@rep.example"))
        self.assertEqual(rid, build.report_id("rep.example", self.cfg, 1700000000), "stable")
        other = build.config_of(rec(p="none"))
        self.assertNotEqual(rid, build.report_id("rep.example", other, 1700000000), "unique per config")

    def test_file_name(self):
        """The file name follows the RFC ABNF and is the same on a resend."""
        rid = build.report_id("rep.example", self.cfg, 1700000000)
        fn = build.file_name("rep.example", "example.com", 1700000000, 1700086399, rid)
        self.assertRegex(fn, r"^rep\.example!example\.com!1700000000!1700086399![A-Za-z0-9]+\.xml\.gz$")
        self.assertEqual(fn, build.file_name("rep.example", "example.com", 1700000000, 1700086399, rid))

    def test_subject(self):
        """The Subject follows the RFC ABNF."""
        s = build.subject("example.com", "rep.example", "1.x.example.com@rep.example")
        self.assertEqual(s, "Report Domain: example.com Submitter: rep.example Report-ID: <1.x.example.com@rep.example>")
        self.assertRegex(s, r"^Report\s+Domain:\s+\S+\s+Submitter:\s+\S+\s+Report-ID:\s+<[^>]+>$")


class Destinations(unittest.TestCase):
    """rua= parsing and verification helpers."""

    def test_size_suffix_ignored(self):
        """The obsolete !size suffix is dropped."""
        notes = []
        got = dest.parse_rua("mailto:a@example.com!10m, mailto:b@example.net!5", 2, notes.append)
        self.assertEqual(got, [("mailto:a@example.com", "a@example.com", "example.com"),
                               ("mailto:b@example.net", "b@example.net", "example.net")])

    def test_scheme_and_cap(self):
        """Non-mailto URIs and URIs past max_uris are skipped with a note."""
        notes = []
        got = dest.parse_rua("https://x.example/r,mailto:a@x.example,mailto:b@x.example,mailto:c@x.example",
                             2, notes.append)
        self.assertEqual([a for _u, a, _h in got], ["a@x.example", "b@x.example"])
        self.assertEqual(len(notes), 2)
        self.assertIn("unsupported scheme", notes[0])
        self.assertIn("max_uris", notes[1])

    def test_hostile_addresses(self):
        """An address that could add a recipient, a header or a path is refused."""
        for uri in ("mailto:a%2Cb@victim.example@x.example", "mailto:a@x.example%0d%0aBcc:v@y.example",
                    "mailto:../../etc/x@x.example", "mailto:a b@x.example", "mailto:a@", "mailto:@x.example",
                    "mailto:a@x..example"):
            self.assertIsNone(dest.mailto_host(uri), uri)
        self.assertEqual(dest.mailto_host("mailto:dmarc+rua@Reports.Example"),
                         ("dmarc+rua@Reports.Example", "reports.example"))

    def test_org(self):
        """Organisational domains from the public suffix list."""
        psl = dest.PSL("/usr/share/publicsuffix/public_suffix_list.dat")
        self.assertEqual(psl.org("a.b.example.co.uk"), "example.co.uk")
        self.assertEqual(psl.org("mail.example.com"), "example.com")

    def test_tags(self):
        """A verification record must start with v=DMARC1."""
        self.assertEqual(dest._tags("v=DMARC1; rua=mailto:x@y")["rua"], "mailto:x@y")
        self.assertIsNone(dest._tags("rua=mailto:x@y; v=DMARC1"))
        self.assertIsNotNone(dest._tags("v=DMARC1"))

    def test_too_long(self):
        """A verification name too long for DNS is not verified (and not asked)."""
        status, why = dest.verify("a" * 60 + "." + "b" * 60 + "." + "c" * 60 + ".example", "d" * 60 + ".example",
                                  [("127.0.0.1", 9)], lambda m: None)
        self.assertEqual(status, "no")
        self.assertIn("too long", why)

    def test_suppressed(self):
        """The suppression list covers subdomains, not look-alikes."""
        self.assertTrue(run.suppressed("a.example.com", ["example.com"]))
        self.assertFalse(run.suppressed("badexample.com", ["example.com"]))


class Reader(unittest.TestCase):
    """data.read."""

    def test_bad_dup_gzip(self):
        """Bad lines counted with one warning each, duplicates and loop lines dropped, gzip read."""
        d = tempfile.mkdtemp()
        plain, zipped = os.path.join(d, "a"), os.path.join(d, "b.gz")
        with open(plain, "w") as f:
            f.write(json.dumps(rec()) + "\n{bad json\n" + json.dumps(rec(id="x", p="bogus")) + "\n")
        with gzip.open(zipped, "wt") as f:
            f.write(json.dumps(rec()) + "\n" + json.dumps(rec(id="2", t=5000)) + "\n"
                    + json.dumps(rec(id="3", loop=True)) + "\n")
        warn = []
        recs, st = data.read([plain, zipped], 0, 2000, warn.append)
        self.assertEqual((len(recs), st.bad, st.duplicates, st.outside, st.loop), (1, 2, 1, 1, 1))
        self.assertEqual(len(warn), 2)
        self.assertTrue(all(re.search(r":\d+: bad data line skipped", w) for w in warn))

    def test_default_files(self):
        """The data file and its rotated copies, plain and gzipped, are the default input."""
        d = tempfile.mkdtemp()
        base = os.path.join(d, "r.data")
        for name in ("r.data", "r.data.1", "r.data.2.gz", "other"):
            open(os.path.join(d, name), "w").close()
        self.assertEqual(data.default_files(base), [base, base + ".1", base + ".2.gz"])

    def test_line_being_written(self):
        """A last line without newline is one being written, not a bad line."""
        d = tempfile.mkdtemp()
        path = os.path.join(d, "a")
        with open(path, "w") as f:
            f.write(json.dumps(rec()) + "\n" + json.dumps(rec(id="2"))[:40])
        warn = []
        recs, st = data.read([path], 0, 2000, warn.append)
        self.assertEqual((len(recs), st.bad), (1, 0), "a last line without newline is not a bad line")
        self.assertIn("being written", warn[0])


class StateFile(unittest.TestCase):
    """state.State."""

    def test_record_and_prune(self):
        """Outcomes survive a reopen; entries of reports over 400 days old are dropped."""
        d = tempfile.mkdtemp()
        now = int(__import__("time").time())
        new, old = "r!a.example!%d!%d!x.xml.gz" % (now, now + 1), "r!b.example!1000!2000!y.xml.gz"
        st = state.State(d)
        st.record(new, "mailto:a@a.example", "sent")
        st.record(old, "mailto:b@b.example", "size")
        st.close()
        st = state.State(d)
        self.assertEqual(st.done(new, "mailto:a@a.example"), "sent")
        self.assertIsNone(st.done(old, "mailto:b@b.example"))
        st.close()


class Xml(unittest.TestCase):
    """build.xml and build.gz."""

    def test_write_sample(self):
        """The XML: namespace, first-level order, gzip round trip; written for the schema check."""
        cfg = build.config_of(rec(fo="1", testing="n"))
        recs = [rec(fo="1"), rec(id="2", fo="1", disp="none", efrom="",
                                 reasons=[["trusted_forwarder", "forwarder network 192.0.2.0/24 <&>"]])]
        meta = {"org_name": "Rep", "email": "dmarc@rep.example", "report_id": "1.x@rep.example",
                "begin": 0, "end": 86399, "generator": run.GENERATOR}
        x = build.xml(meta, cfg, recs)
        self.assertIn(b'<feedback xmlns="urn:ietf:params:xml:ns:dmarc-2.0">', x)
        order = [m.group(1) for m in re.finditer(rb"<(version|report_metadata|policy_published|record)>", x)]
        self.assertEqual(order[:3], [b"version", b"report_metadata", b"policy_published"])
        self.assertEqual(gzip.decompress(build.gz(x)), x)
        self.assertEqual(build.gz(x), build.gz(x), "gzip is byte-identical on a resend")
        if os.environ.get("REPORT_XML"):
            with open(os.environ["REPORT_XML"], "wb") as f:
                f.write(x)


if __name__ == "__main__":
    unittest.main(verbosity=2)
