"""What the payments context reacts to: new orders to charge, cancellations and failed shipping to refund."""

from eventbus import Backoff, subscribe
from orders import events as orders_events
from shipping import events as shipping_events

from . import events, services

PROVIDER_RETRIES = Backoff(base_seconds=0.5, max_seconds=30)


def call_provider(event: orders_events.OrderCreated) -> services.ProviderAnswer | None:
    """Before the charge's transaction: the provider call, with the order's idempotency key."""
    return services.payment_call_provider(
        order_id=event.order_id,
        customer_id=event.customer_id,
        amount=event.total,
        currency=event.currency,
        token=event.payment_token.get_secret_value(),
        pay_before=event.payment_due_by,
    )


def call_refund(event: orders_events.OrderCancelled | shipping_events.ShipmentFailed) -> str | None:
    return services.payment_call_refund(order_id=event.order_id)


@subscribe(
    orders_events.OrderCreated,
    # PaymentRefunded too: a capture for an order cancelled while the provider was asked goes straight back.
    publishes=[events.PaymentSucceeded, events.PaymentFailed, events.PaymentRefunded],
    max_attempts=10,
    backoff=PROVIDER_RETRIES,
    prepare=call_provider,
)
def charge_order(event: orders_events.OrderCreated, answer: services.ProviderAnswer | None) -> None:
    services.payment_record_charge(order_id=event.order_id, answer=answer)


@subscribe(
    orders_events.OrderCancelled,
    publishes=[events.PaymentRefunded],
    max_attempts=10,
    backoff=PROVIDER_RETRIES,
    prepare=call_refund,
)
def refund_cancelled_order(event: orders_events.OrderCancelled, refund_id: str | None) -> None:
    services.payment_record_refund(order_id=event.order_id, reason="order_cancelled", refund_id=refund_id)


@subscribe(
    shipping_events.ShipmentFailed,
    publishes=[events.PaymentRefunded],
    max_attempts=10,
    backoff=PROVIDER_RETRIES,
    prepare=call_refund,
)
def refund_unshippable_order(event: shipping_events.ShipmentFailed, refund_id: str | None) -> None:
    services.payment_record_refund(order_id=event.order_id, reason="shipping_failed", refund_id=refund_id)
