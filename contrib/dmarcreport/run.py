"""run - one run of the tool: read the period's data, build one report per
policy domain and configuration, and send each to its verified
destinations within the abuse caps, skipping suppressed domains and what
the state says was sent. Every skip is logged with its reason."""
import os

from . import build, data, dest, mail, state

GENERATOR = "authmilter-dmarc-report 1.0"


class Counts:
    """The run's outcome, printed as one summary line."""
    FIELDS = ("reports", "sent", "already", "suppressed", "no_rua", "capped", "size", "failed",
              "temp", "unverified")

    def __init__(self):
        for f in self.FIELDS:
            setattr(self, f, 0)

    def line(self, stats):
        """The summary: data read, then what happened to the reports."""
        head = "lines=%d duplicates=%d bad=%d loop=%d" % (stats.used, stats.duplicates, stats.bad, stats.loop)
        return head + " " + " ".join("%s=%d" % (f, getattr(self, f)) for f in self.FIELDS)


def suppressed(pdom, suppress):
    """Is pdom, or a domain above it, on the suppression list?"""
    return any(pdom == s or pdom.endswith("." + s) for s in suppress)


class Run:
    """One run's settings, period, state and counters."""

    def __init__(self, settings, begin, end, dry_dir, resend, log):
        self.s, self.begin, self.end = settings, begin, end
        self.dry_dir, self.resend, self.log = dry_dir, resend, log
        self.counts, self.per_dest, self.sent_reports = Counts(), {}, 0
        self.psl = dest.PSL(settings.psl_file)
        self.state = None if dry_dir else state.State(settings.state_dir)

    def report(self, config, recs):
        """Build and send the report of one policy domain and configuration."""
        s, pdom = self.s, config[0]
        if suppressed(pdom, s.suppress):
            self.counts.suppressed += 1
            self.log("%s: on the suppression list, not reported" % pdom)
            return
        rua = max(recs, key=lambda r: r["t"])["rua"]  # the latest record's destinations
        if not rua:
            self.counts.no_rua += 1
            return
        if self.sent_reports >= s.max_reports:
            # Before any DNS: a wildcard _dmarc must not make us query the
            # victim's _report._dmarc names thousands of times either.
            self.counts.capped += 1
            self.log("%s: [report] max_reports = %d reached, left for the next run" % (pdom, s.max_reports))
            return
        hosts = {h for _u, _a, h in dest.parse_rua(rua, s.max_uris, lambda m: None)}
        if hosts and all(self.per_dest.get(h, 0) >= s.max_per_destination for h in hosts):
            self.counts.capped += 1
            self.log("%s: [report] max_per_destination = %d reached for %s, left for the next run"
                     % (pdom, s.max_per_destination, " ".join(sorted(hosts))))
            return
        rid = build.report_id(s.submitter, config, self.begin)
        fname = build.file_name(s.submitter, pdom, self.begin, self.end, rid)
        dests, temp = dest.destinations(pdom, rua, s, self.psl, lambda m: self.log("%s: %s" % (pdom, m)))
        self.counts.temp += len(temp)
        if not dests and not temp:
            self.counts.unverified += 1
        todo = [d for d in dests if self.resend or self.state is None or self.state.done(fname, d[0]) is None]
        self.counts.already += len(dests) - len(todo)
        if not todo:
            return
        self.counts.reports += 1
        self.sent_reports += 1
        meta = {"org_name": s.org_name, "email": s.contact, "report_id": rid, "begin": self.begin,
                "end": self.end, "generator": GENERATOR}
        gz = build.gz(build.xml(meta, config, recs))
        subject = build.subject(pdom, s.submitter, rid)
        text = "DMARC aggregate report (RFC 9990) for %s, %d to %d, from %s.\n" % (
            pdom, self.begin, self.end, s.submitter)
        for uri, addr, host in todo:
            try:
                raw = mail.build(s, addr, subject, fname, gz, rid, text)
            except ValueError as e:
                self.counts.temp += 1
                self.log("%s to %s: not sent, retried next run: %s" % (fname, addr, e))
                continue
            self.deliver(fname, uri, addr, host, raw, gz)

    def deliver(self, fname, uri, addr, host, raw, gz):
        """Send one report mail (or write it, in a dry run) within the caps."""
        dom = host.lower()
        if self.per_dest.get(dom, 0) >= self.s.max_per_destination:
            self.counts.capped += 1
            self.log("%s: [report] max_per_destination = %d reached for %s, left for the next run"
                     % (fname, self.s.max_per_destination, dom))
            return
        self.per_dest[dom] = self.per_dest.get(dom, 0) + 1
        if self.dry_dir:
            with open(os.path.join(self.dry_dir, fname), "wb") as f:
                f.write(gz)
            with open(os.path.join(self.dry_dir, "%s.to-%s.eml" % (fname[:-7], addr)), "wb") as f:
                f.write(raw)
            self.counts.sent += 1
            return
        status, detail = mail.send(self.s, addr, raw)
        if status == "sent":
            self.counts.sent += 1
        else:
            setattr(self.counts, status, getattr(self.counts, status) + 1)
            self.log("%s to %s: %s (%s)%s" % (fname, addr, {"size": "refused for size", "failed": "refused",
                                                            "temp": "not sent"}[status], detail,
                                             "" if status == "temp" else ", not retried"))
        if status != "temp":
            self.state.record(fname, uri, status)

    def all(self, paths):
        """Read the data and handle every report; returns the summary line."""
        recs, stats = data.read(paths, self.begin, self.end, self.log)
        try:
            for config, group in sorted(build.group(recs).items()):
                self.report(config, group)
        finally:
            if self.state:
                self.state.close()
        return self.counts.line(stats)
