"""OpenTelemetry baggage travels with an event and on through everything its handlers publish."""

import pytest
from opentelemetry import baggage, context

from eventbus.models import OutboxEvent
from eventbus.testing import run_pending
from orders.models import Order
from tests.saga.factories import place_order

pytestmark = pytest.mark.django_db


def test_baggage_set_where_an_order_is_placed_reaches_its_confirmation_three_hops_later():
    token = context.attach(baggage.set_baggage("tenant", "acme", context=baggage.set_baggage("plan", "gold")))
    try:
        order = place_order()
    finally:
        context.detach(token)
    run_pending()
    assert Order.objects.get(id=order.id).status == Order.Status.CONFIRMED
    hops = ["orders.OrderCreated", "payments.PaymentSucceeded", "shipping.ShipmentCreated", "orders.OrderConfirmed"]
    carried = dict(OutboxEvent.objects.filter(correlation_id=str(order.id)).values_list("type", "baggage"))
    for hop in hops:
        assert sorted(carried[hop].split(",")) == ["plan=gold", "tenant=acme"], hop


def test_an_event_published_without_baggage_carries_none():
    order = place_order()
    run_pending()
    assert set(OutboxEvent.objects.filter(correlation_id=str(order.id)).values_list("baggage", flat=True)) == {""}
