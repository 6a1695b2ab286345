"""What the orders context reacts to: payment and shipping news, its own saga deadlines, and the
catalogue's products, of which it keeps its own copy to price orders with."""

from catalog import events as catalog_events
from eventbus import subscribe
from payments import events as payments_events
from shipping import events as shipping_events

from . import events, services


@subscribe(payments_events.PaymentSucceeded, publishes=[events.ShipmentDeadlineReached])
def mark_order_paid(event: payments_events.PaymentSucceeded) -> None:
    services.order_mark_paid(order_id=event.order_id, amount=event.amount)


@subscribe(payments_events.PaymentFailed, publishes=[events.OrderCancelled])
def cancel_declined_order(event: payments_events.PaymentFailed) -> None:
    services.order_cancel_unpaid(order_id=event.order_id, reason="payment_declined")


@subscribe(
    events.PaymentDeadlineReached, publishes=[events.OrderCancellationRequested, events.CancellationDeadlineReached]
)
def cancel_order_past_deadline(event: events.PaymentDeadlineReached) -> None:
    services.order_cancel_at_deadline(order_id=event.order_id)


@subscribe(shipping_events.ShipmentCreated, publishes=[events.OrderConfirmed])
def confirm_order(event: shipping_events.ShipmentCreated) -> None:
    services.order_confirm(order_id=event.order_id, carrier_reference=event.carrier_reference)


@subscribe(shipping_events.ShipmentFailed)
def note_shipment_failure(event: shipping_events.ShipmentFailed) -> None:
    services.order_note_shipment_failed(order_id=event.order_id)


@subscribe(shipping_events.ShipmentCancelled, publishes=[events.OrderCancelled])
def cancel_order_on_request(event: shipping_events.ShipmentCancelled) -> None:
    services.order_cancel_requested(order_id=event.order_id)


@subscribe(shipping_events.ShipmentCancellationRefused)
def refuse_cancellation(event: shipping_events.ShipmentCancellationRefused) -> None:
    services.order_refuse_cancel(order_id=event.order_id, reason=event.reason)


@subscribe(shipping_events.ShipmentDispatched)
def mark_order_shipped(event: shipping_events.ShipmentDispatched) -> None:
    services.order_mark_shipped(order_id=event.order_id)


@subscribe(payments_events.PaymentRefunded, publishes=[events.OrderCancelled])
def cancel_refunded_order(event: payments_events.PaymentRefunded) -> None:
    services.order_cancel_refunded(order_id=event.order_id, reason=event.reason, amount=event.amount)


@subscribe(
    events.ShipmentDeadlineReached, publishes=[events.OrderCancellationRequested, events.CancellationDeadlineReached]
)
def act_on_shipment_deadline(event: events.ShipmentDeadlineReached) -> None:
    services.order_act_on_shipment_deadline(order_id=event.order_id)


@subscribe(events.CancellationDeadlineReached)
def act_on_cancellation_deadline(event: events.CancellationDeadlineReached) -> None:
    services.order_act_on_cancellation_deadline(order_id=event.order_id, requested_at=event.requested_at)


# One sku's events reach three subscribers, each in order; the revision orders them across the three.
@subscribe(catalog_events.ProductListed, ordered=True)
def copy_listed_product(event: catalog_events.ProductListed) -> None:
    services.catalog_entry_copy(product=event.product, revision=event.revision, listed=True)


@subscribe(catalog_events.ProductPriceChanged, ordered=True)
def copy_price_change(event: catalog_events.ProductPriceChanged) -> None:
    services.catalog_entry_copy(product=event.product, revision=event.revision, listed=True)


@subscribe(catalog_events.ProductDelisted, ordered=True)
def copy_delisting(event: catalog_events.ProductDelisted) -> None:
    services.catalog_entry_copy(product=event.product, revision=event.revision, listed=False)
