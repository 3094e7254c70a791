"""The exchange journal: each finished exchange's row, appended to a file before its last byte
goes to the client, so a relay killed (SIGKILL, OOM, power cut after the page cache was written)
while the store's writer is behind loses no exchange the client completed.

An append is one write(2) of one JSON line to a file opened O_APPEND, 0600, in the data dir's
`journal/`: no SQLite, no fsync on the streaming path (a killed process's writes are in the page
cache and survive it). Each serving relay writes its own files; a file is rotated at ROTATE bytes
and deleted once the store has committed every record queued before the rotation. At start, a relay
that is alone on the data dir replays what is left (rows missing or left open get their finish)
and deletes the files. Lines hold what the row holds: secrets were masked before (relay.proxy).
"""
import json
import logging
import os
import time
from pathlib import Path

from relay import paths
from relay.store.writes import exchange_record, replay_exchange

log = logging.getLogger(__name__)
ROTATE = 4 * 1024 * 1024
PATTERN = "journal-*.jsonl"


def directory(store):
    return Path(store.path).parent / "journal"


class Journal:
    def __init__(self, store):
        self.store = store
        self.dir = directory(store)
        paths.private_dir(self.dir)
        self._fd, self._path, self.size = -1, self.dir, 0
        self._open()

    def _open(self):
        self._path = self.dir / f"journal-{time.time_ns()}-{os.getpid()}.jsonl"
        self._fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_EXCL, 0o600)
        self.size = 0

    def append(self, exchange):
        """One line for the finished exchange; a failing disk costs the guarantee, never the stream."""
        line = (json.dumps(exchange_record(exchange), separators=(",", ":"), default=str) + "\n").encode()
        try:
            os.write(self._fd, line)
        except OSError as exc:
            log.warning("journal: cannot append (%s); exchange %s depends on the store alone", exc, exchange.id)
            return
        self.size += len(line)
        if self.size >= ROTATE:
            self.rotate()

    def rotate(self):
        old_fd, old_path = self._fd, self._path
        self._open()
        os.close(old_fd)
        self.store.after_commit(lambda: _unlink(old_path))

    def close(self, committed=True):
        """At the stop, after the store was closed: once everything was committed the journal is
        no longer needed; otherwise it stays for the next start to replay."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
            if committed:
                _unlink(self._path)


def _unlink(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def replay(store):
    """Write back the exchanges the journal holds whose row is missing or was left open; delete the
    files. Only for a relay alone on the data dir (another relay's journal is live). Returns the
    number of rows written."""
    written = 0
    for path in sorted(directory(store).glob(PATTERN)):
        records = []
        try:
            with open(path, "rb") as fh:
                for line in fh:
                    try:
                        record = json.loads(line)
                    except ValueError:
                        continue   # the last line of a killed writer may be cut short
                    if isinstance(record, dict) and isinstance(record.get("id"), str):
                        records.append(record)
        except OSError as exc:
            log.warning("journal: cannot read %s (%s); skipped", path, exc)
            continue
        tasks = [replay_exchange(r) for r in records]
        written += store.write(lambda conn, tasks=tasks: sum(task(conn) for task in tasks))
        _unlink(path)
    return written
