"""dest - where a report may go: the rua= URIs of the policy record (the
obsolete "!size" suffix ignored, mailto only, at most max_uris), and RFC
9990 section 4 external destination verification: when the policy
domain's organisational domain differs from the destination host's,
<policy-domain>._report._dmarc.<host> must hold a v=DMARC1 record, whose
rua= may replace the URI but only with the same host."""
import re
import urllib.parse

from . import dnsq

SIZE_SUFFIX = re.compile(r"![0-9]+[kmgtKMGT]?$")
# One plain address: nothing that could name a second recipient or a path
# (the To header of `sendmail -t` and dry-run file names are made of it).
ADDRESS = re.compile(r"^[A-Za-z0-9!#$%&'*+=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


class PSL:
    """Organisational domains from the public suffix list ([dmarc] psl_file)."""

    def __init__(self, path):
        self.rules, self.wild, self.exc = set(), set(), set()
        try:
            with open(path, encoding="utf-8") as f:
                for line in f:
                    r = line.split("//")[0].strip().lower()
                    if not r:
                        continue
                    if r.startswith("!"):
                        self.exc.add(r[1:])
                    elif r.startswith("*."):
                        self.wild.add(r[2:])
                    else:
                        self.rules.add(r)
        except OSError:
            pass  # no list: every TLD is a public suffix (the default rule "*")

    def org(self, domain):
        """The organisational domain: the public suffix plus one label."""
        labels = domain.lower().rstrip(".").split(".")
        for i in range(len(labels)):
            cand = ".".join(labels[i:])
            if cand in self.exc:
                suffix = i + 1
                break
            if cand in self.rules or (i + 1 < len(labels) and ".".join(labels[i + 1:]) in self.wild):
                suffix = i
                break
        else:
            suffix = len(labels) - 1
        return ".".join(labels[max(suffix - 1, 0):])


def mailto_host(uri):
    """(address, host) of a mailto: URI, or None."""
    if not uri.lower().startswith("mailto:"):
        return None
    addr = urllib.parse.unquote(uri[7:].split("?")[0])
    if not ADDRESS.match(addr) or ".." in addr.rpartition("@")[2]:
        return None
    return addr, addr.rpartition("@")[2].lower()


def parse_rua(rua, max_uris, note):
    """[(uri, address, host)] of the usable URIs, in the order given."""
    out = []
    for uri in (u.strip() for u in rua.split(",")):
        if not uri:
            continue
        uri = SIZE_SUFFIX.sub("", uri)  # obsolete size limit (RFC 9989): ignored
        mh = mailto_host(uri)
        if mh is None:
            note("rua URI %s skipped: unsupported scheme or malformed (mailto only)" % uri)
            continue
        if len(out) == max_uris:
            note("rua URI %s skipped: [report] max_uris = %d reached" % (uri, max_uris))
            continue
        out.append((uri, mh[0], mh[1]))
    return out


def _tags(txt):
    """Tags of a record whose first tag is v=DMARC1, else None."""
    parts = [p.strip() for p in txt.split(";")]
    tags = {}
    for i, p in enumerate(parts):
        k, eq, v = p.partition("=")
        k, v = k.strip().lower(), v.strip()
        if i == 0 and (k != "v" or v != "DMARC1"):
            return None
        if eq and k not in tags:
            tags[k] = v
    return tags


def verify(pdom, host, servers, note):
    """RFC 9990 section 4 for one destination host: ("ok", override URIs or
    None), ("no", why) or ("temp", why)."""
    name = "%s._report._dmarc.%s" % (pdom, host)
    try:
        status, txts = dnsq.txt(name, servers)
    except ValueError as e:
        return ("no", str(e))  # too long for DNS: cannot be verified
    if status == "temp":
        return ("temp", "%s: %s" % (name, txts))
    records = [t for t in (_tags(x) for x in txts) if t is not None]
    if not records:
        return ("no", "no v=DMARC1 record at %s" % name)
    for tags in records:
        if "rua" in tags:
            uris = parse_rua(tags["rua"], 100, note)
            if any(h != host for _u, _a, h in uris) or not uris:
                return ("no", "%s names another host in rua=: nothing sent to either" % name)
            return ("ok", uris)
    return ("ok", None)


def destinations(pdom, rua, settings, psl, note):
    """The verified destinations [(uri, address, host)] of a report, and the
    hosts whose verification hit a temporary DNS error (retry next run)."""
    out, temp = [], []
    for uri, addr, host in parse_rua(rua, settings.max_uris, note):
        if psl.org(pdom) == psl.org(host):
            out.append((uri, addr, host))
            continue
        status, val = verify(pdom, host, settings.nameservers, note)
        if status == "ok":
            out.extend(val or [(uri, addr, host)])
        elif status == "temp":
            note("destination %s for %s: temporary DNS error (%s), retried next run" % (host, pdom, val))
            temp.append(host)
        else:
            note("destination %s for %s not verified: %s" % (host, pdom, val))
    return out, temp
