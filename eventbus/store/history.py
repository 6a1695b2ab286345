"""What happened: a saga's story (its events in causal order, with their deliveries)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any
from uuid import UUID

from django.db import models
from django.db.models import F, FilteredRelation, Q

from eventbus.models import Delivery, DeliveryAttempt, OutboxEvent, Subscription

State = Delivery.State
Outcome = DeliveryAttempt.Outcome


@dataclass(frozen=True)
class AttemptStep:
    """One attempt of a delivery's handler (``DeliveryAttempt``)."""

    number: int
    started_at: datetime
    finished_at: datetime | None
    duration_ms: float | None
    outcome: str
    error: str

    @property
    def failed(self) -> bool:
        return self.outcome != Outcome.DONE


@dataclass(frozen=True)
class DeliveryStep:
    id: int
    subscriber: str
    state: str
    attempts: int
    last_error: str
    duration_ms: float | None
    finished_at: datetime | None
    service: str = ""
    """The service whose database holds it, when a split deployment's timeline joins several; "" here."""
    available_at: datetime | None = None
    """When it is (or was) due: a pending one's next attempt."""
    history: tuple[AttemptStep, ...] = ()
    """Its attempts, oldest first (none from a peer that does not keep them)."""

    @property
    def current_error(self) -> str:
        """The error that stands now: none once the delivery is done (a recovered one's errors are its
        past attempts'), nor for one that was discarded or retried by an operator without failing since:
        only a dead one's, and a retrying one's (pending or running after a failed attempt)."""
        stands = self.state == State.DEAD or (self.state in (State.PENDING, State.RUNNING) and self.attempts > 0)
        return self.last_error if stands else ""

    @property
    def past_failures(self) -> tuple[AttemptStep, ...]:
        return tuple(attempt for attempt in self.history if attempt.failed)

    @property
    def ended_at(self) -> datetime | None:
        """When its latest attempt ended: its own time, not the batch's it was recorded with."""
        ends = [attempt.finished_at for attempt in self.history if attempt.finished_at]
        return ends[-1] if ends else self.finished_at


class Progress(models.TextChoices):
    """Where the handling of one event stands, across all its subscribers."""

    SCHEDULED = "scheduled"  # held back until its deliver_at, not yet due
    OPEN = "open"  # waiting for the relay, being handled, or waiting for a retry
    STOPPED = "stopped"  # a delivery is dead, or was discarded: it waits for an operator, or never will run
    FINISHED = "finished"


@dataclass(frozen=True)
class TimelineEvent:
    id: UUID
    position: int
    type: str
    version: int
    time: datetime
    deliver_at: datetime
    dispatched_at: datetime | None
    causation_id: UUID | None
    depth: int
    deliveries: tuple[DeliveryStep, ...]

    def progress(self, now: datetime) -> Progress:
        states = {delivery.state for delivery in self.deliveries}
        if self.dispatched_at is None:
            return Progress.SCHEDULED if self.deliver_at > now else Progress.OPEN
        if states & {State.DEAD, State.DISCARDED}:
            return Progress.STOPPED
        return Progress.OPEN if states & {State.PENDING, State.RUNNING} else Progress.FINISHED


def in_causal_order(events: list[TimelineEvent]) -> list[TimelineEvent]:
    """Events each followed by those it caused (depth-first), siblings in publish order."""
    known = {event.id for event in events}
    children: dict[UUID | None, list[TimelineEvent]] = {}
    for event in sorted(events, key=lambda found: (found.time, found.position)):
        children.setdefault(event.causation_id if event.causation_id in known else None, []).append(event)

    def walk(cause: UUID | None, depth: int) -> Iterator[TimelineEvent]:
        for event in children.get(cause, []):
            yield dataclasses.replace(event, depth=depth)
            yield from walk(event.id, depth + 1)

    return list(walk(None, 0))


def timeline(correlation_id: str) -> list[TimelineEvent]:
    """This database's events of one correlation id, each followed by the events it caused (depth-first).

    Siblings keep publish order; an event whose cause is not in the saga (or was purged) starts a
    branch of its own.
    """
    steps: dict[int, list[DeliveryStep]] = {}
    rows = (
        Delivery.objects.filter(event__correlation_id=correlation_id)
        .alias(recent=FilteredRelation("attempt_history", condition=RECENT_ATTEMPTS))
        .order_by("event_id", "subscriber", "id", "recent__started_at", "recent__id")
        .values_list("event_id", *STEP_COLUMNS, *ATTEMPT_COLUMNS)
    )
    # One statement: each delivery's row repeated for each of its recent attempts (once, without any).
    for _, group in groupby(rows, key=lambda row: row[1]):
        found = list(group)
        event_id, id, subscriber, state, attempts, last_error, duration_ms, finished_at, available_at = found[0][:9]
        history = tuple(AttemptStep(*row[9:]) for row in found if row[9] is not None)
        steps.setdefault(event_id, []).append(
            DeliveryStep(
                id,
                subscriber,
                state,
                attempts,
                last_error,
                duration_ms,
                finished_at,
                available_at=available_at,
                history=history,
            )
        )
    events = OutboxEvent.objects.filter(correlation_id=correlation_id).order_by("id").values_list(*EVENT_COLUMNS)
    return in_causal_order([_event(*row, deliveries=steps.get(row[0], [])) for row in events])


# What a timeline reads, as tuples: no model instances, and not the payloads.
STEP_COLUMNS = ("id", "subscriber", "state", "attempts", "last_error", "duration_ms", "finished_at", "available_at")
SHOWN_ATTEMPTS = 20
"""A timeline reads a delivery's attempts numbered above its attempt count less this: its last 20
(a forwarding delivery retries without end). An operator's retry starts a new set numbered from 1,
so until it has 20 attempts of its own the earlier sets' come with it."""
RECENT_ATTEMPTS = Q(attempt_history__number__gt=F("attempts") - SHOWN_ATTEMPTS)
ATTEMPT_COLUMNS = tuple(
    f"recent__{name}" for name in ("number", "started_at", "finished_at", "duration_ms", "outcome", "error")
)
EVENT_COLUMNS = ("id", "event_id", "type", "version", "time", "deliver_at", "dispatched_at", "causation_id")


@dataclass(frozen=True)
class SubscriberFacts:
    """What a picture of a saga needs of a subscription: its attempts allowed and the events it declares."""

    max_attempts: int
    publishes: tuple[str, ...]


def subscriber_facts(subscribers: set[str]) -> dict[str, SubscriberFacts]:
    """The subscriptions of ``subscribers`` known here (a peer's may not be)."""
    rows = Subscription.objects.filter(id__in=subscribers).values_list("id", "max_attempts", "publishes")
    return {id: SubscriberFacts(max_attempts, tuple(publishes or ())) for id, max_attempts, publishes in rows}


def _event(position: int, event_id: UUID, *columns: Any, deliveries: list[DeliveryStep]) -> TimelineEvent:
    type, version, time, deliver_at, dispatched_at, causation_id = columns
    return TimelineEvent(
        id=event_id,
        position=position,
        type=type,
        version=version,
        time=time,
        deliver_at=deliver_at,
        dispatched_at=dispatched_at,
        causation_id=causation_id,
        depth=0,
        deliveries=tuple(deliveries),
    )
