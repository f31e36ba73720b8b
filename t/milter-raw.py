#!/usr/bin/python3
"""milter-raw.py - a raw milter client for the fault tests: it speaks just
enough of the milter protocol (version 6, no protocol options) to stop
anywhere in a conversation, and it sends malformed packets on purpose.
No MTA library; only the packet format (4-byte length, command byte, data).

  milter-raw.py SOCKET stage STAGE HOW   conversation up to STAGE (connect
        helo mail rcpt header eoh body eom), where HOW is: close (hang up
        right after sending STAGE, reply unread), reply (read the reply,
        then hang up), abort (SMFIC_ABORT after the reply, then hang up),
        quit (SMFIC_QUIT after the reply).
  milter-raw.py SOCKET bad KIND [SECS]   one malformed conversation (see BAD,
        AFTER); SECS (default 3) is how long silence means "open"

Prints one line: "stage STAGE HOW: REPLY..." or "bad KIND: dropped|replied
X|open", where dropped means the filter closed the connection, open that
it neither answered nor closed within SECS (the client then hangs up).
Exit 0 unless the socket cannot be reached. SOCKET is unix:PATH or a path.
"""
import random
import socket
import struct
import sys

ACTIONS = 0x1FF          # every action a v6 filter may ask for
STAGES = ["connect", "helo", "mail", "rcpt", "header", "eoh", "body", "eom"]


def pkt(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data


def optneg():
    return pkt(b"O", struct.pack(">III", 6, ACTIONS, 0))


def event(stage):
    """The packets of one event (macros first, as an MTA sends them)."""
    return {
        "connect": pkt(b"D", b"C" + b"j\0mx.test.example\0") +
                   pkt(b"C", b"client.example\0" + b"4" + struct.pack(">H", 4711) + b"192.0.2.1\0"),
        "helo": pkt(b"H", b"client.example\0"),
        "mail": pkt(b"D", b"M" + b"i\0ABC123\0") + pkt(b"M", b"<a@sender.example>\0"),
        "rcpt": pkt(b"R", b"<b@rcpt.example>\0"),
        "header": pkt(b"L", b"From\0 <a@sender.example>\0") +
                  pkt(b"L", b"DKIM-Signature\0 v=1; a=rsa-sha256; c=relaxed/relaxed; d=sender.example;"
                      b" s=sel; h=from; bh=frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=; b=dGVzdA==\0"),
        "eoh": pkt(b"N"),
        "body": pkt(b"B", b"Hello.\r\n"),
        "eom": pkt(b"E"),
    }[stage]


def replies(stage):
    """How many replies the packets of one event get (macros get none)."""
    data, n = event(stage), 0
    while data:
        size = struct.unpack(">I", data[:4])[0]
        n += data[4:5] != b"D"
        data = data[4 + size:]
    return n


class Conn:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect(path)

    def send(self, data):
        try:
            self.s.sendall(data)
            return True
        except OSError:
            return False

    def read_packet(self, timeout=10):
        """(cmd, data), None on EOF or reset, "open" on timeout."""
        self.s.settimeout(timeout)
        try:
            head = self._exact(4)
            if head is None:
                return None
            n = struct.unpack(">I", head)[0]
            body = self._exact(n)
            return None if body is None else (body[:1], body[1:])
        except socket.timeout:
            return "open"
        except OSError:
            return None

    def _exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def reply(self):
        """The final reply to an event (progress packets skipped)."""
        while True:
            r = self.read_packet()
            if r is None or r == "open":
                return r
            if r[0] != b"p":
                return r

    def close(self):
        self.s.close()


def describe(r):
    if r is None:
        return "dropped"
    if r == "open":
        return "open"
    return "replied " + r[0].decode("latin-1") + (" " + r[1][:60].decode("latin-1", "replace")
                                                  .replace("\0", " ").strip() if r[1] else "")


def stage(path, last, how):
    c = Conn(path)
    c.send(optneg())
    r = c.read_packet()
    if r is None or r == "open" or r[0] != b"O":
        print("stage %s %s: negotiation failed: %s" % (last, how, describe(r)))
        return
    for st in STAGES[:STAGES.index(last) + 1]:
        c.send(event(st))
        if st == last and how == "close":
            c.close()
            print("stage %s close: hung up" % last)
            return
        for _ in range(replies(st)):
            r = c.reply()
            while st == "eom" and r not in (None, "open") and r[0] in b"+ihmq":
                r = c.reply()  # modifications come before the verdict
    if how == "abort":
        c.send(pkt(b"A"))
    elif how == "quit":
        c.send(pkt(b"Q"))
    c.close()
    print("stage %s %s: %s" % (last, how, describe(r)))


def negotiated(path):
    c = Conn(path)
    c.send(optneg())
    c.read_packet()
    return c


BAD = {
    # before negotiation
    "short-length": lambda c: c.send(b"\0\0"),
    "zero-length": lambda c: c.send(struct.pack(">I", 0)),
    "huge-length": lambda c: c.send(struct.pack(">I", 0x7FFFFFFF) + b"O" + b"x" * 100),
    "over-max": lambda c: c.send(struct.pack(">I", 4 * 1024 * 1024) + b"B" + b"x" * 65536),
    "truncated": lambda c: c.send(struct.pack(">I", 100) + b"O" + b"\0\0\0\6"),
    "short-optneg": lambda c: c.send(pkt(b"O", b"\0\0\0\6")),
    "no-optneg": lambda c: c.send(event("connect")),
    "garbage": lambda c: c.send(bytes(random.Random(7).getrandbits(8) for _ in range(4096))),
}
# after a good negotiation
AFTER = {
    "unknown-command": pkt(b"Z", b"xyz"),
    "connect-no-nul": pkt(b"C", b"client.example"),
    "connect-bad-family": pkt(b"C", b"client.example\0" + b"9" + b"\0\0garbage\0"),
    "connect-short-port": pkt(b"C", b"client.example\0" + b"4" + b"\1"),
    "connect-bad-address": pkt(b"C", b"client.example\0" + b"6" + struct.pack(">H", 25) + b"not-an-address\0"),
    "macro-no-nul": pkt(b"D", b"Cj"),
    "macro-odd": pkt(b"D", b"C{a}\0"),
    "macro-empty": pkt(b"D"),
    "helo-empty": event("connect") + pkt(b"H"),
    "mail-empty": event("connect") + pkt(b"M"),
    "mail-no-nul": event("connect") + pkt(b"M", b"<a@b.example>"),
    "rcpt-empty": event("connect") + event("mail") + pkt(b"R"),
    "header-no-value": event("connect") + event("mail") + event("rcpt") + pkt(b"L", b"Subject\0"),
    "header-empty": event("connect") + event("mail") + event("rcpt") + pkt(b"L"),
    "header-no-nul": event("connect") + event("mail") + event("rcpt") + pkt(b"L", b"From"),
    "body-before-mail": event("connect") + pkt(b"B", b"x" * 100),
    "eom-before-mail": event("connect") + pkt(b"E"),
    "eoh-before-mail": event("connect") + pkt(b"N"),
    "events-out-of-order": event("connect") + event("eom") + event("rcpt") + event("header") +
                           event("mail") + event("eom"),
    "body-oversized": event("connect") + event("mail") + event("rcpt") + event("eoh") +
                      struct.pack(">I", 2 * 1024 * 1024) + b"B" + b"x" * 70000,
    "random-after-negotiation": bytes(random.Random(11).getrandbits(8) for _ in range(4096)),
}


def bad(path, kind, quiet=3.0):
    if kind in BAD:
        c = Conn(path)
        BAD[kind](c)
    else:
        c = negotiated(path)
        c.send(AFTER[kind])
    # Read until the filter hangs up or goes quiet: what it last said.
    last = "open"
    for _ in range(50):
        r = c.read_packet(timeout=quiet)
        if r is None or r == "open":
            last = r if last == "open" or r is None else last
            break
        last = r
    c.close()
    print("bad %s: %s" % (kind, describe(last)))


def main():
    path = sys.argv[1]
    if path.startswith("unix:"):
        path = path[5:]
    try:
        if sys.argv[2] == "stage":
            stage(path, sys.argv[3], sys.argv[4])
        elif sys.argv[2] == "bad":
            bad(path, sys.argv[3], float(sys.argv[4]) if len(sys.argv) > 4 else 3.0)
        elif sys.argv[2] == "list":
            print(" ".join(sorted(list(BAD) + list(AFTER))))
    except (ConnectionRefusedError, FileNotFoundError) as e:
        print("cannot connect: %s" % e)
        sys.exit(2)


if __name__ == "__main__":
    main()
