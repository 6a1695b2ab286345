"""The port to the payment provider, and a fake provider that is deterministic by payment token.

The fake keeps its ledger in a SQLite file of its own, outside our database transactions, as a
real provider keeps its records on its side: a handler that is rolled back and retried meets the
charge it already made, and the idempotency key returns it instead of charging twice.

Tokens: ``tok_ok`` succeeds; ``tok_declined`` is declined; any other is declined. With its faults
on (``PAYMENTS_FAKE_PROVIDER_FAULTS``, for development and tests, off by default) two more:
``tok_flaky`` fails transiently twice, then succeeds; ``tok_slow`` answers only after the order's
payment deadline (a call that would wait longer than the timeout gives up as unavailable). An
outage written in the ledger (``common.outages``, as ``make chaos`` does) makes every call fail as
unreachable until it ends.

``gateway()`` returns the adapter ``PAYMENTS_GATEWAY`` names (a callable of the timeout, in
seconds, that every call to the provider must respect).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Protocol
from uuid import uuid4

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from common.ledger import Ledger


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


FAULT_TOKENS = frozenset({"tok_flaky", "tok_slow"})


class FakePaymentProvider:
    """Behaves like a provider with idempotency keys; which token does what is in the module doc."""

    def __init__(self, ledger: Path, *, faults: bool = False, timeout: float = 10.0) -> None:
        self.ledger = ledger
        self.tokens = frozenset({"tok_ok"} | (FAULT_TOKENS if faults else set()))
        self.timeout = timeout
        self._ledger = Ledger(ledger, SCHEMA, service="the payment provider", timeout=timeout)

    def charge(
        self, *, token: str, amount: Decimal, currency: str, idempotency_key: str, pay_before: datetime
    ) -> Charge:
        db = self._ledger.open()
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
            raise Declined("card declined")
        return Charge(charge_id, amount, currency)

    def _decide(self, idempotency_key: str, token: str, attempts: int, pay_before: datetime) -> tuple[str, str]:
        if token not in self.tokens:
            return self._settle(idempotency_key, "declined", "")
        if token == "tok_flaky" and attempts <= 2:
            raise ProviderUnavailable(f"provider unavailable (attempt {attempts})")
        if token == "tok_slow":
            self._answer_after(max((pay_before - timezone.now()).total_seconds() + 0.5, 0))
        return self._settle(idempotency_key, "succeeded", f"ch_{uuid4().hex}")

    def _answer_after(self, seconds: float) -> None:
        """Answer late, as a slow provider does; past the timeout, the caller stops waiting."""
        time.sleep(min(seconds, self.timeout))
        if seconds > self.timeout:
            raise ProviderUnavailable(f"no answer within {self.timeout:g} s")

    def refund(self, *, charge_id: str, amount: Decimal, idempotency_key: str) -> str:
        db = self._ledger.open()
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
        db = self._ledger.open()
        rows = db.execute(
            "SELECT amount FROM charges WHERE idempotency_key = ? AND outcome = 'succeeded'", (idempotency_key,)
        ).fetchall()
        return [Decimal(amount) for (amount,) in rows]

    def refunded(self, charge_id: str) -> list[Decimal]:
        db = self._ledger.open()
        rows = db.execute("SELECT amount FROM refunds WHERE charge_id = ?", (charge_id,)).fetchall()
        return [Decimal(amount) for (amount,) in rows]

    def _settle(self, idempotency_key: str, outcome: str, charge_id: str) -> tuple[str, str]:
        """Record the outcome unless a concurrent request with the same key did; return the one kept."""
        db = self._ledger.open()
        db.execute(
            "UPDATE charges SET outcome = ?, charge_id = ? WHERE idempotency_key = ? AND outcome IS NULL",
            (outcome, charge_id, idempotency_key),
        )
        return db.execute(
            "SELECT outcome, charge_id FROM charges WHERE idempotency_key = ?", (idempotency_key,)
        ).fetchone()


def gateway() -> PaymentGateway:
    """The provider's adapter that ``PAYMENTS_GATEWAY`` names, with ``PAYMENTS_GATEWAY_TIMEOUT_SECONDS``."""
    return import_string(settings.PAYMENTS_GATEWAY)(settings.PAYMENTS_GATEWAY_TIMEOUT_SECONDS)


def fake_provider(timeout: float) -> FakePaymentProvider:
    """The fake, on its ledger file, with its faults as ``PAYMENTS_FAKE_PROVIDER_FAULTS`` says."""
    return _fake(settings.PAYMENTS_FAKE_PROVIDER_LEDGER, settings.PAYMENTS_FAKE_PROVIDER_FAULTS, timeout)


@cache
def _fake(ledger: str, faults: bool, timeout: float) -> FakePaymentProvider:
    return FakePaymentProvider(Path(ledger), faults=faults, timeout=timeout)
