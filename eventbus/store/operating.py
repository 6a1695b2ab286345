"""Operators' state changes: retry, discard, replay, backfill, hand over, pause, resume; and their audit trail."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet

from eventbus.kernel.fingerprint import fingerprint
from eventbus.models import Delivery, OperatorAction, OutboxEvent, Subscription
from eventbus.store.delivering import new_delivery
from eventbus.store.waiting import State

DEAD_LETTERS_GROUPED = 10_000
"""The grouping reads at most this many dead letters, oldest first: a fingerprint is computed in Python,
so the scan is bounded; past it, the groups say how many they left out."""


def dead_letters() -> QuerySet[Delivery]:
    return Delivery.objects.filter(state=State.DEAD).select_related("event").order_by("id")


@dataclass
class DeadLetterGroup:
    """Dead letters of one subscriber that failed the same way (the same error fingerprint)."""

    subscriber: str
    fingerprint: str
    sample_id: int
    sample_error: str
    ids: list[int] = field(default_factory=list)
    oldest: datetime | None = None
    newest: datetime | None = None

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def last_id(self) -> int:
        """A group action acts on the group's dead letters up to this id: those the operator saw."""
        return self.ids[-1]

    def add(self, delivery_id: int, finished_at: datetime | None) -> None:
        self.ids.append(delivery_id)
        if finished_at is not None:
            self.oldest = min(self.oldest or finished_at, finished_at)
            self.newest = max(self.newest or finished_at, finished_at)


@dataclass(frozen=True)
class DeadLetterGroups:
    groups: list[DeadLetterGroup]
    grouped: int
    total: int

    @property
    def left_out(self) -> int:
        """Dead letters past the bounded scan: act on the groups shown, and the next ones appear."""
        return self.total - self.grouped


def dead_letter_groups(*, subscriber: str = "", limit: int = DEAD_LETTERS_GROUPED) -> DeadLetterGroups:
    """Dead letters grouped by subscriber and error fingerprint, largest group first; at most ``limit``
    read (oldest first), on any database: the fingerprint is computed here, not in SQL."""
    letters = dead_letters().filter(subscriber=subscriber) if subscriber else dead_letters()
    rows = letters.values_list("id", "subscriber", "finished_at", "last_error")[:limit]
    groups: dict[tuple[str, str], DeadLetterGroup] = {}
    for delivery_id, name, finished_at, error in rows:
        key = (name, fingerprint(error))
        if key not in groups:
            groups[key] = DeadLetterGroup(name, key[1], delivery_id, error)
        groups[key].add(delivery_id, finished_at)
    ordered = sorted(groups.values(), key=lambda group: (-group.count, group.subscriber, group.fingerprint))
    grouped = sum(group.count for group in ordered)
    total = letters.count() if grouped == limit else grouped
    return DeadLetterGroups(ordered, grouped, total)


def dead_letter_group(subscriber: str, error_fingerprint: str, *, up_to: int) -> list[int]:
    """The ids of ``subscriber``'s dead letters up to id ``up_to`` whose error has this fingerprint."""
    rows = dead_letters().filter(subscriber=subscriber, id__lte=up_to).values_list("id", "last_error")
    return [
        delivery_id for delivery_id, error in rows[:DEAD_LETTERS_GROUPED] if fingerprint(error) == error_fingerprint
    ]


def steps_of(deliveries: QuerySet[Delivery], *, limit: int = DEAD_LETTERS_GROUPED) -> dict[tuple[str, str], list[str]]:
    """The (subscriber, event type) pairs of ``deliveries`` and the correlation ids (sagas) of each."""
    sagas: dict[tuple[str, str], dict[str, None]] = {}
    rows = deliveries.order_by("id").values_list("subscriber", "event__type", "event__correlation_id")[:limit]
    for subscriber, event_type, correlation_id in rows:
        sagas.setdefault((subscriber, event_type), {})[correlation_id] = None
    return {step: list(correlation_ids) for step, correlation_ids in sagas.items()}


def reactions() -> list[tuple[str, str, list[str]]]:
    """Each active subscriber as data: its id, the event type it handles, the event types it may publish."""
    active = Subscription.objects.filter(retired_at__isnull=True).order_by("id")
    return [(row.id, row.event_type, list(row.publishes or [])) for row in active]


@dataclass(frozen=True)
class Operator:
    """Who acts, through which door (``admin``, ``cli``, ``api``), and why: what the audit trail keeps."""

    name: str
    via: str
    reason: str = ""


def audit(operator: Operator, action: str, target: str, *, count: int | None, now: datetime) -> int:
    """Record an operator's action, in the transaction of the change it made; the record's id."""
    return OperatorAction.objects.create(
        at=now,
        operator=operator.name,
        via=operator.via,
        action=action,
        target=target,
        count=count,
        reason=operator.reason,
    ).pk


def audit_more(record_id: int, count: int) -> None:
    """Add to a chunked action's count, in the transaction of the chunk it changed."""
    OperatorAction.objects.filter(pk=record_id).update(count=F("count") + count)


def retry(deliveries: QuerySet[Delivery], *, now: datetime) -> list[int]:
    """Give dead (or discarded) deliveries a fresh set of attempts, due now; the ids changed."""
    return _change(
        deliveries,
        [State.DEAD, State.DISCARDED],
        state=State.PENDING,
        attempts=0,
        available_at=now,
        finished_at=None,
        claim_token=None,
    )


def discard(deliveries: QuerySet[Delivery], *, now: datetime) -> list[int]:
    """Give up on dead deliveries for good (this unblocks later ones of an ordered key); the ids changed."""
    return _change(deliveries, [State.DEAD], state=State.DISCARDED, finished_at=now)


def replay(deliveries: QuerySet[Delivery], *, now: datetime) -> list[int]:
    """Run finished deliveries again, with fresh attempts; open ones are left as they are. The ids changed."""
    return _change(
        deliveries,
        [State.DONE, State.DEAD, State.DISCARDED],
        state=State.PENDING,
        attempts=0,
        available_at=now,
        finished_at=None,
        claim_token=None,
        last_error="",
        last_traceback="",
    )


def _change(deliveries: QuerySet[Delivery], states: list[State], **changes: Any) -> list[int]:
    """Update those of ``deliveries`` in ``states`` (locked first, so the ids are exactly those changed)."""
    ids = list(deliveries.filter(state__in=states).select_for_update().values_list("id", flat=True))
    Delivery.objects.filter(id__in=ids).update(**changes)
    return ids


def backfill(subscription: Subscription, *, since: datetime, now: datetime) -> int:
    """Create the deliveries ``subscription`` lacks for its event type's events published since then."""
    events = (
        OutboxEvent.objects.filter(type=subscription.event_type, time__gte=since, dispatched_at__isnull=False)
        .exclude(deliveries__subscriber=subscription.id)
        .order_by("id")
        .values_list("id", "key")
    )
    created = 0
    for chunk in _chunks(events.iterator(chunk_size=1000), 1000):
        Delivery.objects.bulk_create(
            [new_delivery(event_id, key, subscription, now) for event_id, key in chunk], ignore_conflicts=True
        )
        created += len(chunk)
    return created


def hand_over(moved: list[str], *, now: datetime, chunk: int = 500) -> Iterator[list[int]]:
    """After a split's switch: the pending deliveries of the ``moved`` subscribers (their context runs
    in another service now) go to the forwarding subscriber of their event type instead.

    Per chunk, in one transaction: a forwarding delivery for each event (none is made twice: the
    (event, subscriber) pair is unique), and the local delivery discarded, noted "handed over". An
    event that one of the moved subscribers handled already stays: forwarded, it would be handled by
    all of them again. Yields the ids handed over, chunk by chunk, inside each chunk's transaction.
    """
    active = Subscription.objects.filter(retired_at__isnull=True)
    forwarding = {row.event_type: row for row in active.exclude(forward_to="")}
    handled = Delivery.objects.filter(subscriber__in=moved, state=State.DONE).values("event_id")
    while True:
        with transaction.atomic():
            stranded = list(
                Delivery.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(subscriber__in=moved, state=State.PENDING, event__type__in=list(forwarding))
                .exclude(event_id__in=handled)
                .select_related("event")
                .order_by("id")[:chunk]
            )
            if not stranded:
                return
            Delivery.objects.bulk_create(
                [new_delivery(found.event_id, found.key, forwarding[found.event.type], now) for found in stranded],
                ignore_conflicts=True,
            )
            ids = [found.id for found in stranded]
            Delivery.objects.filter(id__in=ids).update(
                state=State.DISCARDED, finished_at=now, last_error="handed over: its context runs in another service"
            )
            yield ids


def pause(subscriber: str, *, reason: str, now: datetime) -> int:
    """Pause ``subscriber`` unless it is paused already (its first pause and reason stand); 1 if it was."""
    return Subscription.objects.filter(id=subscriber, paused_at__isnull=True).update(
        paused_at=now, paused_reason=reason
    )


def resume(subscriber: str) -> int:
    """Resume ``subscriber`` if it is paused; 1 if it was."""
    return Subscription.objects.filter(id=subscriber, paused_at__isnull=False).update(paused_at=None, paused_reason="")


def _chunks[T](items: Iterable[T], size: int) -> Iterable[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
