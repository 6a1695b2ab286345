"""The fake payment provider: deterministic by token, and it honours idempotency keys."""

import sqlite3
from contextlib import closing
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from common import outages
from payments.gateway import Declined, FakePaymentProvider, ProviderUnavailable


@pytest.fixture
def provider(tmp_path) -> FakePaymentProvider:
    return FakePaymentProvider(tmp_path / "ledger.sqlite3", faults=True)


def charge(provider: FakePaymentProvider, token: str, key: str = "k", **extra):
    options = {"amount": Decimal("10.00"), "currency": "EUR", "pay_before": timezone.now(), **extra}
    return provider.charge(token=token, idempotency_key=key, **options)


def test_the_same_idempotency_key_returns_the_first_charge(provider):
    first = charge(provider, "tok_ok")
    assert charge(provider, "tok_ok") == first
    assert provider.captures("k") == [Decimal("10.00")]


def test_a_declined_token_stays_declined(provider):
    for _ in range(2):
        with pytest.raises(Declined):
            charge(provider, "tok_declined")
    assert provider.captures("k") == []


def test_a_flaky_token_fails_twice_then_succeeds(provider):
    for attempt in (1, 2):
        with pytest.raises(ProviderUnavailable, match=f"attempt {attempt}"):
            charge(provider, "tok_flaky")
    assert charge(provider, "tok_flaky").charge_id.startswith("ch_")
    assert len(provider.captures("k")) == 1


def test_a_slow_token_answers_only_after_the_deadline(provider):
    deadline = timezone.now() + timedelta(seconds=0.3)
    charge(provider, "tok_slow", pay_before=deadline)
    assert timezone.now() > deadline


def test_a_refund_with_the_same_key_is_made_once(provider):
    charged = charge(provider, "tok_ok")
    first = provider.refund(charge_id=charged.charge_id, amount=Decimal("10.00"), idempotency_key="r")
    assert provider.refund(charge_id=charged.charge_id, amount=Decimal("10.00"), idempotency_key="r") == first
    assert provider.refunded(charged.charge_id) == [Decimal("10.00")]


def test_during_an_outage_written_in_its_ledger_the_provider_answers_nothing_and_takes_nothing(provider):
    outages.begin(provider.ledger, 60)
    with pytest.raises(outages.Unreachable, match="payment provider"):
        charge(provider, "tok_ok")
    with pytest.raises(outages.Unreachable):
        provider.refund(charge_id="ch_1", amount=Decimal("1.00"), idempotency_key="r")


def test_an_outage_that_has_ended_changes_nothing(provider):
    outages.begin(provider.ledger, -1)
    charge(provider, "tok_ok")
    assert provider.captures("k") == [Decimal("10.00")]


def test_a_ledger_replaced_under_a_running_provider_is_the_one_it_writes_to(provider):
    """The bench and ``make chaos`` delete the ledgers between runs while processes keep their provider."""
    charge(provider, "tok_ok", key="before")
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{provider.ledger}{suffix}").unlink(missing_ok=True)
    charge(provider, "tok_ok", key="after")
    elsewhere = FakePaymentProvider(provider.ledger)
    assert elsewhere.captures("after") == [Decimal("10.00")]
    assert elsewhere.captures("before") == []


def test_the_ledger_is_written_ahead_so_a_commit_makes_and_syncs_no_journal_file(provider):
    charge(provider, "tok_ok")

    with closing(sqlite3.connect(provider.ledger)) as ledger:
        assert ledger.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert not Path(f"{provider.ledger}-journal").exists()
