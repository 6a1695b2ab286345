"""The DESIGN.md invariants, checked at the end of every saga test and chaos run.

Our own tables are checked against the fake provider's and carrier's ledgers, which live outside
our transactions: a handler that ran twice would show there even if our rows looked right.
"""

from collections import Counter
from decimal import Decimal

from django.utils import timezone

from eventbus.models import Delivery, OutboxEvent
from orders.models import Order
from payments.gateway import gateway
from payments.models import Payment
from payments.services import charge_key
from shipping.carrier import carrier
from shipping.models import Shipment
from shipping.services import booking_key

TERMINAL = {Order.Status.CONFIRMED, Order.Status.SHIPPED, Order.Status.CANCELLED}
# What an order should have heard of its payment and shipment, by their status in their own tables.
PAYMENT_NEWS = {"captured": {"captured"}, "refunded": {"refunded"}, "failed": {"failed"}}
SHIPMENT_NEWS = {
    "booked": {"booked"},
    "dispatched": {"dispatched"},
    "failed": {"failed"},
    "cancelled": {"cancelled", ""},
}


def assert_saga_invariants() -> None:
    problems = [problem for order in Order.objects.all() for problem in order_problems(order)]
    problems += bus_problems()
    assert not problems, "\n".join(problems)


def order_problems(order: Order) -> list[str]:
    payment = Payment.objects.filter(order_id=order.id).first()
    shipment = Shipment.objects.filter(order_id=order.id).first()
    captures = gateway().captures(charge_key(order.id))
    refunds = gateway().refunded(payment.provider_charge_id) if payment and payment.provider_charge_id else []
    bookings = carrier().bookings(booking_key(order.id))
    name = f"order {order.id} ({order.status} {order.cancel_reason})"
    problems = []
    if order.status not in TERMINAL:
        problems.append(f"{name} is not in a terminal state")
    if len(captures) > 1:
        problems.append(f"{name} was captured {len(captures)} times")
    if order.status == Order.Status.CANCELLED:
        if sum(captures, Decimal(0)) != sum(refunds, Decimal(0)):
            problems.append(f"{name} captured {captures} but refunded {refunds}")
        if bookings or (shipment and shipment.is_live):
            problems.append(f"{name} still has a live shipment")
    elif order.status in TERMINAL:
        if len(captures) != 1 or refunds or not payment or payment.status != Payment.Status.CAPTURED:
            problems.append(f"{name} should have one capture and no refund: {captures}, {refunds}")
        if len(bookings) != 1 or not shipment or not shipment.is_live:
            problems.append(f"{name} should have exactly one live shipment: {bookings}")
    return problems + news_problems(name, order, payment, shipment)


def news_problems(name: str, order: Order, payment: Payment | None, shipment: Shipment | None) -> list[str]:
    """The order's summary of its payment and shipment agrees with those contexts' own records."""
    problems = []
    if order.payment_status not in PAYMENT_NEWS.get(payment.status if payment else "", {""}):
        problems.append(f"{name} heard payment {order.payment_status!r}, payments says {payment and payment.status}")
    elif payment and payment.provider_charge_id and order.amount_paid != payment.amount:
        problems.append(f"{name} heard {order.amount_paid} paid, payments says {payment.amount}")
    if payment and order.payment_status == "refunded":
        refunded = sum((refund.amount for refund in payment.refunds.all()), Decimal(0))
        if order.amount_refunded != refunded:
            problems.append(f"{name} heard {order.amount_refunded} refunded, payments says {refunded}")
    if order.shipment_status not in SHIPMENT_NEWS.get(shipment.status if shipment else "", {""}):
        problems.append(
            f"{name} heard shipment {order.shipment_status!r}, shipping says {shipment and shipment.status}"
        )
    return problems


def bus_problems() -> list[str]:
    problems = []
    due = OutboxEvent.objects.filter(dispatched_at__isnull=True, deliver_at__lte=timezone.now()).count()
    if due:
        problems.append(f"{due} due events still undispatched")
    unfinished = Delivery.objects.exclude(state=Delivery.State.DONE).values_list("subscriber", "state", "last_error")
    problems += [f"delivery to {s} is {state}: {error}" for s, state, error in unfinished]
    repeated = Counter(OutboxEvent.objects.values_list("correlation_id", "type"))
    problems += [f"{kind} published {n} times for {saga}" for (saga, kind), n in repeated.items() if n > 1]
    return problems
