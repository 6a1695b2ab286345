"""The saga under the fault kit: each fault, and still every effect once and every saga ended."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chaos.invariants import TERMINAL, assert_saga_invariants
from eventbus.models import Delivery
from eventbus.testing import run_pending
from eventbus.testing.faults import crashing_before_commit, failing, run_newest_first, run_twice, timing_out
from orders import services as orders_services
from orders.models import Order
from payments.gateway import gateway
from payments.services import charge_key
from tests.saga.factories import place_order

pytestmark = pytest.mark.django_db
Status = Order.Status


def run_past_retries(seconds: int = 120) -> None:
    """Handle everything, stepping the clock so every retry's backoff has passed (deadlines have not)."""
    start = timezone.now()
    for step in range(0, seconds, 5):
        run_pending(now=start + timedelta(seconds=step))


def mixed_batch() -> list[Order]:
    return [place_order(token=t, country=c) for t in ("tok_ok", "tok_declined", "tok_flaky") for c in ("DE", "AQ")]


def test_every_delivery_handled_twice_leaves_every_effect_once():
    orders = mixed_batch()
    run_past_retries()
    orders_services.order_cancel(order_id=orders[0].id)
    done_before = Delivery.objects.filter(state=Delivery.State.DONE).count()
    handled = run_twice()
    assert handled >= done_before  # every finished delivery really ran a second time
    run_past_retries()
    assert {Order.objects.get(id=order.id).status for order in orders} <= TERMINAL
    assert_saga_invariants()


def test_deliveries_handled_newest_first_still_end_every_saga():
    orders = mixed_batch()
    run_newest_first()
    first = Delivery.objects.select_related("event").order_by("started_at", "id").first()
    assert first is not None
    assert first.event.correlation_id == str(orders[-1].id)  # the last order placed went first
    run_past_retries()
    assert {Order.objects.get(id=order.id).status for order in orders} <= TERMINAL
    assert_saga_invariants()


@pytest.mark.parametrize("fault", [crashing_before_commit, timing_out], ids=["dies-before-commit", "times-out"])
def test_a_charge_whose_first_attempt_is_lost_after_the_provider_call_is_charged_once(fault):
    with fault("payments.charge_order") as attempts:
        order = place_order()
        run_past_retries()
    assert attempts == [1, 2]
    assert Order.objects.get(id=order.id).status == Status.CONFIRMED
    assert len(gateway().captures(charge_key(order.id))) == 1
    assert_saga_invariants()


def test_a_booking_that_fails_three_times_then_succeeds_confirms_the_order():
    with failing("shipping.book_shipment", times=3) as attempts:
        order = place_order()
        run_past_retries()
    assert attempts == [1, 2, 3, 4]  # three failed, the fourth booked
    assert Order.objects.get(id=order.id).status == Status.CONFIRMED
    assert_saga_invariants()
