"""The port to the carrier, and a fake carrier that is deterministic by destination country.

Countries in ``SHIPPING_UNSERVED_COUNTRIES`` are not served. A booking can be cancelled until it
is dispatched. Like the fake payment provider, the fake carrier keeps its own ledger in a SQLite
file outside our transactions and honours idempotency keys, so a retried booking books once. An
outage written in the ledger (``common.outages``) makes every call fail as unreachable until it ends.

``carrier()`` returns the adapter ``SHIPPING_CARRIER`` names (a callable of the timeout, in
seconds, that every call to the carrier must respect).
"""

from __future__ import annotations

import sqlite3
from functools import cache
from pathlib import Path
from typing import Protocol
from uuid import uuid4

from django.conf import settings
from django.utils.module_loading import import_string

from common.ledger import Ledger


class NotServed(Exception):
    """The carrier does not deliver to that destination."""


class AlreadyDispatched(Exception):
    """The parcel has left: the booking can no longer be cancelled."""


class Carrier(Protocol):
    def book(self, *, country: str, idempotency_key: str) -> str: ...

    def cancel(self, *, reference: str) -> None: ...

    def dispatch(self, *, reference: str) -> None: ...


SCHEMA = """
CREATE TABLE IF NOT EXISTS bookings (
    idempotency_key TEXT PRIMARY KEY, reference TEXT UNIQUE, country TEXT, status TEXT);
"""


class FakeCarrier:
    def __init__(self, ledger: Path, unserved: frozenset[str], *, timeout: float = 10.0) -> None:
        self.ledger = ledger
        self.unserved = unserved
        self.timeout = timeout
        self._ledger = Ledger(ledger, SCHEMA, service="the carrier", timeout=timeout)

    def book(self, *, country: str, idempotency_key: str) -> str:
        if country in self.unserved:
            raise NotServed(f"no delivery to {country}")
        db = self._ledger.open()
        db.execute(
            "INSERT OR IGNORE INTO bookings VALUES (?, ?, ?, 'booked')",
            (idempotency_key, f"shp_{uuid4().hex}", country),
        )
        (reference,) = db.execute(
            "SELECT reference FROM bookings WHERE idempotency_key = ?", (idempotency_key,)
        ).fetchone()
        return reference

    def cancel(self, *, reference: str) -> None:
        db = self._ledger.open()
        db.execute("UPDATE bookings SET status = 'cancelled' WHERE reference = ? AND status = 'booked'", (reference,))
        if self._status(db, reference) == "dispatched":
            raise AlreadyDispatched(f"{reference} has been dispatched")

    def dispatch(self, *, reference: str) -> None:
        db = self._ledger.open()
        db.execute("UPDATE bookings SET status = 'dispatched' WHERE reference = ? AND status = 'booked'", (reference,))
        if self._status(db, reference) != "dispatched":
            raise ValueError(f"{reference} is not booked")

    def bookings(self, idempotency_key: str) -> list[str]:
        """Live bookings (booked or dispatched) under a key, for checks: never more than one."""
        db = self._ledger.open()
        rows = db.execute(
            "SELECT status FROM bookings WHERE idempotency_key = ? AND status != 'cancelled'", (idempotency_key,)
        ).fetchall()
        return [status for (status,) in rows]

    @staticmethod
    def _status(db: sqlite3.Connection, reference: str) -> str | None:
        row = db.execute("SELECT status FROM bookings WHERE reference = ?", (reference,)).fetchone()
        return row[0] if row else None


def carrier() -> Carrier:
    """The carrier's adapter that ``SHIPPING_CARRIER`` names, with ``SHIPPING_CARRIER_TIMEOUT_SECONDS``."""
    return import_string(settings.SHIPPING_CARRIER)(settings.SHIPPING_CARRIER_TIMEOUT_SECONDS)


def fake_carrier(timeout: float) -> FakeCarrier:
    """The fake, on its ledger file, serving all but ``SHIPPING_UNSERVED_COUNTRIES``."""
    return _fake(settings.SHIPPING_FAKE_CARRIER_LEDGER, frozenset(settings.SHIPPING_UNSERVED_COUNTRIES), timeout)


@cache
def _fake(ledger: str, unserved: frozenset[str], timeout: float) -> FakeCarrier:
    return FakeCarrier(Path(ledger), unserved, timeout=timeout)
