"""What happened: a saga's story (its events in causal order, with their deliveries), and outcomes by subscriber."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import models

from eventbus.models import Delivery, OutboxEvent

State = Delivery.State


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
    deliveries = Delivery.objects.filter(event__correlation_id=correlation_id).order_by("event_id", "subscriber")
    for event_id, *step in deliveries.values_list("event_id", *STEP_COLUMNS):
        steps.setdefault(event_id, []).append(DeliveryStep(*step))
    events = OutboxEvent.objects.filter(correlation_id=correlation_id).order_by("id").values_list(*EVENT_COLUMNS)
    return in_causal_order([_event(*row, deliveries=steps.get(row[0], [])) for row in events])


# What a timeline reads, as tuples: no model instances, and not the payloads.
STEP_COLUMNS = ("id", "subscriber", "state", "attempts", "last_error", "duration_ms", "finished_at")
EVENT_COLUMNS = ("id", "event_id", "type", "version", "time", "deliver_at", "dispatched_at", "causation_id")


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
