"""Every path of the saga with real Celery workers, each ending with the DESIGN.md invariants."""

import pytest
from django.db import transaction

from chaos.invariants import TERMINAL
from eventbus.testing import wait_until
from orders import services as orders_services
from orders.models import Order
from payments.models import Payment
from shipping import services as shipping_services
from shipping.models import Shipment
from tests.saga.factories import place_order

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True, databases=["default", "payments"])]
Status = Order.Status


def settled(saga, order: Order, *statuses: str) -> Order:
    """Wait until the order reaches one of ``statuses`` and the bus has nothing left to do for it."""

    def done() -> Order | None:
        # Idle first: once nothing is left to do, the order read next is its final state.
        if not saga.idle(str(order.id)):
            return None
        current = Order.objects.get(id=order.id)
        return current if current.status in statuses else None

    return wait_until(done, timeout=60, what=f"order {order.id} to become {statuses}")


def test_happy_path_ends_confirmed(saga):
    order = settled(saga, place_order(token="tok_ok"), Status.CONFIRMED)
    assert Payment.objects.get(order_id=order.id).status == Payment.Status.CAPTURED
    assert Shipment.objects.get(order_id=order.id).status == Shipment.Status.BOOKED
    saga.assert_invariants()


def test_a_flaky_provider_is_retried_and_charges_once(saga):
    settled(saga, place_order(token="tok_flaky"), Status.CONFIRMED)
    saga.assert_invariants()


def test_a_declined_payment_cancels_the_order(saga):
    order = settled(saga, place_order(token="tok_declined"), Status.CANCELLED)
    assert order.cancel_reason == "payment_declined"
    assert not Shipment.objects.filter(order_id=order.id, status=Shipment.Status.BOOKED).exists()
    saga.assert_invariants()


def test_a_shipping_failure_refunds_and_cancels(saga):
    order = settled(saga, place_order(country="AQ"), Status.CANCELLED)
    assert order.cancel_reason == "shipping_failed"
    assert Payment.objects.get(order_id=order.id).status == Payment.Status.REFUNDED
    saga.assert_invariants()


def test_a_customer_cancels_a_confirmed_order_before_dispatch(saga):
    order = settled(saga, place_order(), Status.CONFIRMED)
    orders_services.order_cancel(order_id=order.id)
    order = settled(saga, order, Status.CANCELLED)
    assert order.cancel_reason == "customer_cancelled"
    assert Payment.objects.get(order_id=order.id).status == Payment.Status.REFUNDED
    assert Shipment.objects.get(order_id=order.id).status == Shipment.Status.CANCELLED
    saga.assert_invariants()


def test_cancelling_after_dispatch_is_refused_and_changes_nothing(saga):
    order = settled(saga, place_order(), Status.CONFIRMED)
    shipping_services.shipment_dispatch(order_id=order.id)
    order = settled(saga, order, Status.SHIPPED)
    with pytest.raises(orders_services.OrderCannotBeCancelled, match="already_dispatched"):
        orders_services.order_cancel(order_id=order.id)
    assert Order.objects.get(id=order.id).status == Status.SHIPPED
    saga.assert_invariants()


def test_a_cancel_racing_a_dispatch_is_refused_by_shipping(saga):
    order = place_order()
    order = settled(saga, order, Status.CONFIRMED)
    with transaction.atomic():
        shipping_services.shipment_dispatch(order_id=order.id)
        orders_services.order_cancel(order_id=order.id)
    order = settled(saga, order, Status.SHIPPED)
    assert order.cancel_refused_reason == "already_dispatched"
    assert Payment.objects.get(order_id=order.id).status == Payment.Status.CAPTURED
    saga.assert_invariants()


def test_an_order_unpaid_at_its_deadline_is_cancelled_and_a_late_payment_refunded(saga, settings):
    settings.ORDERS_PAYMENT_DEADLINE_SECONDS = 1.5
    order = settled(saga, place_order(token="tok_slow"), Status.CANCELLED)
    assert order.cancel_reason == "payment_timeout"
    wait_until(
        lambda: Payment.objects.filter(order_id=order.id, status=Payment.Status.REFUNDED).exists(),
        what="the late payment refunded",
    )
    settled(saga, order, Status.CANCELLED)
    saga.assert_invariants()


def test_every_order_of_a_mixed_batch_ends_terminal(saga):
    orders = [place_order(token=t, country=c) for t in ("tok_ok", "tok_declined", "tok_flaky") for c in ("DE", "AQ")]
    for order in orders:
        settled(saga, order, *TERMINAL)
    saga.assert_invariants()
