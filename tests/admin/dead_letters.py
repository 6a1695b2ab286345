"""Orders whose saga stopped on a dead letter, for the dead-letter admin tests (in the test client and Chromium)."""

from __future__ import annotations

from django.utils import timezone

from eventbus.models import Delivery, Subscription
from eventbus.testing import run_pending
from orders.models import Order
from tests.saga.factories import place_order

BOOKING = "shipping.book_shipment"


def stuck_at_booking(error: str = "CarrierDown: carrier timed out after 30 s") -> tuple[Order, Delivery]:
    """An order paid, whose shipment booking died with ``error``: nothing after it has run."""
    subscription = Subscription.objects.get(id=BOOKING)
    Subscription.objects.filter(id=BOOKING).update(paused_at=timezone.now())
    order = place_order()
    run_pending()
    Subscription.objects.filter(id=BOOKING).update(paused_at=subscription.paused_at)
    booking = Delivery.objects.get(subscriber=BOOKING, key=str(order.id))
    Delivery.objects.filter(id=booking.id).update(
        state=Delivery.State.DEAD, last_error=error, attempts=subscription.max_attempts, finished_at=timezone.now()
    )
    booking.refresh_from_db()
    order.refresh_from_db()
    assert order.status == "paid"
    return order, booking
