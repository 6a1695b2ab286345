"""Outages of the fake outside services (payment provider, carrier), written in their own ledgers.

A fault to inject from outside the process, as ``make chaos`` does: every process using the fake
sees the service down until the time recorded. Nothing writes an outage unless told to.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path

SCHEMA = "CREATE TABLE IF NOT EXISTS outages (until REAL NOT NULL);"


class Unreachable(ConnectionError):
    """The fake service is down: as a connection refused or timed out would be, a transient failure."""


def begin(ledger: Path, seconds: float) -> None:
    """The service at ``ledger`` answers nothing for the next ``seconds``."""
    ledger.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(ledger, timeout=30, isolation_level=None)) as db:
        db.executescript(SCHEMA)
        db.execute("INSERT INTO outages VALUES (?)", (time.time() + seconds,))


def check(db: sqlite3.Connection, service: str) -> None:
    """Raise ``Unreachable`` while an outage recorded in the ledger ``db`` lasts (its ``SCHEMA`` made)."""
    (until,) = db.execute("SELECT max(until) FROM outages").fetchone()
    if until is not None and until > time.time():
        raise Unreachable(f"{service} unreachable (outage)")
