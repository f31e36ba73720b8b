"""state - what was sent, so a rerun sends nothing twice: one JSON file in
[report] state_dir, a key per (report file name, destination URI) with its
outcome ("sent", or "size" and "failed", which are not retried either),
and a lock so two runs never interleave. Entries of reports over 400 days
old are dropped. A --resend ignores the outcomes
but keeps the Report-ID and file name (they are derived, not stored)."""
import fcntl
import json
import os
import time

# Entries of reports older than this are dropped when the file is read, so
# it does not grow forever; data that old is long rotated away.
KEEP_SECONDS = 400 * 86400


def _older(key, limit):
    """Is the report of key (its file name's begin stamp) older than limit?"""
    parts = key.split(" ")[0].split("!")
    return len(parts) > 2 and parts[2].isdigit() and int(parts[2]) < limit


class State:
    """The state file, locked for the life of the object."""

    def __init__(self, directory):
        os.makedirs(directory, exist_ok=True)
        self.path = os.path.join(directory, "sent.json")
        self.lock = open(os.path.join(directory, "lock"), "w")
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        try:
            with open(self.path, encoding="utf-8") as f:
                self.sent = json.load(f)
        except (OSError, ValueError):
            self.sent = {}
        self.sent = {k: v for k, v in self.sent.items() if not _older(k, time.time() - KEEP_SECONDS)}

    def done(self, fname, uri):
        """The outcome recorded for this report and destination, or None."""
        return self.sent.get(fname + " " + uri)

    def record(self, fname, uri, outcome):
        """Remember an outcome and write the file at once (a crash loses nothing)."""
        self.sent[fname + " " + uri] = outcome
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.sent, f, indent=0, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def close(self):
        """Release the lock."""
        self.lock.close()
