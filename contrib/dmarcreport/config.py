"""config - the [report] and [dns] settings of authmilter.ini, with the
defaults of the daemon's option table (lib/am_options.c), so the tool and
the daemon read one file the same way. Unknown sections are ignored here:
the daemon's `authmilter -n` is the file's checker."""
import configparser
import socket

DEFAULTS = {
    "enable": "no",
    "data_file": "/var/lib/authmilter/dmarc-report.data",
    "host": "", "from": "", "org_name": "", "contact": "", "submitter": "",
    "state_dir": "/var/lib/authmilter/dmarc-report",
    "sendmail": "/usr/sbin/sendmail -t -oi", "smtp": "",
    "dkim_key": "", "dkim_selector": "", "dkim_domain": "",
    "suppress": "", "max_reports": "1000", "max_per_destination": "50", "max_uris": "2",
}


class Settings:
    """The settings one run uses (attributes named like the ini keys)."""

    def __init__(self, values, nameservers, psl_file):
        for k, v in values.items():
            setattr(self, k, v)
        self.from_addr = values["from"]
        self.max_reports = int(values["max_reports"])
        self.max_per_destination = int(values["max_per_destination"])
        self.max_uris = int(values["max_uris"])
        self.suppress = [w.lower().strip(".") for w in values["suppress"].replace(",", " ").split()]
        dom = self.from_addr.rpartition("@")[2].lower()
        self.submitter = values["submitter"] or dom
        self.org_name = values["org_name"] or self.submitter
        self.contact = values["contact"] or self.from_addr
        self.dkim_domain = values["dkim_domain"] or dom
        self.host = values["host"] or socket.gethostname()
        self.nameservers = nameservers
        self.psl_file = psl_file


def parse_nameservers(text):
    """[dns] nameservers ("IP[@PORT] ...") as (ip, port) pairs; empty: resolv.conf."""
    out = []
    for word in text.replace(",", " ").split():
        ip, _, port = word.partition("@")
        out.append((ip, int(port) if port else 53))
    if out:
        return out
    try:
        with open("/etc/resolv.conf", encoding="ascii", errors="replace") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and parts[0] == "nameserver":
                    out.append((parts[1], 53))
    except OSError:
        pass
    return out or [("127.0.0.1", 53)]


def load(path):
    """Read path; returns Settings. Raises OSError / configparser.Error."""
    cp = configparser.ConfigParser(interpolation=None, strict=False,
                                   inline_comment_prefixes=(";", "#"))
    with open(path, encoding="utf-8") as f:
        cp.read_file(f)
    values = dict(DEFAULTS)
    if cp.has_section("report"):
        for k in DEFAULTS:
            if cp.has_option("report", k):
                values[k] = " ".join(cp.get("report", k).split())
    ns = cp.get("dns", "nameservers", fallback="") if cp.has_section("dns") else ""
    psl = cp.get("dmarc", "psl_file", fallback="/usr/share/publicsuffix/public_suffix_list.dat") \
        if cp.has_section("dmarc") else "/usr/share/publicsuffix/public_suffix_list.dat"
    return Settings(values, parse_nameservers(ns), psl.strip())
