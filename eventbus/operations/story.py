"""A saga's story across services: this database's timeline, joined with each peer's part.

In a split deployment an event's deliveries live in the databases of the services that handled it:
the shop holds its own handlers' and its forwarding ones, payments its handlers'. The same event id
is in both (published in one, received in the other), so the peers' deliveries join the local
event they belong to, and an event only a peer holds (published there, needed by nobody here) takes
its place by causation. A peer that does not answer is left out and logged; the story is what answered.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.utils.dateparse import parse_datetime

from eventbus import conf
from eventbus.kernel.durations import duration_label
from eventbus.store.history import AttemptStep, DeliveryStep, TimelineEvent, in_causal_order, subscriber_facts
from eventbus.store.history import timeline as local_timeline
from eventbus.transport.peers import fetch_timeline, parse_peers

log = logging.getLogger(__name__)

SETTLING_WITHIN = timedelta(seconds=10)
SETTLING_STALE = timedelta(seconds=30)


def timeline(correlation_id: str, *, across_services: bool = True) -> list[TimelineEvent]:
    """Events of one correlation id, each followed by those it caused, with every service's deliveries
    (only this database's with ``across_services=False``: no call to a peer)."""
    here = local_timeline(correlation_id)
    settings = conf.current()
    peers = parse_peers(settings.peers) if across_services else {}
    if not peers:
        return here
    joined = {event.id: event for event in here}
    for service, url in sorted(peers.items()):
        found = fetch_timeline(url, correlation_id, token=settings.peer_token, timeout=settings.peer_timeout)
        try:
            theirs_all = [_event(raw, service) for raw in found or []]
        except (KeyError, TypeError, ValueError) as error:
            log.warning("peer %s answered a timeline this code cannot read: %s", service, error)
            continue
        for theirs in theirs_all:
            mine = joined.get(theirs.id)
            joined[theirs.id] = (
                theirs if mine is None else dataclasses.replace(mine, deliveries=mine.deliveries + theirs.deliveries)
            )
    return in_causal_order(list(joined.values()))


def as_json(events: list[TimelineEvent]) -> list[dict[str, Any]]:
    """This service's timeline, for a peer (``eventbus.peer_api``)."""
    return [
        {
            **{name: getattr(event, name) for name in ("position", "type", "version")},
            "id": str(event.id),
            "causation_id": str(event.causation_id) if event.causation_id else None,
            **{name: _time(getattr(event, name)) for name in ("time", "deliver_at", "dispatched_at")},
            "deliveries": [
                {
                    **{name: getattr(step, name) for name in ("id", "subscriber", "state", "attempts", "last_error")},
                    "duration_ms": step.duration_ms,
                    "finished_at": _time(step.finished_at),
                    "available_at": _time(step.available_at),
                    "history": [
                        {
                            **{name: getattr(attempt, name) for name in ("number", "duration_ms", "outcome", "error")},
                            "started_at": _time(attempt.started_at),
                            "finished_at": _time(attempt.finished_at),
                        }
                        for attempt in step.history
                    ],
                }
                for step in event.deliveries
            ],
        }
        for event in events
    ]


def _event(raw: dict[str, Any], service: str) -> TimelineEvent:
    return TimelineEvent(
        id=UUID(raw["id"]),
        position=int(raw["position"]),
        type=str(raw["type"]),
        version=int(raw["version"]),
        time=_parsed(raw["time"]),
        deliver_at=_parsed(raw["deliver_at"]),
        dispatched_at=parse_datetime(raw["dispatched_at"]) if raw["dispatched_at"] else None,
        causation_id=UUID(raw["causation_id"]) if raw["causation_id"] else None,
        depth=0,
        deliveries=tuple(
            DeliveryStep(
                id=int(step["id"]),
                subscriber=str(step["subscriber"]),
                state=str(step["state"]),
                attempts=int(step["attempts"]),
                last_error=str(step["last_error"]),
                duration_ms=step["duration_ms"],
                finished_at=parse_datetime(step["finished_at"]) if step["finished_at"] else None,
                service=service,
                # A peer running older code sends neither: its deliveries show without their attempts.
                available_at=parse_datetime(step["available_at"]) if step.get("available_at") else None,
                history=tuple(_attempt(attempt) for attempt in step.get("history") or ()),
            )
            for step in raw["deliveries"]
        ),
    )


def _attempt(raw: dict[str, Any]) -> AttemptStep:
    return AttemptStep(
        number=int(raw["number"]),
        started_at=_parsed(raw["started_at"]),
        finished_at=parse_datetime(raw["finished_at"]) if raw["finished_at"] else None,
        duration_ms=raw["duration_ms"],
        outcome=str(raw["outcome"]),
        error=str(raw["error"]),
    )


@dataclass(frozen=True)
class Retrying:
    """A delivery waiting for another attempt after a failed one."""

    subscriber: str
    event_type: str
    next_attempt: int
    max_attempts: int | None
    due_at: datetime | None
    error: str

    def in_words(self, now: datetime) -> str:
        """retrying: attempt 7 of 20, next in 4.0 s"""
        of = f" of {self.max_attempts}" if self.max_attempts else ""
        if self.due_at is None or self.due_at <= now:
            when = "due now"
        else:
            when = f"next in {duration_label((self.due_at - now).total_seconds() * 1000)}"
        return f"retrying: attempt {self.next_attempt}{of}, {when}"


@dataclass(frozen=True)
class DeadLetter:
    subscriber: str
    event_type: str
    delivery_id: int
    attempts: int
    error: str
    service: str


@dataclass(frozen=True)
class SagaHealth:
    """What is wrong with a saga now, and how long it took: a summary's facts, from its timeline."""

    dead: tuple[DeadLetter, ...]
    retrying: tuple[Retrying, ...]
    open: int
    """Deliveries not finished (pending or running), retrying ones included."""
    started_at: datetime | None
    ended_at: datetime | None
    """When its last finished attempt ended."""
    moments: tuple[datetime, ...] = ()
    """Each delivery not finished: a pending one's due time, a running one's start."""

    def settling(self, now: datetime) -> bool:
        """Whether the saga is about to change: a step started or came due in the last ``SETTLING_STALE``
        or comes due within ``SETTLING_WITHIN``. One due longer ago and still not taken waits on
        something else (its subscriber paused, no worker, an ordered key behind a dead letter)."""
        return any(now - SETTLING_STALE <= moment <= now + SETTLING_WITHIN for moment in self.moments)

    @property
    def took_ms(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds() * 1000

    @property
    def took(self) -> str:
        """The saga's time so far in words (first event to its last finished attempt), "" before any."""
        return "" if self.took_ms is None else duration_label(self.took_ms)


def saga_health(events: list[TimelineEvent]) -> SagaHealth:
    """Dead letters, retries in progress (with their subscription's attempts allowed) and total time."""
    deliveries = [(event, delivery) for event in events for delivery in event.deliveries]
    limits = subscriber_facts({delivery.subscriber for _, delivery in deliveries})
    dead = tuple(
        DeadLetter(d.subscriber, event.type, d.id, d.attempts, d.last_error, d.service)
        for event, d in deliveries
        if d.state == "dead"
    )
    retrying = tuple(
        Retrying(
            d.subscriber,
            event.type,
            d.attempts + 1,
            limits[d.subscriber].max_attempts if d.subscriber in limits else None,
            d.available_at,
            d.last_error,
        )
        for event, d in deliveries
        if d.state == "pending" and d.attempts > 0
    )
    ends = [end for _, d in deliveries if (end := d.ended_at) is not None]
    return SagaHealth(
        dead=dead,
        retrying=retrying,
        open=sum(d.state in ("pending", "running") for _, d in deliveries),
        started_at=min((event.time for event in events), default=None),
        ended_at=max(ends, default=None),
        moments=tuple(moment for _, d in deliveries if (moment := _moment(d)) is not None),
    )


def _moment(delivery: DeliveryStep) -> datetime | None:
    """A pending delivery's due time, a running one's start (its latest attempt's); None once finished."""
    if delivery.state == "running" and delivery.history:
        return delivery.history[-1].started_at
    return delivery.available_at if delivery.state in ("pending", "running") else None


def in_time_order(events: list[TimelineEvent]) -> list[TimelineEvent]:
    """Events in the order they were published (an effect always after its cause), each one's
    deliveries in the order their first attempt started: a table read top down never goes back in time
    between events (a delivery may end after the next event was published: that event is its effect)."""

    def started(delivery: DeliveryStep) -> tuple[int, datetime | None, int]:
        first = delivery.history[0].started_at if delivery.history else delivery.finished_at
        return (first is None, first, delivery.id)

    ordered = sorted(events, key=lambda event: (event.time, event.position))
    return [dataclasses.replace(event, deliveries=tuple(sorted(event.deliveries, key=started))) for event in ordered]


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parsed(text: str) -> datetime:
    found = parse_datetime(text)
    if found is None:
        raise ValueError(f"not a time: {text!r}")
    return found
