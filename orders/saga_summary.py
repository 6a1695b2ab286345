"""An order's saga in words, for the top of its admin page: where it stands and why, how long it took,
and what on the bus needs attention (dead letters, retries in progress).

The order's status and reasons are the orders context's own words; what is wrong on the bus comes
from the saga's timeline (``eventbus.saga_health``). An order waiting on another context (the
payment, the shipment booking, shipping's answer to a cancellation) says so, and says when that
context's step is dead-lettered or retrying.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from eventbus import SagaHealth
from payments import events as payments_events
from shipping import events as shipping_events

from . import events
from .models import Order

# The events that undo an earlier step of the order saga: the picture draws their publishers'
# attempts as compensations (the bus cannot tell a compensating event from another).
COMPENSATING = frozenset(
    {
        payments_events.PaymentRefunded.event_type,
        shipping_events.ShipmentCancelled.event_type,
        events.OrderCancelled.event_type,
    }
)

CANCEL_REASONS = {
    "payment_declined": "the card was declined",
    "shipping_failed": "shipping could not book it, and the payment was refunded",
    "customer_cancelled": "the customer asked",
    "operator_cancelled": "an operator asked",
    "payment_timeout": "no payment came before the deadline",
    "shipment_timeout": "it was paid but never booked before the deadline, and the payment was refunded",
}
STALLED_REASONS = {
    "not_booked_by_deadline": "paid but not booked by its deadline",
    "cancellation_unanswered": "shipping never answered the cancellation request",
}
REFUSED_REASONS = {"already_dispatched": "the parcel had already left"}


@dataclass(frozen=True)
class Badge:
    text: str
    tone: str  # "error", "warning" or "ok"
    title: str = ""


@dataclass(frozen=True)
class SagaSummary:
    headline: str
    tone: str
    took: str
    badges: tuple[Badge, ...]


def summarize(order: Order, health: SagaHealth, *, now: datetime) -> SagaSummary:
    headline, waits_on = _status_in_words(order)
    if waits_on:
        headline += _waiting_step(waits_on, health, now)
    if order.stalled_at:
        reason = STALLED_REASONS.get(order.stalled_reason, order.stalled_reason)
        headline += f". Stalled: {reason}; it waits for an operator"
    badges = [
        Badge(f"dead letter: {dead.subscriber}", "error", f"{dead.event_type}, {dead.attempts} attempts: {dead.error}")
        for dead in health.dead
    ]
    badges += [
        Badge(f"{retry.subscriber} {retry.in_words(now)}", "warning", f"{retry.event_type}: {retry.error}")
        for retry in health.retrying
    ]
    others = health.open - len(health.retrying)
    if others > 0:
        badges.append(Badge(f"{others} step{'s' if others > 1 else ''} in progress", "warning"))
    if not badges:
        badges.append(Badge("nothing waiting on the bus", "ok"))
    tone = "error" if health.dead or order.stalled_at else "warning" if health.open else "ok"
    return SagaSummary(headline, tone, health.took, tuple(badges))


def _status_in_words(order: Order) -> tuple[str, str]:
    """The status and its reason in words, and the context the order waits on ("" for none)."""
    money = f"{order.amount_refunded} {order.currency}"
    match order.status:
        case Order.Status.CANCELLED:
            words = f"Cancelled: {CANCEL_REASONS.get(order.cancel_reason, order.cancel_reason or 'no reason kept')}"
            if order.amount_refunded and "refunded" not in words:
                words += f" ({money} refunded)"
            return words, ""
        case Order.Status.SHIPPED:
            words = "Shipped"
            if order.cancel_refused_reason:
                refused = REFUSED_REASONS.get(order.cancel_refused_reason, order.cancel_refused_reason)
                words += f"; a cancellation was refused: {refused}"
            return words, ""
    if order.cancel_requested_at:
        status = order.get_status_display()
        return f"{status} — cancellation asked ({order.cancel_requested_reason}), waiting for shipping's answer", (
            "shipping"
        )
    match order.status:
        case Order.Status.PENDING:
            return "Pending — waiting for the payment", "payments"
        case Order.Status.PAID:
            return f"Paid ({order.amount_paid} {order.currency}) — waiting for the shipment booking", "shipping"
        case Order.Status.CONFIRMED:
            return f"Confirmed — booked ({order.carrier_reference}), waiting for the warehouse's dispatch", ""
    return order.get_status_display(), ""


def _waiting_step(context: str, health: SagaHealth, now: datetime) -> str:
    """ ", which is dead-lettered" when the step it waits on (in ``context``) is."""
    if any(dead.subscriber.startswith(f"{context}.") for dead in health.dead):
        return ", which is dead-lettered"
    for retry in health.retrying:
        if retry.subscriber.startswith(f"{context}."):
            return f", which is {retry.in_words(now)}"
    return ""
