"""Races the design must win: a cancel right after create, with two workers on the bus."""

import pytest

from chaos.invariants import assert_saga_invariants
from eventbus.testing import is_idle, wait_until
from orders import services as orders_services
from orders.models import Order
from payments.models import Payment
from tests.saga.factories import place_order

pytestmark = pytest.mark.workers


def all_settled() -> bool:
    return not Order.objects.exclude(status=Order.Status.CANCELLED).exists() and is_idle()


def test_cancel_right_after_create_never_leaves_money_captured(start_worker):
    start_worker(concurrency=1)
    start_worker(concurrency=1)
    for _ in range(200):
        order = place_order()
        orders_services.order_cancel(order_id=order.id)
    wait_until(all_settled, timeout=240, what="200 cancelled orders with nothing left to deliver")
    assert Order.objects.filter(status=Order.Status.CANCELLED, cancel_reason="customer_cancelled").count() == 200
    assert not Payment.objects.filter(status=Payment.Status.CAPTURED).exists()
    assert_saga_invariants()
