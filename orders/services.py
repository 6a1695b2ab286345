"""Order commands: each changes an order and publishes what happened, in one transaction.

A command a handler calls joins the delivery's transaction without a savepoint
(``atomic(savepoint=False)``): whatever fails in it fails the delivery, whose transaction rolls back
whole, so a savepoint would only cost two statements. Called on its own, it is a transaction. A
refusal its caller catches and carries on after (``order_cancel``'s) keeps a savepoint.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from pydantic import SecretStr

from catalog import events as catalog_events
from eventbus import Operator, audit, publish

from . import events
from .models import CatalogEntry, Order, OrderLine, PaymentNews, ShipmentNews

log = logging.getLogger(__name__)

Status = Order.Status
CENTS = Decimal("0.01")
MAX_TOTAL = Decimal("9999999999.99")  # what Order.total holds

# News may arrive out of order (different subscribers, retries): a later step is never overwritten
# by an earlier one. Each maps the news an order holds to the news that may replace it.
PAYMENT_NEWS_AFTER: dict[str, set[str]] = {
    "": {PaymentNews.CAPTURED, PaymentNews.FAILED, PaymentNews.REFUNDED},
    PaymentNews.CAPTURED: {PaymentNews.REFUNDED},
}
SHIPMENT_NEWS_AFTER: dict[str, set[str]] = {
    "": {ShipmentNews.BOOKED, ShipmentNews.FAILED, ShipmentNews.CANCELLED, ShipmentNews.DISPATCHED},
    ShipmentNews.BOOKED: {ShipmentNews.CANCELLED, ShipmentNews.DISPATCHED},
    # A shipment that failed still answers a cancellation request with ShipmentCancelled; its
    # failure is the final word, whichever of the two news arrives first.
    ShipmentNews.CANCELLED: {ShipmentNews.FAILED},
}


class OrderCannotBeCancelled(Exception):
    """The customer asked too late (or twice); ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Wanted:
    """A line as the customer asks for it: which product, how many. The price is the shop's."""

    sku: str
    quantity: int


class LinesNotPriced(Exception):
    """Lines the price list cannot price: line index → why (unknown or delisted sku, other currency)."""

    def __init__(self, problems: dict[int, str]) -> None:
        super().__init__("; ".join(f"line {i}: {problem}" for i, problem in sorted(problems.items())))
        self.problems = problems


class OrderTooLarge(Exception):
    """The total, as it would be charged, exceeds what an order may hold."""


def order_place(
    *,
    customer: User,
    lines: list[Wanted],
    shipping_address: events.ShippingAddress,
    payment_token: str,
    currency: str | None = None,
) -> Order:
    """Price the lines from orders' copy of the catalogue, create a pending order, announce it, and
    schedule its payment deadline. ``currency``, when given, must be the products' currency.

    Lines that cannot be priced, or a total too large, are refused before anything is written. The
    writes join the caller's transaction when there is one (no savepoint: what fails in them fails
    the caller's transaction too), or make one of their own.
    """
    if not lines:
        raise ValueError("an order needs at least one line")
    currency, taxed = _priced(lines, currency)
    tax_total = sum((line.tax for line in taxed), Decimal(0))
    total = (sum((line.unit_price * line.quantity for line in taxed), Decimal(0)) + tax_total).quantize(CENTS)
    if total > MAX_TOTAL:
        raise OrderTooLarge(f"The order total ({total}) may not exceed {MAX_TOTAL}.")
    with transaction.atomic(savepoint=False):
        due_by = timezone.now() + timedelta(seconds=settings.ORDERS_PAYMENT_DEADLINE_SECONDS)
        order = Order.objects.create(
            customer=customer,
            currency=currency,
            total=total,
            tax_total=tax_total,
            shipping_address=shipping_address.model_dump(),
            payment_due_by=due_by,
        )
        OrderLine.objects.bulk_create(OrderLine(order=order, **line.model_dump()) for line in taxed)
        publish(
            events.OrderCreated(
                order_id=order.id,
                customer_id=customer.pk,
                currency=currency,
                total=total,
                tax_total=tax_total,
                lines=tuple(taxed),
                shipping_address=shipping_address,
                payment_token=SecretStr(payment_token),
                payment_due_by=due_by,
            ),
            key=order.id,
        )
        publish(events.PaymentDeadlineReached(order_id=order.id), key=order.id, deliver_at=due_by)
    return order


def _priced(lines: list[Wanted], currency: str | None) -> tuple[str, list[events.TaxedLine]]:
    """The order's currency and its lines at the price list's current prices; LinesNotPriced if any cannot be."""
    entries = CatalogEntry.objects.in_bulk({line.sku for line in lines})
    currency = currency or next((entries[line.sku].currency for line in lines if line.sku in entries), "")
    problems = {}
    for i, line in enumerate(lines):
        entry = entries.get(line.sku)
        if entry is None or not entry.listed:
            problems[i] = f"No product with sku {line.sku!r} is on sale."
        elif entry.currency != currency:
            problems[i] = f"{line.sku!r} is priced in {entry.currency}, not {currency}."
    if problems:
        raise LinesNotPriced(problems)
    return currency, [
        _taxed(
            events.OrderLine(
                sku=line.sku,
                quantity=line.quantity,
                unit_price=entries[line.sku].price,
                tax_rate=entries[line.sku].tax_rate,
            )
        )
        for line in lines
    ]


def catalog_entry_copy(*, product: catalog_events.ProductDetails, revision: int, listed: bool) -> None:
    """Keep the newest revision of a catalogue product; an older or repeated one changes nothing.

    Two revisions of a new sku may arrive at once (three subscribers): the row is inserted if absent,
    then overwritten only by a newer revision, so neither order of commits keeps the older one.
    """
    values = {
        "name": product.name,
        "price": product.price,
        "currency": product.currency,
        "tax_rate": product.tax_rate,
        "listed": listed,
        "revision": revision,
    }
    with transaction.atomic(savepoint=False):
        CatalogEntry.objects.bulk_create([CatalogEntry(sku=product.sku, **values)], ignore_conflicts=True)
        older = CatalogEntry.objects.filter(sku=product.sku, revision__lt=revision)
        older.update(**values, updated_at=timezone.now())


def _taxed(line: events.OrderLine) -> events.TaxedLine:
    tax = (line.unit_price * line.quantity * line.tax_rate).quantize(CENTS, rounding=ROUND_HALF_UP)
    return events.TaxedLine(**line.model_dump(), tax=tax)


def order_cancel(*, order_id: UUID, operator: Operator | None = None) -> Order:
    """The customer (or an ``operator``: staff) asks to cancel; refused at once if we know the parcel
    left or it is cancelled. An operator's request is recorded as ``operator_cancelled`` with their
    name, never as the customer's, and joins the audit trail with their reason.

    Shipping is the one that knows whether the parcel can still be stopped, so the order is
    cancelled when shipping answers (ShipmentCancelled), or the request is refused then.
    """
    with transaction.atomic():
        order = _locked(order_id)
        if order.status == Status.SHIPPED:
            raise OrderCannotBeCancelled("already_dispatched")
        if order.status == Status.CANCELLED:
            raise OrderCannotBeCancelled("already_cancelled")
        if operator is None:
            _request_cancel(order, "customer_cancelled")
        else:
            if _request_cancel(order, "operator_cancelled", by=operator.name):
                audit(operator, "cancel order", f"order {order.id}")
    return order


def order_cancel_at_deadline(*, order_id: UUID) -> None:
    """Still unpaid at its deadline: ask shipping to stop the order, as a customer would.

    Payment news may be on its way while a parcel is already booked (or gone), so the deadline,
    too, only cancels once shipping has answered.
    """
    with transaction.atomic(savepoint=False):
        order = _locked(order_id)
        if order.status == Status.PENDING:
            _request_cancel(order, "payment_timeout")


def order_cancel_requested(*, order_id: UUID) -> None:
    """Shipping stopped (or never had) the parcel: carry out the requested cancellation."""
    with transaction.atomic(savepoint=False):
        order = _locked(order_id)
        changed = _note_shipment(order, ShipmentNews.CANCELLED)
        if order.cancel_requested_at is not None and order.status != Status.CANCELLED:
            changed += _cancel(order, order.cancel_requested_reason)
        _save(order, changed)


def order_refuse_cancel(*, order_id: UUID, reason: str) -> None:
    with transaction.atomic(savepoint=False):
        order = _locked(order_id)
        order.cancel_requested_at = None
        order.cancel_refused_reason = reason
        _save(order, ["cancel_requested_at", "cancel_refused_reason"])


def order_cancel_unpaid(*, order_id: UUID, reason: str) -> None:
    """Cancel an order whose payment failed: no parcel can have been booked for it."""
    with transaction.atomic(savepoint=False):
        order = _locked(order_id)
        changed = _note_payment(order, PaymentNews.FAILED)
        if order.status == Status.PENDING:
            changed += _cancel(order, reason)
        _save(order, changed)


def order_cancel_refunded(*, order_id: UUID, reason: str, amount: Decimal) -> None:
    """The money went back: the order cannot go on (a no-op if it was cancelled already)."""
    with transaction.atomic(savepoint=False):
        order = _locked(order_id)
        changed = _note_payment(order, PaymentNews.REFUNDED, amount_refunded=amount)
        if order.status != Status.CANCELLED:
            changed += _cancel(order, reason)
        _save(order, changed)


def order_mark_paid(*, order_id: UUID, amount: Decimal) -> None:
    """Paid: the parcel must now be booked by the ``paid`` deadline (``ORDERS_PAID_DEADLINE_SECONDS``)."""
    with transaction.atomic(savepoint=False):
        order = _locked(order_id)
        changed = _note_payment(order, PaymentNews.CAPTURED, amount_paid=amount)
        changed += _advance(order, frm={Status.PENDING}, to=Status.PAID)
        if "status" in changed:
            due = timezone.now() + timedelta(seconds=settings.ORDERS_PAID_DEADLINE_SECONDS)
            publish(events.ShipmentDeadlineReached(order_id=order_id), key=order_id, deliver_at=due)
        _save(order, changed)


def order_act_on_shipment_deadline(*, order_id: UUID) -> None:
    """Still paid and unbooked at the deadline (the carrier, or shipping, down past its retries).

    ``ORDERS_PAID_DEADLINE_ACTION`` chooses the way out: ``compensate`` asks shipping to stop the
    order (reason ``shipment_timeout``), which cancels it and refunds the payment once shipping
    answers; ``operator`` hands the order to an operator (``manage.py stuck_sagas``).
    """
    with transaction.atomic(savepoint=False):
        order = _locked(order_id)
        if order.status != Status.PAID:
            return
        if settings.ORDERS_PAID_DEADLINE_ACTION == "compensate":
            _request_cancel(order, "shipment_timeout")
        else:
            _stall(order, "not_booked_by_deadline")


def order_act_on_cancellation_deadline(*, order_id: UUID, requested_at: datetime) -> None:
    """Shipping has not answered a cancellation request in time: hand the order to an operator.

    Nothing can be compensated without shipping's answer (the parcel may have left), so this way
    out is always the operator's.
    """
    with transaction.atomic(savepoint=False):
        order = _locked(order_id)
        if order.cancel_requested_at == requested_at and order.status != Status.CANCELLED:
            _stall(order, "cancellation_unanswered")


def order_confirm(*, order_id: UUID, carrier_reference: str) -> None:
    """A shipment is booked; payment came first, even if its news reaches us second."""
    with transaction.atomic(savepoint=False):
        order = _locked(order_id)
        changed = _note_shipment(order, ShipmentNews.BOOKED, carrier_reference=carrier_reference)
        changed += _advance(order, frm={Status.PENDING, Status.PAID}, to=Status.CONFIRMED)
        if "status" in changed:
            publish(events.OrderConfirmed(order_id=order_id), key=order_id)
            log.info("order %s confirmed", order_id)
        _save(order, changed)


def order_mark_shipped(*, order_id: UUID) -> None:
    with transaction.atomic(savepoint=False):
        order = _locked(order_id)
        changed = _note_shipment(order, ShipmentNews.DISPATCHED)
        _save(order, changed + _advance(order, frm={Status.PENDING, Status.PAID, Status.CONFIRMED}, to=Status.SHIPPED))


def order_note_shipment_failed(*, order_id: UUID) -> None:
    """Only news: payments refunds the order, and that refund is what cancels it."""
    with transaction.atomic(savepoint=False):
        order = _locked(order_id)
        _save(order, _note_shipment(order, ShipmentNews.FAILED))


# Each step below changes the order in memory and names the fields it changed; the service saves
# them all in one UPDATE.


def _advance(order: Order, *, frm: set[str], to: str) -> list[str]:
    if order.status not in frm:
        return []
    order.status = to
    return ["status"]


def _note_payment(order: Order, news: str, **amounts: Decimal) -> list[str]:
    return _note(order, "payment_status", PAYMENT_NEWS_AFTER, news, amounts)


def _note_shipment(order: Order, news: str, **details: str) -> list[str]:
    return _note(order, "shipment_status", SHIPMENT_NEWS_AFTER, news, details)


def _note(
    order: Order, field: str, after: dict[str, set[str]], news: str, values: Mapping[str, Decimal | str]
) -> list[str]:
    """Advance ``field`` to ``news`` if it is newer; a value heard for the first time is kept either way."""
    changed = _learn(order, values)
    if news in after.get(getattr(order, field), set()):
        setattr(order, field, news)
        changed.append(field)
    return changed


def _learn(order: Order, values: Mapping[str, Decimal | str]) -> list[str]:
    """Set the fields still at their empty default; the names of those set."""
    learnt = [field for field, value in values.items() if value and not getattr(order, field)]
    for field in learnt:
        setattr(order, field, values[field])
    return learnt


def _save(order: Order, fields: list[str]) -> None:
    """Save the changed fields; a stall whose cause is gone is cleared with them."""
    if fields and order.stalled_at is not None and _stall_resolved(order):
        order.stalled_at, order.stalled_reason = None, ""
        fields = [*fields, "stalled_at", "stalled_reason"]
    if fields:
        order.save(update_fields=[*dict.fromkeys(fields), "updated_at"])


def _stall_resolved(order: Order) -> bool:
    """Only its own cause ends a stall: any other news leaves it for the operator."""
    if order.stalled_reason == "not_booked_by_deadline":
        return order.status != Status.PAID
    if order.stalled_reason == "cancellation_unanswered":
        return order.cancel_requested_at is None or order.status in {Status.CANCELLED, Status.SHIPPED}
    return False


def _stall(order: Order, reason: str) -> None:
    order.stalled_at, order.stalled_reason = timezone.now(), reason
    order.save(update_fields=["stalled_at", "stalled_reason", "updated_at"])


def _request_cancel(order: Order, reason: str, *, by: str = "") -> bool:
    """Ask shipping to stop the order, once: a request already on its way keeps its reason (False).

    Shipping must answer by ``ORDERS_CANCELLING_DEADLINE_SECONDS``, else an operator is told.
    """
    if order.cancel_requested_at is not None:
        return False
    requested_at = timezone.now()
    order.cancel_requested_at = requested_at
    order.cancel_requested_reason = reason
    order.cancel_requested_by = by
    order.cancel_refused_reason = ""
    _save(order, ["cancel_requested_at", "cancel_requested_reason", "cancel_requested_by", "cancel_refused_reason"])
    publish(events.OrderCancellationRequested(order_id=order.id), key=order.id)
    due = requested_at + timedelta(seconds=settings.ORDERS_CANCELLING_DEADLINE_SECONDS)
    deadline = events.CancellationDeadlineReached(order_id=order.id, requested_at=requested_at)
    publish(deadline, key=order.id, deliver_at=due)
    return True


def _cancel(order: Order, reason: str) -> list[str]:
    order.status = Status.CANCELLED
    order.cancel_reason = reason
    publish(events.OrderCancelled(order_id=order.id, reason=reason), key=order.id)
    log.info("order %s cancelled: %s", order.id, reason)
    return ["status", "cancel_reason"]


def _locked(order_id: UUID) -> Order:
    return Order.objects.select_for_update().get(id=order_id)
