"""Shipments: booked once paid, never after a cancellation, a customer's request answered once."""

from uuid import uuid4

import pytest
from django.db import transaction

from eventbus import RetryAfter
from eventbus.models import OutboxEvent
from eventbus.testing import capture_published
from shipping import services
from shipping.carrier import carrier
from shipping.models import Shipment

pytestmark = pytest.mark.django_db
Status = Shipment.Status
ADDRESS = {"name": "A", "line1": "B", "city": "C", "postal_code": "D", "country": "DE"}


def booked(order_id) -> Shipment:
    services.shipment_prepare(order_id=order_id, customer_id=1, address=ADDRESS)
    return services.shipment_book(order_id=order_id)


def test_payment_news_before_the_address_is_retried():
    with pytest.raises(services.ShipmentNotReady):
        services.shipment_book(order_id=uuid4())


def test_a_paid_order_is_booked_once():
    order_id = uuid4()
    with capture_published() as published:
        booked(order_id)
        services.shipment_book(order_id=order_id)
    assert Shipment.objects.get(order_id=order_id).status == Status.BOOKED
    assert published.types() == ["shipping.ShipmentCreated"]


def test_an_unserved_destination_fails_the_shipment():
    order_id = uuid4()
    services.shipment_prepare(order_id=order_id, customer_id=1, address={**ADDRESS, "country": "AQ"})
    with capture_published() as published:
        services.shipment_book(order_id=order_id)
    assert Shipment.objects.get(order_id=order_id).status == Status.FAILED
    assert published.types() == ["shipping.ShipmentFailed"]


def test_a_cancellation_before_the_order_arrives_means_it_is_never_booked():
    order_id = uuid4()
    services.shipment_cancel(order_id=order_id, answering_request=False)
    with capture_published() as published:
        booked(order_id)
    assert Shipment.objects.get(order_id=order_id).status == Status.CANCELLED
    assert published == []


def test_a_customer_request_is_answered_once():
    order_id = uuid4()
    booked(order_id)
    with capture_published() as published:
        services.shipment_cancel(order_id=order_id, answering_request=True)
        services.shipment_cancel(order_id=order_id, answering_request=True)
        services.shipment_cancel(order_id=order_id, answering_request=False)
    assert Shipment.objects.get(order_id=order_id).status == Status.CANCELLED
    assert published.types() == ["shipping.ShipmentCancelled"]


def test_a_request_after_dispatch_is_refused():
    order_id = uuid4()
    booked(order_id)
    services.shipment_dispatch(order_id=order_id)
    with capture_published() as published:
        services.shipment_cancel(order_id=order_id, answering_request=True)
    assert Shipment.objects.get(order_id=order_id).status == Status.DISPATCHED
    assert published.types() == ["shipping.ShipmentCancellationRefused"]
    with pytest.raises(services.ShipmentNotDispatchable):
        services.shipment_dispatch(order_id=order_id)


def test_a_parcel_booked_while_the_carrier_was_asked_to_cancel_is_asked_again():
    order_id = uuid4()
    services.shipment_prepare(order_id=order_id, customer_id=1, address=ADDRESS)
    asked_before_booking = services.shipment_call_carrier_to_cancel(order_id=order_id)
    assert asked_before_booking is None  # nothing booked yet: nothing to ask the carrier
    services.shipment_book(order_id=order_id)
    published_before = OutboxEvent.objects.count()
    with pytest.raises(RetryAfter), transaction.atomic():  # as the bus runs a handler, in a transaction
        services.shipment_record_cancellation(order_id=order_id, answering_request=True, answer=asked_before_booking)
    assert Shipment.objects.get(order_id=order_id).status == Status.BOOKED
    assert OutboxEvent.objects.count() == published_before
    asked_again = services.shipment_call_carrier_to_cancel(order_id=order_id)
    services.shipment_record_cancellation(order_id=order_id, answering_request=True, answer=asked_again)
    shipment = Shipment.objects.get(order_id=order_id)
    assert shipment.status == Status.CANCELLED
    assert carrier().bookings(services.booking_key(order_id)) == []


def test_the_carriers_refusal_decides_a_cancellation_that_raced_a_dispatch():
    order_id = uuid4()
    booked(order_id)
    carrier().dispatch(reference=Shipment.objects.get(order_id=order_id).carrier_reference)
    answer = services.shipment_call_carrier_to_cancel(order_id=order_id)
    assert answer is not None
    assert answer.dispatched
    with capture_published() as published:
        services.shipment_record_cancellation(order_id=order_id, answering_request=True, answer=answer)
    assert Shipment.objects.get(order_id=order_id).status == Status.DISPATCHED
    assert published.types() == ["shipping.ShipmentDispatched", "shipping.ShipmentCancellationRefused"]
