"""What the shipping context reacts to: an order's address, its payment, its cancellation."""

from eventbus import Backoff, subscribe
from orders import events as orders_events
from payments import events as payments_events

from . import events, services


def call_carrier(event: payments_events.PaymentSucceeded) -> services.CarrierAnswer | None:
    """Before the booking's transaction: the carrier call, with the order's idempotency key."""
    return services.shipment_call_carrier(order_id=event.order_id)


def cancel_at_carrier(
    event: orders_events.OrderCancelled | orders_events.OrderCancellationRequested,
) -> services.CarrierCancellation | None:
    """Before the cancellation's transaction: cancel a booked parcel at the carrier, or learn it has left."""
    return services.shipment_call_carrier_to_cancel(order_id=event.order_id)


@subscribe(orders_events.OrderCreated)
def prepare_shipment(event: orders_events.OrderCreated) -> None:
    services.shipment_prepare(
        order_id=event.order_id, customer_id=event.customer_id, address=event.shipping_address.model_dump()
    )


@subscribe(
    payments_events.PaymentSucceeded,
    publishes=[events.ShipmentCreated, events.ShipmentFailed],
    max_attempts=20,
    backoff=Backoff(base_seconds=0.1, max_seconds=5),
    prepare=call_carrier,
)
def book_shipment(event: payments_events.PaymentSucceeded, answer: services.CarrierAnswer | None) -> None:
    services.shipment_record_booking(order_id=event.order_id, answer=answer)


@subscribe(
    orders_events.OrderCancellationRequested,
    publishes=[events.ShipmentCancelled, events.ShipmentCancellationRefused, events.ShipmentDispatched],
    prepare=cancel_at_carrier,
)
def answer_cancellation_request(
    event: orders_events.OrderCancellationRequested, cancellation: services.CarrierCancellation | None
) -> None:
    services.shipment_record_cancellation(order_id=event.order_id, answering_request=True, answer=cancellation)


@subscribe(
    orders_events.OrderCancelled,
    publishes=[events.ShipmentCancelled, events.ShipmentDispatched],
    prepare=cancel_at_carrier,
)
def cancel_shipment(event: orders_events.OrderCancelled, cancellation: services.CarrierCancellation | None) -> None:
    services.shipment_record_cancellation(order_id=event.order_id, answering_request=False, answer=cancellation)
