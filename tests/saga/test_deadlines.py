"""Every saga ends: a state that outlives its deadline is compensated, or handed to an operator."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from eventbus import operations
from eventbus.testing import run_pending
from orders import services as orders_services
from orders.models import Order
from payments.models import Payment
from shipping.carrier import FakeCarrier
from shipping.models import Shipment
from tests.saga.factories import place_order

pytestmark = pytest.mark.django_db
OPERATOR = operations.Operator("tests", via="cli", reason="the carrier is down")
Status = Order.Status


@pytest.fixture
def carrier_down(monkeypatch):
    """The carrier answers nothing but errors: book_shipment keeps failing until the deadline acts."""

    def unreachable(self, **kwargs):
        raise ConnectionError("carrier down")

    monkeypatch.setattr(FakeCarrier, "book", unreachable)
    return monkeypatch


def after(seconds: float):
    return timezone.now() + timedelta(seconds=seconds + 1)


def test_a_paid_order_the_carrier_never_books_is_cancelled_and_refunded_at_its_deadline(carrier_down, settings):
    order = place_order()
    run_pending()
    assert Order.objects.get(id=order.id).status == Status.PAID

    run_pending(now=after(settings.ORDERS_PAID_DEADLINE_SECONDS))

    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (Status.CANCELLED, "shipment_timeout")
    assert Payment.objects.get(order_id=order.id).status == Payment.Status.REFUNDED
    assert order.payment_status == "refunded"
    assert Shipment.objects.get(order_id=order.id).status == Shipment.Status.CANCELLED
    assert order.stalled_at is None


def test_the_operator_way_out_stalls_a_paid_order_and_a_booking_later_clears_it(carrier_down, settings):
    settings.ORDERS_PAID_DEADLINE_ACTION = "operator"
    order = place_order()
    run_pending()
    run_pending(now=after(settings.ORDERS_PAID_DEADLINE_SECONDS))

    order.refresh_from_db()
    assert (order.status, order.stalled_reason) == (Status.PAID, "not_booked_by_deadline")
    report = StringIO()
    call_command("stuck_sagas", stdout=report)
    assert str(order.id) in report.getvalue()
    assert "not_booked_by_deadline" in report.getvalue()

    carrier_down.undo()  # the carrier is back: the pending retry books the parcel
    run_pending(now=after(settings.ORDERS_PAID_DEADLINE_SECONDS + 600))
    order.refresh_from_db()
    assert (order.status, order.stalled_at, order.stalled_reason) == (Status.CONFIRMED, None, "")
    call_command("stuck_sagas", stdout=(report := StringIO()))
    assert report.getvalue().strip() == "No stuck sagas."


def test_a_cancellation_shipping_never_answers_is_handed_to_an_operator(settings):
    order = place_order()
    run_pending()
    operations.pause("shipping.answer_cancellation_request", by=OPERATOR)
    orders_services.order_cancel(order_id=order.id)
    run_pending(now=after(settings.ORDERS_CANCELLING_DEADLINE_SECONDS))

    order.refresh_from_db()
    assert (order.status, order.stalled_reason) == (Status.CONFIRMED, "cancellation_unanswered")

    operations.resume("shipping.answer_cancellation_request", by=OPERATOR)
    run_pending(now=after(settings.ORDERS_CANCELLING_DEADLINE_SECONDS))
    order.refresh_from_db()
    assert (order.status, order.cancel_reason, order.stalled_at) == (Status.CANCELLED, "customer_cancelled", None)


def test_a_deadline_that_finds_the_saga_moved_on_does_nothing(settings):
    order = place_order()
    run_pending()
    run_pending(now=after(max(settings.ORDERS_PAID_DEADLINE_SECONDS, settings.ORDERS_PAYMENT_DEADLINE_SECONDS)))
    order.refresh_from_db()
    assert (order.status, order.cancel_requested_at, order.stalled_at) == (Status.CONFIRMED, None, None)


def test_other_news_leaves_an_unanswered_cancellation_stalled(settings):
    """A late payment moves the order on, but shipping has still not answered: the operator must know."""
    order = place_order(token="tok_declined")
    operations.pause("payments.charge_order", by=OPERATOR)  # no payment news yet
    operations.pause("shipping.answer_cancellation_request", by=OPERATOR)
    run_pending(now=after(settings.ORDERS_PAYMENT_DEADLINE_SECONDS + settings.ORDERS_CANCELLING_DEADLINE_SECONDS))
    order.refresh_from_db()
    assert (order.status, order.stalled_reason) == (Status.PENDING, "cancellation_unanswered")

    orders_services.order_mark_paid(order_id=order.id, amount=order.total)  # the news arrives late
    order.refresh_from_db()
    assert (order.status, order.stalled_reason) == (Status.PAID, "cancellation_unanswered")
