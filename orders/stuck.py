"""Stuck sagas: orders whose saga stopped and waits for a person, with why, since when and where to look.

What counts is per saga state (docs/saga.md, "Stuck sagas"): a dead letter in the saga (any state:
a dead refund leaves money captured on a cancelled order); a stall a saga deadline set; a discarded
step of a context the saga still waits on; and an order past its state's deadline by a grace
(``ORDERS_STUCK_*_SECONDS``): ``pending`` past its payment deadline, ``paid`` without news,
a cancellation unanswered. Orders reads the bus's facts through its public API
(``troubled_deliveries``), this database's only: in a split deployment the other services' dead
letters show on their own ``/metrics`` and admin, and the age findings still catch their effect.

Every function here costs a fixed number of queries whatever the number of orders, and reads a
bounded number of rows: ``stuck_sagas`` at most ``READ_AT_MOST`` deliveries and as many orders, the
oldest first (the longest stuck are the most urgent), and says when there were more (``truncated``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db.models import Q, QuerySet, TextChoices
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from eventbus import Event, Retrying, TroubledDelivery, troubled_deliveries
from payments import events as payments_events
from shipping import events as shipping_events

from .models import Order
from .saga_summary import STALLED_REASONS

Status = Order.Status
DEAD, DISCARDED, RETRYING = "dead", "discarded", "retrying"
READ_AT_MOST = 1000
"""The most dead and discarded deliveries, and the most candidate orders, one assessment reads (the
oldest first); past it the report says ``truncated`` and its count is a floor ("1000+")."""


class Reason(TextChoices):
    """Why a saga is stuck, most pressing first."""

    DEAD_LETTER = "dead_letter", "a step is dead-lettered"
    STALLED = "stalled", "a saga deadline handed it to an operator"
    STEP_DISCARDED = "step_discarded", "a step it waits for was discarded"
    PAYMENT_OVERDUE = "payment_overdue", "pending past its payment deadline"
    PAID_WITHOUT_NEWS = "paid_without_news", "paid, no shipment news"
    CANCELLATION_UNANSWERED = "cancellation_unanswered", "cancellation not answered"


class Attention(TextChoices):
    """What the order list flags, most pressing first: ``stuck`` is any other reason to be stuck."""

    DEAD = "dead", "dead letter"
    STALLED = "stalled", "stalled"
    STUCK = "stuck", "stuck"
    RETRYING = "retrying", "retrying"


@dataclass(frozen=True)
class Limits:
    """How long past each state's deadline a saga may wait before it counts as stuck."""

    pending: timedelta
    paid: timedelta
    cancelling: timedelta

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            pending=timedelta(seconds=settings.ORDERS_STUCK_PENDING_SECONDS),
            paid=timedelta(seconds=settings.ORDERS_STUCK_PAID_SECONDS),
            cancelling=timedelta(seconds=settings.ORDERS_STUCK_CANCELLING_SECONDS),
        )


@dataclass(frozen=True)
class Finding:
    reason: Reason
    why: str
    """In words, for a person."""
    short: str
    """The same in a few words, for a list's column."""
    since: datetime
    link: str
    """The admin page of the step (the delivery), else of the order."""


@dataclass(frozen=True)
class StuckSaga:
    order: Order
    findings: tuple[Finding, ...]
    """Most pressing first; never empty."""

    @property
    def reason(self) -> Reason:
        return self.findings[0].reason

    @property
    def since(self) -> datetime:
        return min(finding.since for finding in self.findings)


@dataclass(frozen=True)
class StuckReport:
    """The stuck sagas found, the longest stuck first, and whether the read was cut short."""

    sagas: tuple[StuckSaga, ...]
    truncated: bool
    """More dead or discarded deliveries, or more candidate orders, than were read: ``sagas`` are those
    found among the oldest, and there may be more."""

    @property
    def count(self) -> str:
        """How many, for a person: "3", or "1000+" when the read was cut short."""
        return f"{len(self.sagas)}{'+' if self.truncated else ''}"

    @property
    def order_ids(self) -> list[UUID]:
        return [saga.order.id for saga in self.sagas]

    def by_reason(self) -> dict[Reason, int]:
        """The sagas by their most pressing reason, every reason present (0 when none)."""
        counted = Counter(saga.reason for saga in self.sagas)
        return {reason: counted[reason] for reason in Reason}


@dataclass(frozen=True)
class Flag:
    """One order's line in the order list's "needs attention" column."""

    attention: Attention
    short: str
    why: str
    link: str


def stuck_sagas(
    now: datetime | None = None, limits: Limits | None = None, *, at_most: int | None = None
) -> StuckReport:
    """The stuck sagas, the longest stuck first, in two queries of at most ``at_most`` rows each
    (``READ_AT_MOST``): the bus's dead and discarded deliveries (dead first, the oldest first), then
    the candidate orders (the oldest first)."""
    now, limits = now or timezone.now(), limits or Limits.from_settings()
    at_most = READ_AT_MOST if at_most is None else at_most
    read = troubled_deliveries(kinds=(DEAD, DISCARDED), at_most=at_most + 1)
    troubles = _by_order(read[:at_most])
    candidates = list(
        Order.objects.filter(
            _past_limits(now, limits) | Q(stalled_at__isnull=False) | Q(id__in=list(troubles))
        ).order_by("created_at", "id")[: at_most + 1]
    )
    found = []
    for order in candidates[:at_most]:
        findings = assess(order, troubles.get(order.id, []), now=now, limits=limits)
        if findings:
            found.append(StuckSaga(order, tuple(findings)))
    found.sort(key=lambda saga: (saga.since, str(saga.order.id)))
    return StuckReport(tuple(found), truncated=len(read) > at_most or len(candidates) > at_most)


def flags(orders: Sequence[Order], now: datetime | None = None) -> dict[UUID, Flag]:
    """The "needs attention" flag of each of these orders that has one: one query to the bus.

    A retry is said in the order page's words (``eventbus.Retrying``): "retrying: attempt 4 of 20,
    next in 4.0 s"."""
    now, limits = now or timezone.now(), Limits.from_settings()
    troubles = _by_order(troubled_deliveries([str(order.id) for order in orders]))
    flagged = {}
    for order in orders:
        mine = troubles.get(order.id, [])
        findings = assess(order, [trouble for trouble in mine if not trouble.retrying], now=now, limits=limits)
        retrying = [trouble for trouble in mine if trouble.retrying]
        if findings:
            flagged[order.id] = _flag(findings[0])
        elif retrying:
            retry = _as_retrying(retrying[0])
            words = f"{retry.subscriber} {retry.in_words(now)}"
            why = f"{words}; {retry.event_type}: {_error_line(retry.error)}"
            flagged[order.id] = Flag(Attention.RETRYING, words, why, _delivery_page(retrying[0]))
    return flagged


def needing_attention(
    orders: QuerySet[Order], attention: Attention, now: datetime | None = None, *, report: StuckReport | None = None
) -> QuerySet[Order]:
    """These orders narrowed to those flagged (``stuck``: stuck for any reason, from ``report`` when
    the caller has one). Dead and retrying come from the oldest ``READ_AT_MOST`` such deliveries."""
    if attention == Attention.STALLED:
        return orders.filter(stalled_at__isnull=False)
    if attention == Attention.STUCK:
        return orders.filter(id__in=(report or stuck_sagas(now)).order_ids)
    kind = DEAD if attention == Attention.DEAD else RETRYING
    return orders.filter(id__in=list(_by_order(troubled_deliveries(kinds=[kind], at_most=READ_AT_MOST))))


def assess(order: Order, troubles: Iterable[TroubledDelivery], *, now: datetime, limits: Limits) -> list[Finding]:
    """Why this order's saga is stuck, most pressing first (empty: it is not), from the order and its
    saga's dead and discarded deliveries."""
    findings = []
    stopped = list(troubles)
    for trouble in stopped:
        if trouble.state == DEAD:
            short = f"{trouble.subscriber} dead"
            findings.append(
                Finding(Reason.DEAD_LETTER, _dead_words(trouble), short, trouble.since, _delivery_page(trouble))
            )
    if order.stalled_at is not None:
        words = STALLED_REASONS.get(order.stalled_reason, order.stalled_reason)
        why = f"stalled ({order.stalled_reason}): {words}"
        findings.append(Finding(Reason.STALLED, why, words, order.stalled_at, _order_page(order)))
    waited_on = waits_on(order)
    for trouble in stopped:
        if trouble.state == DISCARDED and trouble.subscriber.partition(".")[0] in waited_on:
            words = f"{trouble.subscriber} discarded on {trouble.event_type}: nothing will run this step"
            short = f"{trouble.subscriber} discarded"
            findings.append(Finding(Reason.STEP_DISCARDED, words, short, trouble.since, _delivery_page(trouble)))
    findings.extend(_past_deadline(order, now, limits))
    return sorted(findings, key=lambda finding: (list(Reason).index(finding.reason), finding.since))


def _past_deadline(order: Order, now: datetime, limits: Limits) -> Iterable[Finding]:
    if order.status == Status.PENDING and order.payment_due_by + limits.pending < now:
        late = _ago(now, order.payment_due_by)
        words = f"pending {late} past its payment deadline, not cancelled"
        yield Finding(
            Reason.PAYMENT_OVERDUE, words, f"payment {late} overdue", order.payment_due_by, _order_page(order)
        )
    if (
        order.status == Status.PAID
        and order.updated_at + limits.paid < now
        and order.stalled_reason != "not_booked_by_deadline"
        and order.cancel_requested_at is None
    ):
        news = f"shipment {order.shipment_status}" if order.shipment_status else "no shipment news"
        words = f"paid, {news} for {_ago(now, order.updated_at)}"
        yield Finding(Reason.PAID_WITHOUT_NEWS, words, words, order.updated_at, _order_page(order))
    asked = order.cancel_requested_at
    if (
        asked is not None
        and _cancellation_open(order)
        and asked + limits.cancelling < now
        and order.stalled_reason != "cancellation_unanswered"
    ):
        words = f"cancellation ({order.cancel_requested_reason or 'asked'}) unanswered for {_ago(now, asked)}"
        short = f"cancellation unanswered for {_ago(now, asked)}"
        yield Finding(Reason.CANCELLATION_UNANSWERED, words, short, asked, _order_page(order))


def _past_limits(now: datetime, limits: Limits) -> Q:
    """The orders that may be past a deadline (``_past_deadline`` decides), in one filter."""
    return (
        Q(status=Status.PENDING, payment_due_by__lt=now - limits.pending)
        | Q(status=Status.PAID, updated_at__lt=now - limits.paid)
        | (Q(cancel_requested_at__lt=now - limits.cancelling) & ~Q(status__in=[Status.CANCELLED, Status.SHIPPED]))
    )


def _cancellation_open(order: Order) -> bool:
    return order.cancel_requested_at is not None and order.status not in (Status.CANCELLED, Status.SHIPPED)


def waits_on(order: Order) -> frozenset[str]:
    """The contexts whose steps this order's saga still waits on (none once it has ended): the context
    its news is to come from (payments for a payment while ``pending``, and for a refund while
    ``cancelled`` with more paid than refunded; shipping for a booking while ``paid``, and for the
    answer to an open cancellation), and orders itself, whose handlers are to hear that news.

    A subscriber belongs to the context its id starts with (``payments.charge_order``, the default id
    of a handler in ``payments``): a discarded delivery of any other subscriber (a notifier, an
    audit trail) leaves this saga where it was.
    """
    news_from = set()
    if order.status == Status.PENDING:
        news_from.add(_context(payments_events.PaymentSucceeded))
    if order.status == Status.PAID or _cancellation_open(order):
        news_from.add(_context(shipping_events.ShipmentCreated))
    if order.status == Status.CANCELLED and order.amount_paid > order.amount_refunded:
        news_from.add(_context(payments_events.PaymentRefunded))
    return frozenset({Order._meta.app_label, *news_from}) if news_from else frozenset()


def _context(event: type[Event]) -> str:
    """The context that publishes this event: its type's prefix (``payments.PaymentSucceeded``)."""
    return event.event_type.partition(".")[0]


def _by_order(troubles: Iterable[TroubledDelivery]) -> dict[UUID, list[TroubledDelivery]]:
    """The troubles of correlations that are orders (an order's id is its saga's correlation id)."""
    grouped: dict[UUID, list[TroubledDelivery]] = {}
    for trouble in troubles:
        try:
            order_id = UUID(trouble.correlation_id)
        except ValueError:
            continue
        grouped.setdefault(order_id, []).append(trouble)
    return grouped


def _flag(finding: Finding) -> Flag:
    attention = {Reason.DEAD_LETTER: Attention.DEAD, Reason.STALLED: Attention.STALLED}.get(
        finding.reason, Attention.STUCK
    )
    return Flag(attention, finding.short, finding.why, finding.link)


def _dead_words(trouble: TroubledDelivery) -> str:
    error = _error_line(trouble.last_error) if trouble.last_error else "no error recorded"
    return f"{trouble.subscriber} dead after {trouble.attempts} attempt(s) on {trouble.event_type}: {error}"


def _error_line(error: str) -> str:
    return error.splitlines()[0][:80] if error else ""


def _as_retrying(trouble: TroubledDelivery) -> Retrying:
    """A retrying delivery as the order page's ``saga_health`` sees it: its next attempt is the one after those made."""
    return Retrying(
        subscriber=trouble.subscriber,
        event_type=trouble.event_type,
        next_attempt=trouble.attempts + 1,
        max_attempts=trouble.max_attempts,
        due_at=trouble.next_attempt_at,
        error=trouble.last_error,
    )


def _ago(later: datetime, earlier: datetime) -> str:
    seconds = int((later - earlier).total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def _order_page(order: Order) -> str:
    return _admin_page("admin:orders_order_change", order.pk)


def _delivery_page(trouble: TroubledDelivery) -> str:
    return _admin_page("admin:eventbus_delivery_change", trouble.delivery_id)


def _admin_page(name: str, pk: object) -> str:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:  # no admin in this deployment
        return ""
