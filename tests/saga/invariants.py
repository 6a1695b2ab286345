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
