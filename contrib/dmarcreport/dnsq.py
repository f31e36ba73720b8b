"""dnsq - a small DNS client for TXT look-ups (standard library only): one
question to the daemon's [dns] nameservers over UDP, TCP when truncated.
Answers ("ok", [txt]), ("none", []) for NXDOMAIN or no TXT, or ("temp",
why) for a timeout, SERVFAIL, REFUSED or a garbled answer, which the
caller retries on its next run."""
import os
import socket
import struct

TXT = 16


def _qname(name):
    """The wire form of name; ValueError when a label or the name is too long."""
    out = b""
    for label in name.rstrip(".").split("."):
        raw = label.encode("idna") if any(ord(ch) > 127 for ch in label) else label.encode("ascii")
        if not 0 < len(raw) < 64:
            raise ValueError("bad label length in %s" % name)
        out += bytes([len(raw)]) + raw
    if len(out) + 1 > 255:
        raise ValueError("name too long for DNS: %s" % name)
    return out + b"\0"


def _skip_name(msg, i):
    """Offset past the (possibly compressed) name at i."""
    while True:
        n = msg[i]
        if n & 0xC0 == 0xC0:
            return i + 2
        if n == 0:
            return i + 1
        i += n + 1


def _parse(msg, qid):
    """Answer of a response: ("ok", [txt]), ("none", []) or ("temp", why)."""
    rid, flags, qd, an = struct.unpack("!HHHH", msg[:8])
    if rid != qid:
        return ("temp", "answer id mismatch")
    rcode = flags & 0xF
    if rcode == 3:
        return ("none", [])
    if rcode != 0:
        return ("temp", {2: "SERVFAIL", 5: "REFUSED"}.get(rcode, "rcode %d" % rcode))
    i = 12
    for _ in range(qd):
        i = _skip_name(msg, i) + 4
    txts = []
    for _ in range(an):
        i = _skip_name(msg, i)
        rtype, _cls, _ttl, rdlen = struct.unpack("!HHIH", msg[i:i + 10])
        i += 10
        if rtype == TXT:
            rd, j, parts = msg[i:i + rdlen], 0, []
            while j < len(rd):
                parts.append(rd[j + 1:j + 1 + rd[j]])
                j += 1 + rd[j]
            txts.append(b"".join(parts).decode("utf-8", "replace"))
        i += rdlen
    return ("ok", txts) if txts else ("none", [])


def _ask(server, query, qid, timeout):
    """One exchange with server (ip, port): UDP, then TCP when truncated."""
    fam = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(query, server)
        msg, _ = s.recvfrom(65535)
    if len(msg) >= 12 and struct.unpack("!H", msg[2:4])[0] & 0x0200:
        with socket.create_connection(server, timeout=timeout) as t:
            t.sendall(struct.pack("!H", len(query)) + query)
            buf = b""
            while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
                chunk = t.recv(65535)
                if not chunk:
                    break
                buf += chunk
            msg = buf[2:]
    return msg


def txt(name, servers, timeout=3.0):
    """TXT records at name through servers [(ip, port)] (see module doc)."""
    qid = struct.unpack("!H", os.urandom(2))[0]
    query = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + _qname(name) + struct.pack("!HH", TXT, 1)
    why = "no nameserver"
    for server in servers:
        try:
            msg = _ask(server, query, qid, timeout)
            return _parse(msg, qid)
        except socket.timeout:
            why = "timeout"
        except (OSError, struct.error, IndexError) as e:
            why = "DNS error: %s" % e
    return ("temp", why)
