"""Order commands change the order and publish what happened, in one transaction."""

from decimal import Decimal

import pytest
from django.db import transaction

from eventbus.models import OutboxEvent
from eventbus.testing import capture_published
from orders import events, services
from orders.models import Order
from tests.saga.factories import customer, place_order

pytestmark = pytest.mark.django_db
Status = Order.Status


def test_placing_an_order_publishes_it_and_schedules_its_payment_deadline():
    with capture_published() as published:
        order = place_order()
    assert order.status == Status.PENDING
    assert order.total == Decimal("19.80")
    assert published.types() == ["orders.OrderCreated", "orders.PaymentDeadlineReached"]
    [created] = published.of(events.OrderCreated)
    assert (created.order_id, created.total, created.currency) == (order.id, Decimal("19.80"), "EUR")
    assert all(envelope.subject == str(order.id) for envelope in published)


def test_an_order_without_lines_is_refused():
    with pytest.raises(ValueError, match="at least one line"):
        services.order_place(
            customer=customer(),
            currency="EUR",
            lines=[],
            shipping_address=events.ShippingAddress(name="A", line1="B", city="C", postal_code="D", country="DE"),
            payment_token="tok_ok",
        )


def test_an_order_that_cannot_be_priced_is_refused_before_anything_is_written_and_leaves_the_caller_working():
    buyer = customer()
    address = events.ShippingAddress(name="A", line1="B", city="C", postal_code="D", country="DE")
    with transaction.atomic():  # the API places an order inside a transaction of its own
        with pytest.raises(services.LinesNotPriced):
            services.order_place(
                customer=buyer, lines=[services.Wanted("NO-SUCH-SKU", 1)], shipping_address=address, payment_token="t"
            )
        assert Order.objects.count() == 0  # the caller's transaction still answers

    assert not OutboxEvent.objects.exists()


def test_a_customer_cancellation_is_a_request_to_shipping_first():
    order = place_order()
    with capture_published() as published:
        services.order_cancel(order_id=order.id)
    order.refresh_from_db()
    assert order.status == Status.PENDING
    assert order.cancel_requested_at is not None
    assert published.types() == ["orders.OrderCancellationRequested", "orders.CancellationDeadlineReached"]


def test_asking_twice_publishes_one_request():
    order = place_order()
    services.order_cancel(order_id=order.id)
    with capture_published() as published:
        services.order_cancel(order_id=order.id)
    assert published == []


@pytest.mark.parametrize(
    ("status", "reason"), [(Status.SHIPPED, "already_dispatched"), (Status.CANCELLED, "already_cancelled")]
)
def test_cancelling_too_late_is_refused_and_changes_nothing(status, reason):
    order = place_order()
    Order.objects.filter(id=order.id).update(status=status)
    with capture_published() as published, pytest.raises(services.OrderCannotBeCancelled, match=reason):
        services.order_cancel(order_id=order.id)
    assert published == []
    assert Order.objects.get(id=order.id).cancel_requested_at is None


def test_an_unpaid_cancellation_only_touches_pending_orders():
    order = place_order()
    Order.objects.filter(id=order.id).update(status=Status.CONFIRMED)
    with capture_published() as published:
        services.order_cancel_unpaid(order_id=order.id, reason="payment_declined")
        services.order_cancel_at_deadline(order_id=order.id)
    assert Order.objects.get(id=order.id).status == Status.CONFIRMED
    assert published == []


def test_the_deadline_asks_shipping_before_it_cancels():
    order = place_order()
    with capture_published() as published:
        services.order_cancel_at_deadline(order_id=order.id)
    assert published.types() == ["orders.OrderCancellationRequested", "orders.CancellationDeadlineReached"]
    services.order_cancel_requested(order_id=order.id)
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (Status.CANCELLED, "payment_timeout")


def test_a_customer_request_already_on_its_way_keeps_its_reason():
    order = place_order()
    services.order_cancel(order_id=order.id)
    with capture_published() as published:
        services.order_cancel_at_deadline(order_id=order.id)
    assert published == []
    services.order_cancel_requested(order_id=order.id)
    assert Order.objects.get(id=order.id).cancel_reason == "customer_cancelled"


def test_confirming_publishes_once():
    order = place_order()
    with capture_published() as published:
        services.order_confirm(order_id=order.id, carrier_reference="CR-1")
        services.order_confirm(order_id=order.id, carrier_reference="CR-1")
    assert published.types() == ["orders.OrderConfirmed"]


def test_an_order_keeps_the_latest_payment_and_shipment_news_even_out_of_order():
    order = place_order()
    services.order_cancel_refunded(order_id=order.id, reason="shipping_failed", amount=Decimal("19.80"))
    services.order_mark_paid(order_id=order.id, amount=Decimal("19.80"))
    services.order_note_shipment_failed(order_id=order.id)
    order.refresh_from_db()
    assert (order.payment_status, order.amount_paid, order.amount_refunded) == (
        "refunded",
        Decimal("19.80"),
        Decimal("19.80"),
    )
    assert order.shipment_status == "failed"


def test_payment_and_shipment_news_advance_step_by_step():
    order = place_order()
    services.order_mark_paid(order_id=order.id, amount=Decimal("19.80"))
    services.order_confirm(order_id=order.id, carrier_reference="CR-7")
    services.order_mark_shipped(order_id=order.id)
    order.refresh_from_db()
    assert (order.status, order.payment_status, order.amount_paid) == (Status.SHIPPED, "captured", Decimal("19.80"))
    assert (order.shipment_status, order.carrier_reference) == ("dispatched", "CR-7")
