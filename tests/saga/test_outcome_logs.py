"""Each context logs its business outcomes at INFO, one line each, naming the order and nothing sensitive."""

import logging

import pytest

from eventbus.testing import run_pending
from orders.models import Order
from shipping import services as shipping_services
from shipping.models import Shipment
from tests.saga.factories import place_order

pytestmark = pytest.mark.django_db
CONTEXTS = ("orders", "payments", "shipping")


def outcomes(caplog: pytest.LogCaptureFixture, order: Order) -> list[str]:
    """The contexts' INFO lines about ``order``, in the order they were logged."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.split(".")[0] in CONTEXTS
        and record.levelno == logging.INFO
        and str(order.id) in record.getMessage()
    ]


def test_an_unserved_country_logs_each_step_down_to_the_cancellation(caplog):
    with caplog.at_level(logging.INFO):
        order = place_order(token="tok_ok", country="AQ")
        run_pending()

    lines = outcomes(caplog, order)

    captured = Order.objects.get(id=order.id).amount_paid
    assert lines[0].startswith(f"payment for order {order.id} captured: {captured} EUR (charge ")
    assert lines[1:] == [
        f"shipment for order {order.id} failed: destination_not_served",
        f"payment for order {order.id} refunded: {captured} EUR (shipping_failed)",
        f"order {order.id} cancelled: shipping_failed",
    ]
    for sensitive in ("tok_ok", "Main St", "Berlin", "10115"):
        assert sensitive not in caplog.text


def test_the_happy_path_logs_its_booking_confirmation_and_dispatch(caplog):
    with caplog.at_level(logging.INFO):
        order = place_order(token="tok_ok")
        run_pending()
        shipping_services.shipment_dispatch(order_id=order.id)

    reference = Shipment.objects.get(order_id=order.id).carrier_reference
    lines = outcomes(caplog, order)
    assert f"shipment for order {order.id} booked: {reference}" in lines
    assert f"order {order.id} confirmed" in lines
    assert lines[-1] == f"shipment for order {order.id} dispatched: {reference}"


def test_a_declined_card_logs_the_failed_payment_and_the_cancellations(caplog):
    with caplog.at_level(logging.INFO):
        order = place_order(token="tok_declined")
        run_pending()

    assert outcomes(caplog, order) == [
        f"payment for order {order.id} failed: card declined",
        f"order {order.id} cancelled: payment_declined",
        f"shipment for order {order.id} cancelled",
    ]
