"""Stuck sagas: orders whose saga stopped and waits for a person, with why, since when and where to look.

What counts is per saga state (docs/saga.md, "Stuck sagas"): a dead letter in the saga (any state:
a dead refund leaves money captured on a cancelled order); a stall a saga deadline set; a discarded
step in a saga that still waits for it; and an order past its state's deadline by a grace
(``ORDERS_STUCK_*_SECONDS``): ``pending`` past its payment deadline, ``paid`` without news,
a cancellation unanswered. Orders reads the bus's facts through its public API
(``troubled_deliveries``), this database's only: in a split deployment the other services' dead
letters show on their own ``/metrics`` and admin, and the age findings still catch their effect.

Every function here reads a bounded number of queries, whatever the number of orders.
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

from eventbus import TroubledDelivery, troubled_deliveries

from .models import Order

Status = Order.Status
DEAD, DISCARDED = "dead", "discarded"


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


STALL_WORDS = {
    "not_booked_by_deadline": "paid, not booked by its deadline",
    "cancellation_unanswered": "cancellation not answered by shipping by its deadline",
}


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
class Flag:
    """One order's line in the order list's "needs attention" column."""

    attention: Attention
    short: str
    why: str
    link: str


def stuck_sagas(now: datetime | None = None, limits: Limits | None = None) -> list[StuckSaga]:
    """Every stuck saga, the longest stuck first: two queries (the bus's troubles, then the orders)."""
    now, limits = now or timezone.now(), limits or Limits.from_settings()
    troubles = _by_order(trouble for trouble in troubled_deliveries() if not trouble.retrying)
    candidates = Order.objects.filter(
        _past_limits(now, limits) | Q(stalled_at__isnull=False) | Q(id__in=list(troubles))
    )
    found = []
    for order in candidates:
        findings = assess(order, troubles.get(order.id, []), now=now, limits=limits)
        if findings:
            found.append(StuckSaga(order, tuple(findings)))
    return sorted(found, key=lambda saga: (saga.since, str(saga.order.id)))


def count_by_reason(now: datetime | None = None) -> dict[Reason, int]:
    """Stuck sagas by their most pressing reason, every reason present (0 when none)."""
    counted = Counter(saga.reason for saga in stuck_sagas(now))
    return {reason: counted[reason] for reason in Reason}


def flags(orders: Sequence[Order], now: datetime | None = None) -> dict[UUID, Flag]:
    """The "needs attention" flag of each of these orders that has one: one query to the bus."""
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
            words = _retrying_words(retrying[0], now)
            flagged[order.id] = Flag(Attention.RETRYING, words, words, _delivery_page(retrying[0]))
    return flagged


def needing_attention(orders: QuerySet[Order], attention: Attention, now: datetime | None = None) -> QuerySet[Order]:
    """These orders narrowed to those flagged (``stuck``: stuck for any reason)."""
    if attention == Attention.STALLED:
        return orders.filter(stalled_at__isnull=False)
    if attention == Attention.STUCK:
        return orders.filter(id__in=[saga.order.id for saga in stuck_sagas(now)])
    if attention == Attention.DEAD:
        flagged = [trouble for trouble in troubled_deliveries() if trouble.state == DEAD]
    else:
        flagged = [trouble for trouble in troubled_deliveries() if trouble.retrying]
    return orders.filter(id__in=list(_by_order(flagged)))


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
        words = STALL_WORDS.get(order.stalled_reason, order.stalled_reason)
        why = f"stalled ({order.stalled_reason}): {words}"
        findings.append(Finding(Reason.STALLED, why, words, order.stalled_at, _order_page(order)))
    if _still_waits(order):
        for trouble in stopped:
            if trouble.state == DISCARDED:
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


def _still_waits(order: Order) -> bool:
    """Whether a discarded step can leave this saga short: it has not ended, or it ended cancelled
    with money captured and not refunded."""
    if order.status in (Status.PENDING, Status.PAID) or _cancellation_open(order):
        return True
    return order.status == Status.CANCELLED and order.amount_paid > order.amount_refunded


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
    error = trouble.last_error.splitlines()[0][:80] if trouble.last_error else "no error recorded"
    return f"{trouble.subscriber} dead after {trouble.attempts} attempt(s) on {trouble.event_type}: {error}"


def _retrying_words(trouble: TroubledDelivery, now: datetime) -> str:
    of = f" of {trouble.max_attempts}" if trouble.max_attempts else ""
    when = trouble.next_attempt_at
    next_in = f", next in {_ago(when, now)}" if when is not None and when > now else ", due now"
    return f"{trouble.subscriber}: attempt {trouble.attempts}{of} failed{next_in}"


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
