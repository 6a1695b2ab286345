"""The DESIGN.md invariants, checked at the end of every saga test and every chaos row.

Our own tables are checked against the fake provider's and carrier's ledgers, which live outside
our transactions: a handler that ran twice would show there even if our rows looked right.
"""

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from eventbus.models import Delivery, OutboxEvent
from orders.models import Order
from payments.gateway import FakePaymentProvider
from payments.models import Payment
from payments.services import charge_key
from shipping.carrier import FakeCarrier
from shipping.models import Shipment
from shipping.services import booking_key

# A delayed event (a saga deadline) that fell due a moment ago waits for the next sweep to relay it.
RELAY_GRACE = timedelta(seconds=10)
TERMINAL = {Order.Status.CONFIRMED, Order.Status.SHIPPED, Order.Status.CANCELLED}
# What an order should have heard of its payment and shipment, by their status in their own tables.
PAYMENT_NEWS = {"captured": {"captured"}, "refunded": {"refunded"}, "failed": {"failed"}}
SHIPMENT_NEWS = {
    "booked": {"booked"},
    "dispatched": {"dispatched"},
    "failed": {"failed"},
    "cancelled": {"cancelled", ""},
}


def fake_provider() -> FakePaymentProvider:
    return FakePaymentProvider(Path(settings.PAYMENTS_FAKE_PROVIDER_LEDGER))


def fake_carrier() -> FakeCarrier:
    return FakeCarrier(Path(settings.SHIPPING_FAKE_CARRIER_LEDGER), frozenset(settings.SHIPPING_UNSERVED_COUNTRIES))


def assert_saga_invariants(databases: Iterable[str] = ("default",)) -> None:
    """Every order's invariants, and the bus's in each of ``databases`` (one per service)."""
    problems = [problem for order in Order.objects.all() for problem in order_problems(order)]
    for using in databases:
        problems += [f"{using}: {problem}" for problem in bus_problems(using=using)]
    assert not problems, "\n".join(problems)


def order_problems(order: Order) -> list[str]:
    payment = Payment.objects.filter(order_id=order.id).first()
    shipment = Shipment.objects.filter(order_id=order.id).first()
    provider, carrier = fake_provider(), fake_carrier()
    captures = provider.captures(charge_key(order.id))
    refunds = provider.refunded(payment.provider_charge_id) if payment and payment.provider_charge_id else []
    bookings = carrier.bookings(booking_key(order.id))
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


def bus_problems(
    may_dead_letter: Callable[[Delivery], bool] = lambda delivery: False, *, using: str = "default"
) -> list[str]:
    """Nothing due left behind, nothing unfinished but the dead letters a fault was expected to leave.

    An expected dead letter must still say why it died.
    """
    problems = []
    overdue = timezone.now() - RELAY_GRACE
    events, deliveries = OutboxEvent.objects.using(using), Delivery.objects.using(using)
    due = events.filter(dispatched_at__isnull=True, deliver_at__lte=overdue).count()
    if due:
        problems.append(f"{due} events due over {RELAY_GRACE.seconds} s ago still undispatched")
    for delivery in deliveries.exclude(state=Delivery.State.DONE).select_related("event"):
        expected = delivery.state == Delivery.State.DEAD and may_dead_letter(delivery)
        if not expected:
            problems.append(f"delivery to {delivery.subscriber} is {delivery.state}: {delivery.last_error}")
        elif not delivery.last_error:
            problems.append(f"dead letter {delivery.id} to {delivery.subscriber} gives no reason")
    repeated = Counter(events.values_list("correlation_id", "type"))
    problems += [f"{kind} published {n} times for {saga}" for (saga, kind), n in repeated.items() if n > 1]
    return problems


def settled() -> bool:
    """Every saga terminal, nothing due in the outbox, no delivery waiting or running."""
    due = OutboxEvent.objects.filter(dispatched_at__isnull=True, deliver_at__lte=timezone.now())
    waiting = Delivery.objects.filter(state__in=[Delivery.State.PENDING, Delivery.State.RUNNING])
    return not (Order.objects.exclude(status__in=TERMINAL).exists() or due.exists() or waiting.exists())


def acknowledged_problems(orders: Iterable[UUID], probes: Iterable[UUID]) -> list[str]:
    """Every order the API acknowledged exists; every committed probe event took effect exactly once."""
    from .probe.models import ProbeEffect  # installed in a chaos run only

    orders = set(orders)
    kept = set(Order.objects.filter(id__in=orders).values_list("id", flat=True))
    problems = [f"acknowledged order {id} is lost" for id in sorted(orders - kept, key=str)]
    effects = dict(ProbeEffect.objects.values("event_id").annotate(n=Count("id")).values_list("event_id", "n"))
    problems += [f"probe {id} took effect {effects.get(id, 0)} times" for id in probes if effects.get(id, 0) != 1]
    problems += [f"probe {id} took effect {n} times" for id, n in effects.items() if n > 1 and id not in probes]
    return problems
