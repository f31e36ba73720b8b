#!/usr/bin/python3
"""arc-seal.py - add one ARC set to a message with python3-dkim's arc_sign
(an independent implementation), for the ARC tests. Not a sealer for real
mail: authmilter never seals.

  arc-seal.py KEY.pem DOMAIN SELECTOR AUTHSERV-ID RESULTS [CV] <in.eml >out.eml

RESULTS (e.g. "dmarc=pass header.from=author.example") becomes the sealer's
Authentication-Results, which arc_sign copies into the ARC-Authentication-
Results; CV (pass or fail) adds "arc=CV" there, the chain status a sealer
of instance 2 or later saw. Line ends become CRLF. Call it with
/usr/bin/python3 (Debian's python3-dkim and python3-authres).
"""
import sys

import dkim


def main():
    if len(sys.argv) not in (6, 7):
        sys.exit(__doc__)
    key, domain, selector, srv_id, results = sys.argv[1:6]
    if len(sys.argv) == 7:
        results += "; arc=" + sys.argv[6]
    msg = sys.stdin.buffer.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    msg = ("Authentication-Results: %s; %s\r\n" % (srv_id, results)).encode() + msg
    with open(key, "rb") as f:
        pem = f.read()
    sigs = dkim.arc_sign(msg, selector.encode(), domain.encode(), pem, srv_id.encode(),
                         include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
    if len(sigs) != 3:
        sys.exit("arc-seal.py: arc_sign made no ARC set")
    sys.stdout.buffer.write(b"".join(sigs) + msg)


if __name__ == "__main__":
    main()
