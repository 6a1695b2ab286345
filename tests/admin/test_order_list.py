"""The order list: a "needs attention" column and filter, payment and shipment columns, in bounded queries."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from eventbus import PermanentError, operations
from eventbus.models import Delivery
from eventbus.testing import run_pending
from orders import stuck
from orders.models import Order
from shipping.carrier import FakeCarrier
from tests.saga.factories import place_order

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:orders_order_changelist"


@pytest.fixture
def refusing_carrier(monkeypatch):
    """While on, the carrier refuses parcels for good (book_shipment dead at once); ``.undo()`` ends it."""

    def refuse(self, **kwargs):
        raise PermanentError("carrier refuses the parcel")

    monkeypatch.setattr(FakeCarrier, "book", refuse)
    return monkeypatch


def row(page: str, order: Order) -> str:
    """The order's row of the result list."""
    found = re.search(rf"<tr>(?:(?!</tr>).)*{order.id}(?:(?!</tr>).)*</tr>", page, re.S)
    assert found, f"order {order.id} is not listed"
    return found.group(0)


def listed(client, **params: str) -> str:
    response = client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    return response.content.decode()


def test_a_dead_booking_is_flagged_with_its_reason_and_a_link_to_the_delivery(admin_client, refusing_carrier):
    order = place_order()
    run_pending()
    dead = Delivery.objects.get(subscriber="shipping.book_shipment")

    shown = row(listed(admin_client), order)

    assert 'class="attention attention-dead"' in shown
    assert reverse("admin:eventbus_delivery_change", args=[dead.id]) in shown
    assert ">shipping.<wbr>book_shipment dead<" in shown  # the reason, in short, wrapping after its dot
    assert 'title="shipping.book_shipment dead after 1 attempt(s) on payments.PaymentSucceeded' in shown
    assert "captured" in shown  # the payment column
    assert "19.80 EUR" in shown
    assert "none yet" in shown  # the shipment column


def test_payment_and_shipment_columns_say_what_the_order_heard(admin_client, compensated_order):
    unpaid = place_order(who="unpaid")
    assert "none yet" in row(listed(admin_client), unpaid)
    assert "paid 0.00 of 19.80 EUR" in row(listed(admin_client), unpaid)
    shown = row(listed(admin_client), compensated_order)
    assert "refunded" in shown
    assert "19.80 EUR" in shown
    assert "refunded 19.80" in shown
    assert ">failed<" in shown  # shipment failed
    assert "shipping_failed" in shown  # the cancel reason beside the status
    cell = re.search(r'<span class="order-id"[^>]*>(.*?)</span></span>', shown)
    assert cell, "no order id"
    assert re.sub(r"<[^>]+>", "", cell.group(1)) == str(compensated_order.id)  # whole, in two lines


def test_the_filter_finds_dead_retrying_stalled_and_stuck_orders(admin_client, refusing_carrier, settings):
    dead = place_order(who="dead")
    run_pending()
    refusing_carrier.undo()
    fine = place_order(who="fine")
    run_pending()
    stalled, retrying = place_order(who="stalled"), place_order(who="retrying")
    run_pending()
    Order.objects.filter(id=stalled.id).update(stalled_at=stalled.created_at, stalled_reason="cancellation_unanswered")
    Delivery.objects.filter(event__correlation_id=str(retrying.id), subscriber="shipping.book_shipment").update(
        state="pending", last_error="ConnectionError: carrier down", attempts=3
    )

    def ids(attention: str) -> set[str]:
        page = listed(admin_client, attention=attention)
        orders = {"dead": dead, "fine": fine, "stalled": stalled, "retrying": retrying}
        return {who for who, order in orders.items() if str(order.id) in page}

    assert ids("dead") == {"dead"}
    assert ids("stalled") == {"stalled"}
    assert ids("retrying") == {"retrying"}
    assert ids("stuck") == {"dead", "stalled"}
    page = listed(admin_client)
    assert 'class="attention attention-retrying"' in row(page, retrying)
    assert ">shipping.<wbr>book_shipment retrying: attempt 4 of 20, due now<" in row(page, retrying)
    assert 'class="attention attention-stalled"' in row(page, stalled)
    assert "attention-" not in row(page, fine)
    assert 'id="stuck-sagas-link"' in page
    assert "Stuck sagas: 2" in page


def test_the_list_costs_the_same_number_of_queries_whatever_its_length(admin_client, refusing_carrier):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            listed(admin_client)
        return len(captured.captured_queries)

    for who in ("a", "b"):
        place_order(who=who)
    run_pending()
    few = queries()
    for who in ("c", "d", "e", "f", "g", "h"):
        place_order(who=who)
    run_pending()
    Order.objects.filter(customer__username="c").update(stalled_at=Order.objects.first().created_at)
    assert Order.objects.count() == 8
    assert Delivery.objects.filter(state="dead").count() == 8

    assert queries() == few


def test_the_stuck_filter_assesses_the_sagas_once_for_the_button_and_the_list(admin_client, refusing_carrier):
    def queries(**params: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            listed(admin_client, **params)
        return len(captured.captured_queries)

    place_order()
    run_pending()
    assert queries(attention="stuck") == queries()  # the filter reuses the button's assessment


def test_the_button_says_when_the_read_was_cut_short(admin_client, refusing_carrier, monkeypatch):
    for who in ("a", "b"):
        place_order(who=who)
    run_pending()
    assert "Stuck sagas: 2<" in listed(admin_client)

    monkeypatch.setattr(stuck, "READ_AT_MOST", 1)
    assert "Stuck sagas: 1+<" in listed(admin_client)
    assert "Stuck sagas: 1+<" in listed(admin_client, attention="stuck")


def test_a_dead_letter_an_operator_retried_is_not_retrying(admin_client, refusing_carrier):
    order = place_order()
    run_pending()
    operations.retry(Delivery.objects.filter(state="dead"), by=operations.Operator("tests", via="cli"))
    assert Delivery.objects.get(subscriber="shipping.book_shipment").last_error  # kept, attempts back to 0

    assert "attention-" not in row(listed(admin_client), order)
    assert str(order.id) not in listed(admin_client, attention="retrying")


def test_placed_is_shown_in_the_sites_time_zone(admin_client, settings):
    settings.TIME_ZONE = "Pacific/Kiritimati"  # UTC+14: 12:30 UTC is 02:30 the next day
    order = place_order()
    Order.objects.filter(id=order.id).update(created_at=datetime(2026, 3, 1, 12, 30, tzinfo=UTC))

    shown = row(listed(admin_client), order)

    assert '<span class="placed">2026-03-02</span><span class="quiet">02:30:00</span>' in shown
