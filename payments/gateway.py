"""The port to the payment provider, and a fake provider that is deterministic by payment token.

The fake keeps its ledger in a SQLite file of its own, outside our database transactions, as a
real provider keeps its records on its side: a handler that is rolled back and retried meets the
charge it already made, and the idempotency key returns it instead of charging twice.

Tokens: ``tok_ok`` succeeds; ``tok_declined`` is declined; ``tok_flaky`` fails transiently twice,
then succeeds; ``tok_slow`` answers only after the order's payment deadline; any other is declined.
An outage written in the ledger (``common.outages``, as ``make chaos`` does) makes every call
fail as unreachable until it ends.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Protocol
from uuid import uuid4

from django.conf import settings
from django.utils import timezone

from common import outages


class Declined(Exception):
    """The provider refused the charge for good."""


class ProviderUnavailable(Exception):
    """A transient failure: the same request may succeed later."""


@dataclass(frozen=True)
class Charge:
    charge_id: str
    amount: Decimal
    currency: str


class PaymentGateway(Protocol):
    def charge(
        self, *, token: str, amount: Decimal, currency: str, idempotency_key: str, pay_before: datetime
    ) -> Charge: ...

    def refund(self, *, charge_id: str, amount: Decimal, idempotency_key: str) -> str: ...


SCHEMA = """
CREATE TABLE IF NOT EXISTS charges (
    idempotency_key TEXT PRIMARY KEY, token TEXT, amount TEXT, currency TEXT,
    outcome TEXT, charge_id TEXT, attempts INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS refunds (
    idempotency_key TEXT PRIMARY KEY, charge_id TEXT, amount TEXT, refund_id TEXT);
"""


class FakePaymentProvider:
    """Behaves like a provider with idempotency keys; which token does what is in the module doc."""

    def __init__(self, ledger: Path) -> None:
        self.ledger = ledger

    def charge(
        self, *, token: str, amount: Decimal, currency: str, idempotency_key: str, pay_before: datetime
    ) -> Charge:
        with self._connect() as db:
            db.execute(
                "INSERT OR IGNORE INTO charges (idempotency_key, token, amount, currency) VALUES (?, ?, ?, ?)",
                (idempotency_key, token, str(amount), currency),
            )
            db.execute("UPDATE charges SET attempts = attempts + 1 WHERE idempotency_key = ?", (idempotency_key,))
            outcome, charge_id, attempts = db.execute(
                "SELECT outcome, charge_id, attempts FROM charges WHERE idempotency_key = ?", (idempotency_key,)
            ).fetchone()
        if outcome is None:
            outcome, charge_id = self._decide(idempotency_key, token, attempts, pay_before)
        if outcome == "declined":
            raise Declined(f"card declined (token {token})")
        return Charge(charge_id, amount, currency)

    def _decide(self, idempotency_key: str, token: str, attempts: int, pay_before: datetime) -> tuple[str, str]:
        if token not in {"tok_ok", "tok_flaky", "tok_slow"}:
            return self._settle(idempotency_key, "declined", "")
        if token == "tok_flaky" and attempts <= 2:
            raise ProviderUnavailable(f"provider unavailable (attempt {attempts})")
        if token == "tok_slow":
            time.sleep(max((pay_before - timezone.now()).total_seconds() + 0.5, 0))
        return self._settle(idempotency_key, "succeeded", f"ch_{uuid4().hex}")

    def refund(self, *, charge_id: str, amount: Decimal, idempotency_key: str) -> str:
        with self._connect() as db:
            db.execute(
                "INSERT OR IGNORE INTO refunds (idempotency_key, charge_id, amount, refund_id) VALUES (?, ?, ?, ?)",
                (idempotency_key, charge_id, str(amount), f"re_{uuid4().hex}"),
            )
            (refund_id,) = db.execute(
                "SELECT refund_id FROM refunds WHERE idempotency_key = ?", (idempotency_key,)
            ).fetchone()
        return refund_id

    def captures(self, idempotency_key: str) -> list[Decimal]:
        """What the provider captured under a key (for checks: never more than one)."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT amount FROM charges WHERE idempotency_key = ? AND outcome = 'succeeded'", (idempotency_key,)
            ).fetchall()
        return [Decimal(amount) for (amount,) in rows]

    def refunded(self, charge_id: str) -> list[Decimal]:
        with self._connect() as db:
            rows = db.execute("SELECT amount FROM refunds WHERE charge_id = ?", (charge_id,)).fetchall()
        return [Decimal(amount) for (amount,) in rows]

    def _settle(self, idempotency_key: str, outcome: str, charge_id: str) -> tuple[str, str]:
        """Record the outcome unless a concurrent request with the same key did; return the one kept."""
        with self._connect() as db:
            db.execute(
                "UPDATE charges SET outcome = ?, charge_id = ? WHERE idempotency_key = ? AND outcome IS NULL",
                (outcome, charge_id, idempotency_key),
            )
            return db.execute(
                "SELECT outcome, charge_id FROM charges WHERE idempotency_key = ?", (idempotency_key,)
            ).fetchone()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.ledger.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.ledger, timeout=30, isolation_level=None)) as db:
            db.executescript(SCHEMA)
            outages.check(db, "the payment provider")
            yield db


@cache
def _provider(ledger: str) -> FakePaymentProvider:
    return FakePaymentProvider(Path(ledger))


def gateway() -> PaymentGateway:
    return _provider(settings.PAYMENTS_FAKE_PROVIDER_LEDGER)
