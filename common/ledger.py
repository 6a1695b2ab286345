"""The ledger of a fake outside service: a SQLite file of its own, kept open by each thread that uses it.

A connection is opened, and the schema made, once per thread of each process (a forked child opens
its own), and again when the file was replaced (deleted and made anew, as the bench and
``make chaos`` do between runs); every call then costs its statements and one ``stat``. Statements
commit one by one (``isolation_level=None``), as the fakes have always written them. A connection
is closed by the process that opened it: when it is replaced, when its ledger is collected, or at
exit.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from pathlib import Path

from common import outages

# Write-ahead logging: a commit appends to the log, with no journal file made, synced and deleted
# each time; NORMAL syncs at checkpoints, so a killed process loses nothing (a machine that loses
# power may lose its last commits, which a fake of the outside world can afford). Whoever deletes a
# ledger deletes its "-wal" and "-shm" files with it.
PRAGMAS = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"


class Ledger:
    def __init__(self, path: Path, schema: str, *, service: str, timeout: float) -> None:
        self.path = path
        self.schema = schema + outages.SCHEMA
        self.service = service
        self.timeout = timeout
        self._local = threading.local()

    def open(self) -> sqlite3.Connection:
        """This thread's connection, after checking that no outage is recorded (``outages.Unreachable``)."""
        db = self._connection()
        outages.check(db, self.service)
        return db

    def _connection(self) -> sqlite3.Connection:
        kept = getattr(self._local, "kept", None)
        if kept is not None and kept[:2] == (os.getpid(), _inode(self.path)):
            return kept[2]
        if kept is not None:
            _close(kept[2], kept[0])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
        db.executescript(PRAGMAS + self.schema)
        self._local.kept = (os.getpid(), _inode(self.path), db)
        weakref.finalize(self, _close, db, os.getpid())
        return db


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except FileNotFoundError:
        return None


def _close(db: sqlite3.Connection, opened_by: int) -> None:
    if os.getpid() == opened_by:
        db.close()
