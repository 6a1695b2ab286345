"""The top of the order page: the order's status and reason in words, its saga's time, what needs attention;
and the saga's picture and table on the page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from eventbus import saga_health, timeline
from eventbus.models import DeliveryAttempt
from eventbus.operations.story import DeadLetter, Retrying, SagaHealth
from eventbus.testing import run_pending
from orders.models import Order
from orders.saga_summary import summarize
from tests.saga.factories import place_order

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
NOW = T0 + timedelta(seconds=10)
Status = Order.Status


def healthy(open: int = 0) -> SagaHealth:
    return SagaHealth(dead=(), retrying=(), open=open, started_at=T0, ended_at=T0 + timedelta(milliseconds=42))


def order(**fields) -> Order:
    return Order(currency="EUR", total=Decimal("19.80"), amount_paid=Decimal("19.80"), **fields)


@pytest.mark.parametrize(
    ("fields", "headline"),
    [
        ({"status": Status.CONFIRMED, "carrier_reference": "CR-1"}, "Confirmed — booked (CR-1), waiting for the"),
        ({"status": Status.CANCELLED, "cancel_reason": "payment_declined"}, "Cancelled: the card was declined"),
        (
            {"status": Status.CANCELLED, "cancel_reason": "shipping_failed", "amount_refunded": Decimal("19.80")},
            "Cancelled: shipping could not book it, and the payment was refunded",
        ),
        (
            {"status": Status.CANCELLED, "cancel_reason": "customer_cancelled", "amount_refunded": Decimal("19.80")},
            "Cancelled: the customer asked (19.80 EUR refunded)",
        ),
        ({"status": Status.CANCELLED, "cancel_reason": "payment_timeout"}, "Cancelled: no payment came before the"),
        ({"status": Status.CANCELLED, "cancel_reason": "shipment_timeout"}, "Cancelled: it was paid but never booked"),
        (
            {"status": Status.SHIPPED, "cancel_refused_reason": "already_dispatched"},
            "Shipped; a cancellation was refused: the parcel had already left",
        ),
        ({"status": Status.PENDING}, "Pending — waiting for the payment"),
        ({"status": Status.PAID}, "Paid (19.80 EUR) — waiting for the shipment booking"),
        (
            {"status": Status.PAID, "stalled_at": T0, "stalled_reason": "not_booked_by_deadline"},
            "Paid (19.80 EUR) — waiting for the shipment booking. Stalled: paid but not booked by its deadline",
        ),
        (
            {
                "status": Status.CONFIRMED,
                "cancel_requested_at": T0,
                "cancel_requested_reason": "customer_cancelled",
                "stalled_at": T0,
                "stalled_reason": "cancellation_unanswered",
            },
            "Confirmed — cancellation asked (customer_cancelled), waiting for shipping's answer. Stalled: shipping",
        ),
    ],
)
def test_each_saga_path_ends_in_words(fields, headline):
    summary = summarize(order(**fields), healthy(), now=NOW)
    assert summary.headline.startswith(headline)
    assert summary.took == "42 ms"
    expected_tone = "error" if fields.get("stalled_at") else "ok"
    assert summary.tone == expected_tone
    if expected_tone == "ok":
        assert [badge.text for badge in summary.badges] == ["nothing waiting on the bus"]


def test_a_step_the_order_waits_on_that_is_dead_or_retrying_is_named_in_the_headline():
    dead = DeadLetter("shipping.book_shipment", "payments.PaymentSucceeded", 7, 20, "CarrierDown: 503", "")
    health = SagaHealth(dead=(dead,), retrying=(), open=0, started_at=T0, ended_at=T0)
    summary = summarize(order(status=Status.PAID), health, now=NOW)
    assert summary.headline == "Paid (19.80 EUR) — waiting for the shipment booking, which is dead-lettered"
    assert summary.tone == "error"
    [badge] = summary.badges
    assert (badge.text, badge.tone) == ("dead letter: shipping.book_shipment", "error")
    assert "CarrierDown: 503" in badge.title

    retrying = Retrying("payments.charge_order", "orders.OrderCreated", 7, 20, NOW + timedelta(seconds=4), "Timeout")
    health = SagaHealth(dead=(), retrying=(retrying,), open=1, started_at=T0, ended_at=T0)
    summary = summarize(order(status=Status.PENDING), health, now=NOW)
    assert summary.headline == "Pending — waiting for the payment, which is retrying: attempt 7 of 20, next in 4.0 s"
    assert summary.tone == "warning"
    assert [badge.text for badge in summary.badges] == [
        "payments.charge_order retrying: attempt 7 of 20, next in 4.0 s"
    ]


@pytest.mark.django_db
def test_a_declined_order_summed_up_from_its_real_saga():
    placed = place_order(token="tok_declined")
    run_pending()
    placed.refresh_from_db()
    summary = summarize(placed, saga_health(timeline(str(placed.id))), now=timezone.now())
    assert summary.headline == "Cancelled: the card was declined"
    assert summary.took.endswith(("ms", "s"))
    assert [badge.tone for badge in summary.badges] == ["ok"]


@pytest.mark.django_db
def test_a_flaky_payment_shows_as_retrying_then_recovered(admin_client):
    placed = place_order(token="tok_flaky")
    run_pending()
    placed.refresh_from_db()
    summary = summarize(placed, saga_health(timeline(str(placed.id))), now=timezone.now())
    # its first retry may already have run, or be due already (its backoff is milliseconds): attempt 2 or 3 is next
    assert re.fullmatch(
        r"Pending — waiting for the payment, which is retrying: attempt [23] of 10, (next in .+|due now)",
        summary.headline,
    )

    for step in range(1, 8):
        run_pending(now=timezone.now() + timedelta(seconds=30 * step))
    page = admin_client.get(reverse("admin:orders_order_change", args=[placed.id])).content.decode()
    assert 'id="saga-summary"' in page
    assert "Confirmed — booked" in page
    assert page.index('id="saga-chart"') < page.index('class="form-row'), "the picture comes before the fields"
    charge = DeliveryAttempt.objects.filter(delivery__subscriber="payments.charge_order")
    assert [a.outcome for a in charge.order_by("id")] == ["failed", "failed", "done"]
    assert page.count('class="bar failed"') >= 2
    assert "recovered after 2 failed attempts" in page
    assert 'class="current-error"' not in page
    assert f'title="{placed.id}"' not in page  # the order id is the correlation id, not an event id
    event_id = str(timeline(str(placed.id))[0].id)
    assert f'<span class="short-id" title="{event_id}">{event_id[-8:]}</span>' in page
