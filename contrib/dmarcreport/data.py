"""data - reads the daemon's report data (lib/am_report_data.c: one JSON
object per line) from files or standard input, plain or gzipped, several
hosts' files at once, while the daemon appends. A line whose id was seen already (a rotated file
given twice, two paths to one file) counts once; a bad line is counted
and skipped with one warning, never ends the run."""
import glob
import gzip
import io
import json
import os
import sys

STR_KEYS = ("id", "host", "ip", "hfrom", "efrom", "eto", "pdom", "disc", "p", "sp", "np",
            "adkim", "aspf", "testing", "fo", "rua", "disp", "dkim", "spf")
DISPOSITIONS = ("none", "pass", "quarantine", "reject")


class Stats:
    """What reading found: lines used, duplicates, bad lines, loop-guarded."""

    def __init__(self):
        self.used = self.duplicates = self.bad = self.loop = self.outside = 0


def default_files(data_file):
    """The data file and its rotated copies (FILE.1, FILE.2.gz, ...)."""
    return [p for p in [data_file] + sorted(glob.glob(glob.escape(data_file) + ".*"))
            if os.path.isfile(p)]


def _open(path):
    """A text stream of path ("-": standard input), gunzipped when gzipped."""
    raw = sys.stdin.buffer if path == "-" else open(path, "rb")
    head = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
    if head == b"\x1f\x8b":
        if path != "-":
            raw.close()
        raw = gzip.open(path, "rb") if path != "-" else gzip.GzipFile(fileobj=raw)
    return io.TextIOWrapper(raw, encoding="utf-8", errors="replace")


def check(rec):
    """Why rec is not a usable record, or None."""
    if not isinstance(rec, dict) or rec.get("v") != 1:
        return "not a version 1 record"
    for k in STR_KEYS:
        if not isinstance(rec.get(k), str):
            return "missing or bad %s" % k
    if not isinstance(rec.get("t"), int) or not rec["pdom"] or not rec["hfrom"]:
        return "missing t, pdom or hfrom"
    if rec["disp"] not in DISPOSITIONS or rec["p"] not in ("none", "quarantine", "reject"):
        return "bad disp or p"
    if rec["disc"] not in ("psl", "treewalk"):
        return "bad disc"
    if not all(isinstance(r, list) and len(r) == 2 and all(isinstance(x, str) for x in r)
               for r in rec.get("reasons", None) or []) or not isinstance(rec.get("reasons"), list):
        return "bad reasons"
    if not isinstance(rec.get("sigs"), list) or not all(
            isinstance(s, list) and len(s) == 3 and all(isinstance(x, str) for x in s) for s in rec["sigs"]):
        return "bad sigs"
    spf = rec.get("spfres")
    if spf is not None and not (isinstance(spf, list) and len(spf) == 2 and all(isinstance(x, str) for x in spf)):
        return "bad spfres"
    return None


def _lines(stream, path, stats, log):
    """(number, line) of the non-blank lines; a truncated gzip ends it with a warning."""
    n = 0
    while True:
        try:
            line = stream.readline()
        except (OSError, EOFError, UnicodeError) as e:
            log("%s: read error after line %d: %s" % (path, n, e))
            stats.bad += 1
            return
        if not line:
            return
        n += 1
        if not line.endswith("\n"):
            # The daemon writes whole lines with one write(): a last line
            # without its newline is one being written now, not a bad one.
            log("%s:%d: incomplete last line (being written), skipped" % (path, n))
            return
        if line.strip():
            yield n, line


def read(paths, begin, end, log):
    """Records with begin <= t <= end from paths, deduplicated; and Stats."""
    stats, seen, out = Stats(), set(), []
    for path in paths:
        try:
            stream = _open(path)
        except OSError as e:
            log("cannot read %s: %s" % (path, e.strerror or e))
            stats.bad += 1
            continue
        with stream:
            for n, line in _lines(stream, path, stats, log):
                try:
                    rec = json.loads(line)
                    why = check(rec)
                except ValueError as e:
                    why = "not JSON (%s)" % e.msg
                if why:
                    stats.bad += 1
                    log("%s:%d: bad data line skipped: %s" % (path, n, why))
                    continue
                if not begin <= rec["t"] <= end:
                    stats.outside += 1
                    continue
                if rec["id"] in seen:
                    stats.duplicates += 1
                    continue
                seen.add(rec["id"])
                if rec.get("loop") is True:
                    stats.loop += 1  # our own report mail: never reported on
                    continue
                stats.used += 1
                out.append(rec)
    return out, stats
