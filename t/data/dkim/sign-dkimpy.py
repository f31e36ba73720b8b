#!/usr/bin/python3
"""sign-dkimpy.py - sign a message with dkimpy (python3-dkim, python3-nacl
for ed25519), an independent signer for the DKIM tests. Reads the message on
stdin, writes it with the new DKIM-Signature field on top, LF line ends.
The signature time (t=) is fixed in the past, so that no machine clock sees it
in the future. Usage: sign-dkimpy.py KEYFILE DOMAIN SELECTOR ALGORITHM CANON [length]"""
import sys
import time

import dkim

dkim.time = type(time)("fixed_time")
dkim.time.time = lambda: 1700000000.0  # 2023-11-14

keyfile, domain, selector, alg, canon = sys.argv[1:6]
length = len(sys.argv) > 6 and sys.argv[6] == "length"
msg = sys.stdin.buffer.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
with open(keyfile, "rb") as f:
    key = f.read()
sig = dkim.sign(msg, selector.encode(), domain.encode(), key,
                signature_algorithm=alg.encode(),
                canonicalize=tuple(c.encode() for c in canon.split("/")),
                include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
                length=length)
sys.stdout.buffer.write((sig + msg).replace(b"\r\n", b"\n"))
