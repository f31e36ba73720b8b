"""state - what was sent, so a rerun sends nothing twice: one JSON file in
[report] state_dir, a key per (report file name, destination URI) with its
outcome ("sent", or "size" and "failed", which are not retried either),
and a lock so two runs never interleave. A --resend ignores the outcomes
but keeps the Report-ID and file name (they are derived, not stored)."""
import fcntl
import json
import os


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
