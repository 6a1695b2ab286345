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
from datetime import datetime
from typing import Any
from uuid import UUID

from django.utils.dateparse import parse_datetime

from eventbus import conf
from eventbus.store.history import DeliveryStep, TimelineEvent, in_causal_order
from eventbus.store.history import timeline as local_timeline
from eventbus.transport.peers import fetch_timeline, parse_peers

log = logging.getLogger(__name__)


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
            )
            for step in raw["deliveries"]
        ),
    )


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parsed(text: str) -> datetime:
    found = parse_datetime(text)
    if found is None:
        raise ValueError(f"not a time: {text!r}")
    return found
