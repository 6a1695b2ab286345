"""What the payments context reacts to: new orders to charge, cancellations and failed shipping to refund."""

from eventbus import Backoff, subscribe
from orders import events as orders_events
from shipping import events as shipping_events

from . import services

PROVIDER_RETRIES = Backoff(base_seconds=0.5, max_seconds=30)


@subscribe(orders_events.OrderCreated, max_attempts=10, backoff=PROVIDER_RETRIES)
def charge_order(event: orders_events.OrderCreated) -> None:
    services.payment_charge(
        order_id=event.order_id,
        customer_id=event.customer_id,
        amount=event.total,
        currency=event.currency,
        token=event.payment_token,
        pay_before=event.payment_due_by,
    )


@subscribe(orders_events.OrderCancelled, max_attempts=10, backoff=PROVIDER_RETRIES)
def refund_cancelled_order(event: orders_events.OrderCancelled) -> None:
    services.payment_refund(order_id=event.order_id, reason="order_cancelled")


@subscribe(shipping_events.ShipmentFailed, max_attempts=10, backoff=PROVIDER_RETRIES)
def refund_unshippable_order(event: shipping_events.ShipmentFailed) -> None:
    services.payment_refund(order_id=event.order_id, reason="shipping_failed")
