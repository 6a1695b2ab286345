"""The engine's state changes: relay (fan-out), claim, handle, fail, hand back, re-drive lost leases."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from uuid import UUID

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from eventbus import conf
from eventbus.kernel.errors import HandlerTimeout
from eventbus.models import Delivery, DeliveryAttempt, OutboxEvent, Subscription
from eventbus.store import statements
from eventbus.store.waiting import State, due_deliveries, due_events


@dataclass(frozen=True)
class Relayed:
    events: int
    queues: frozenset[str]


@dataclass(frozen=True)
class Claim:
    """Deliveries of one subscriber leased to ``token``, in the order they are to be handled."""

    token: UUID
    subscriber: str
    ids: tuple[int, ...]
    more_due: bool
    claimed_at: datetime
    leased: tuple[Delivery, ...] = field(default=(), compare=False, repr=False)
    """The deliveries as the claim leased them, with their events, when it read them as it leased."""

    def now(self) -> datetime:
        """The present, never before the claim's own time (tests claim at a simulated later time)."""
        return max(timezone.now(), self.claimed_at)

    def stale(self, delivery_id: int) -> Attempt:
        """The attempt of a claimed delivery this claim no longer holds (re-driven, or finished)."""
        return Attempt(Delivery(id=delivery_id, subscriber=self.subscriber), "stale")


@dataclass(frozen=True)
class Attempt:
    """What became of one claimed delivery: the engine reports it, the metrics count it."""

    delivery: Delivery
    outcome: str  # "handled", "retry", "dead" or "stale"
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_ms: float | None = None
    retry_at: datetime | None = None


def relay(limit: int, *, now: datetime) -> tuple[Relayed, list[tuple[str, str]]]:
    """Turn up to ``limit`` due outbox rows into one pending delivery per subscription.

    Fan-out reads the Subscription table (retired subscribers excluded), never this process's
    imports. Rows are claimed with ``FOR UPDATE SKIP LOCKED``, so relays run side by side; the
    unique (event, subscriber) constraint makes a repeat harmless. Also returns the rows' trace
    contexts, for the relay's span. On PostgreSQL it is one statement (``statements.RELAY``).
    """
    if statements.on_postgresql():
        rows = statements.relay(limit, now=now)
        queues = frozenset(queue for *_, relayed_to in rows for queue in relayed_to)
        return Relayed(len(rows), queues), [(traceparent, tracestate) for traceparent, tracestate, _ in rows]
    return _relay_with_orm(limit, now=now)


def _relay_with_orm(limit: int, *, now: datetime) -> tuple[Relayed, list[tuple[str, str]]]:
    with transaction.atomic(savepoint=False):
        rows = list(
            due_events(now)
            .select_for_update(skip_locked=True)
            .order_by("deliver_at", "id")
            .values_list("id", "type", "key", "traceparent", "tracestate")[:limit]
        )
        if not rows:
            return Relayed(0, frozenset()), []
        subscriptions = active_subscriptions({row[1] for row in rows})
        deliveries = [
            new_delivery(event_id, key, found, now)
            for event_id, event_type, key, *_ in rows
            for found in subscriptions.get(event_type, [])
        ]
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        OutboxEvent.objects.filter(id__in=[row[0] for row in rows]).update(dispatched_at=now)
    queues = frozenset(found.queue for row in rows for found in subscriptions.get(row[1], []))
    return Relayed(len(rows), queues), [(row[3], row[4]) for row in rows]


def active_subscriptions(event_types: set[str], *, forwarding: bool = True) -> dict[str, list[Subscription]]:
    """The subscriptions (not retired) of each of ``event_types``, by id; without the forwarding ones
    when ``forwarding`` is False (an event received from another service never goes out again)."""
    rows = Subscription.objects.filter(event_type__in=event_types, retired_at__isnull=True)
    found: dict[str, list[Subscription]] = {}
    for row in (rows if forwarding else rows.filter(forward_to="")).order_by("id"):
        found.setdefault(row.event_type, []).append(row)
    return found


def new_delivery(event_id: int, key: str, subscription: Subscription, now: datetime) -> Delivery:
    """A pending delivery of one event to one subscription, due now."""
    return Delivery(
        event_id=event_id,
        subscriber=subscription.id,
        key=key,
        ordered=subscription.ordered,
        available_at=now,
        created_at=now,
    )


def claim(subscribers: list[str], limit: int, *, now: datetime, token: UUID) -> Claim | None:
    """Lease up to ``limit`` due deliveries of one of ``subscribers`` to ``token``; one attempt each.

    Paused subscribers are left out (their deliveries wait, and spend no attempts).

    The subscriber is the one whose delivery has waited longest, so subscribers take turns, and a
    slow one occupies one worker while another worker claims the next subscriber's work. Rows that
    other workers hold are skipped.
    """
    if not subscribers:
        return None
    lease_expires_at = now + timedelta(seconds=conf.current().lease_seconds)
    leased: tuple[Delivery, ...] = ()
    if statements.on_postgresql():
        rows, picked = statements.claim(subscribers, limit, now=now, token=token, lease_expires_at=lease_expires_at)
        if not rows:
            return None
        leased = tuple(rows)
        ids, subscriber = tuple(delivery.id for delivery in leased), leased[0].subscriber
    else:
        found = _claim_with_orm(subscribers, limit, now=now, token=token, lease_expires_at=lease_expires_at)
        if found is None:
            return None
        ids, subscriber, picked = found
    more_due = picked > len(ids) or picked == limit
    return Claim(token, subscriber, ids, more_due, claimed_at=now, leased=leased)


def _claim_with_orm(
    subscribers: list[str], limit: int, *, now: datetime, token: UUID, lease_expires_at: datetime
) -> tuple[tuple[int, ...], str, int] | None:
    """(ids leased, their subscriber, deliveries picked), or None when nothing was due."""
    with transaction.atomic(savepoint=False):
        picked = list(
            due_deliveries(now)
            .filter(subscriber__in=subscribers)
            .exclude(subscriber__in=Subscription.objects.filter(paused_at__isnull=False).values("id"))
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("available_at", "id")
            .values_list("id", "subscriber")[:limit]
        )
        if not picked:
            return None
        subscriber = picked[0][1]
        ids = tuple(id for id, owner in picked if owner == subscriber)
        Delivery.objects.filter(id__in=ids).update(
            state=State.RUNNING,
            attempts=F("attempts") + 1,
            claim_token=token,
            started_at=now,
            lease_expires_at=lease_expires_at,
        )
    return ids, subscriber, len(picked)


def claimed(claim: Claim) -> dict[int, Delivery]:
    """The claim's deliveries, with their events: as it leased them (PostgreSQL), or those still
    leased to it, read in one statement for the whole claim.

    Either way each delivery's own transaction proves the lease again before its handler runs
    (``start_handling``), and a sent one is finished only if still held (``finish_sent``).
    """
    if claim.leased:
        return {delivery.id: delivery for delivery in claim.leased}
    return {row.id: row for row in statements.claimed(claim.ids, claim.token)}


def start_handling(delivery_id: int, token: UUID) -> bool:
    """Inside the handler's transaction: mark the delivery done, so it commits with the effects.

    The UPDATE also locks the row and proves the claim; False means the lease was re-driven
    elsewhere (or it is finished), and the caller must not run the handler.
    """
    return statements.start_handling(delivery_id, token, at=timezone.now())


def finish_sent(ids: list[int], token: UUID, *, at: datetime, duration_ms: float) -> set[int]:
    """Deliveries sent out of this database (no handler transaction): done together, in one transaction.

    Returns those the claim still held; one whose lease was re-driven elsewhere is left alone.
    """
    if not ids:
        return set()
    started_at = at - timedelta(milliseconds=duration_ms)
    with transaction.atomic(savepoint=False):
        held = dict(
            Delivery.objects.select_for_update()
            .filter(id__in=ids, claim_token=token, state=State.RUNNING)
            .values_list("id", "attempts")
        )
        Delivery.objects.filter(id__in=held).update(
            state=State.DONE, finished_at=at, duration_ms=duration_ms, lease_expires_at=None
        )
        DeliveryAttempt.objects.bulk_create(
            DeliveryAttempt(
                delivery_id=id,
                number=number,
                started_at=started_at,
                finished_at=at,
                duration_ms=duration_ms,
                outcome=DeliveryAttempt.Outcome.DONE,
            )
            for id, number in held.items()
        )
    return set(held)


def record_durations(durations: dict[int, tuple[datetime, float]]) -> None:
    """After a batch: when each finished delivery's handler ended and how long it ran (on the delivery
    and on its attempt, recorded as it started)."""
    if durations:
        statements.record_durations(durations)


def fail(
    delivery_id: int,
    token: UUID,
    *,
    error: str,
    trace: str,
    retry_at: datetime | None,
    duration_ms: float | None,
) -> bool:
    """A failed attempt: pending again at ``retry_at``, or dead when that is None; the attempt is
    recorded with it, in one transaction (failed, timeout or dead, with its error)."""
    now = timezone.now()
    fields: dict[str, object] = {
        "last_error": error,
        "last_traceback": trace,
        "duration_ms": duration_ms,
        "lease_expires_at": None,
    }
    if retry_at is None:
        fields |= {"state": State.DEAD, "finished_at": now}
    else:
        fields |= {"state": State.PENDING, "available_at": retry_at}
    with transaction.atomic(savepoint=False):
        if not Delivery.objects.filter(id=delivery_id, claim_token=token, state=State.RUNNING).update(**fields):
            return False
        statements.record_attempt(
            delivery_id,
            started_at=now - timedelta(milliseconds=duration_ms or 0),
            finished_at=now,
            duration_ms=duration_ms,
            outcome=failure_outcome(error, dead=retry_at is None),
            error=error,
        )
    return True


def failure_outcome(error: str, *, dead: bool) -> DeliveryAttempt.Outcome:
    """How a failed attempt ended: dead-lettered, past its time limit, or failed."""
    if dead:
        return DeliveryAttempt.Outcome.DEAD
    if error.startswith(f"{HandlerTimeout.__name__}:"):
        return DeliveryAttempt.Outcome.TIMEOUT
    return DeliveryAttempt.Outcome.FAILED


def hand_back(ids: Iterable[int], token: UUID, *, now: datetime) -> int:
    """Return claimed deliveries that were never started: due now, their attempt given back."""
    return Delivery.objects.filter(id__in=list(ids), claim_token=token, state=State.RUNNING).update(
        state=State.PENDING, attempts=F("attempts") - 1, available_at=now, lease_expires_at=None, claim_token=None
    )


def release_expired_leases(limit: int = 1000, *, now: datetime | None = None) -> int:
    """Re-drive running deliveries whose lease ran out; rows a live worker still locks are skipped.

    A claim is handled in order, each delivery in its own transaction, so of a lost claim's
    deliveries still running, the first was being handled when the worker died: it keeps its
    attempt (a handler that kills its worker every time ends up dead-lettered); the others never
    started, and get theirs back. (A forwarding claim is sent at once, so all of its deliveries
    were under way; its attempts are unbounded, so the count it gives back changes nothing.)
    """
    now = now or timezone.now()
    limits = dict(Subscription.objects.values_list("id", "max_attempts"))
    released = 0
    with transaction.atomic():
        expired = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(state=State.RUNNING, lease_expires_at__lt=now)
            .order_by("claim_token", "available_at", "id")[:limit]
        )
        for token, claimed_together in groupby(expired, key=lambda delivery: delivery.claim_token):
            lost, *never_started = claimed_together
            if token is not None:
                hand_back([delivery.id for delivery in never_started], token, now=now)
            _release_lost(lost, now, limits.get(lost.subscriber) or conf.current().max_attempts)
            released += 1 + len(never_started)
    return released


def _release_lost(delivery: Delivery, now: datetime, max_attempts: int) -> None:
    error = f"lease expired during attempt {delivery.attempts}: the worker was lost"
    dead = delivery.attempts >= max_attempts
    fields = {"state": State.DEAD, "finished_at": now} if dead else {"state": State.PENDING, "available_at": now}
    Delivery.objects.filter(id=delivery.id).update(last_error=error, lease_expires_at=None, claim_token=None, **fields)
    DeliveryAttempt.objects.create(
        delivery_id=delivery.id,
        number=delivery.attempts,
        started_at=delivery.started_at or now,
        finished_at=now,
        outcome=DeliveryAttempt.Outcome.DEAD if dead else DeliveryAttempt.Outcome.LOST,
        error=error,
    )
