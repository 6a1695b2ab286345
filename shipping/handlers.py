"""What the shipping context reacts to: an order's address, its payment, its cancellation."""

from eventbus import Backoff, subscribe
from orders import events as orders_events
from payments import events as payments_events

from . import services


@subscribe(orders_events.OrderCreated)
def prepare_shipment(event: orders_events.OrderCreated) -> None:
    services.shipment_prepare(
        order_id=event.order_id, customer_id=event.customer_id, address=event.shipping_address.model_dump()
    )


@subscribe(payments_events.PaymentSucceeded, max_attempts=20, backoff=Backoff(base_seconds=0.1, max_seconds=5))
def book_shipment(event: payments_events.PaymentSucceeded) -> None:
    services.shipment_book(order_id=event.order_id)


@subscribe(orders_events.OrderCancellationRequested)
def answer_cancellation_request(event: orders_events.OrderCancellationRequested) -> None:
    services.shipment_cancel(order_id=event.order_id, answering_request=True)


@subscribe(orders_events.OrderCancelled)
def cancel_shipment(event: orders_events.OrderCancelled) -> None:
    services.shipment_cancel(order_id=event.order_id, answering_request=False)
