"""The fake carrier: unserved countries refused, cancellable until dispatched, bookings idempotent."""

import pytest

from common import outages
from shipping.carrier import AlreadyDispatched, FakeCarrier, NotServed


@pytest.fixture
def carrier(tmp_path) -> FakeCarrier:
    return FakeCarrier(tmp_path / "ledger.sqlite3", frozenset({"AQ"}))


def test_an_unserved_country_is_refused(carrier):
    with pytest.raises(NotServed, match="AQ"):
        carrier.book(country="AQ", idempotency_key="k")


def test_booking_twice_with_one_key_books_once(carrier):
    assert carrier.book(country="DE", idempotency_key="k") == carrier.book(country="DE", idempotency_key="k")
    assert carrier.bookings("k") == ["booked"]


def test_a_booking_can_be_cancelled_until_it_is_dispatched(carrier):
    cancelled = carrier.book(country="DE", idempotency_key="a")
    carrier.cancel(reference=cancelled)
    assert carrier.bookings("a") == []
    dispatched = carrier.book(country="DE", idempotency_key="b")
    carrier.dispatch(reference=dispatched)
    with pytest.raises(AlreadyDispatched):
        carrier.cancel(reference=dispatched)
    assert carrier.bookings("b") == ["dispatched"]


def test_during_an_outage_written_in_its_ledger_the_carrier_books_nothing(carrier):
    outages.begin(carrier.ledger, 60)
    with pytest.raises(outages.Unreachable, match="carrier"):
        carrier.book(country="DE", idempotency_key="k")
    outages.begin(carrier.ledger, -60)  # a later, already ended outage does not end the first early
    with pytest.raises(outages.Unreachable):
        carrier.book(country="DE", idempotency_key="k")
