"""The choreography map, drawn from the registries: who publishes each event and who reacts to it.

A publisher is the app whose module defines the event class (its ``events`` module); a reaction is
a registered subscriber. Its counts (``store.flow_counts``) cover the deliveries finished since a
given time, and what is open now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.utils import timezone

from eventbus.kernel import catalog
from eventbus.store.flow_counts import EdgeCounts, edge_counts
from eventbus.topology.subscribers import all_subscribers


@dataclass(frozen=True)
class Reaction:
    subscriber: str
    context: str
    counts: EdgeCounts
    publishes: tuple[str, ...] = ()
    queue: str = ""


@dataclass(frozen=True)
class EventFlow:
    event_type: str
    version: int
    publisher: str
    reactions: tuple[Reaction, ...]


def choreography(*, since: datetime | None = None, now: datetime | None = None) -> list[EventFlow]:
    """Every known event type (its newest version), its publisher and its reactions, by event type.

    With ``since``, each reaction carries its counts (``EdgeCounts``: handled, recovered and p95 since
    then; retrying, dead, backlog and the oldest due now). Without it, the database is not read.
    """
    counts = edge_counts(since=since, now=now or timezone.now()) if since is not None else {}
    newest = {event_class.event_type: event_class for event_class in catalog.event_classes()}
    by_type: dict[str, list[Reaction]] = {}
    for found in all_subscribers():
        reaction = Reaction(
            found.id,
            _context(found.handler.__module__),
            counts.get((found.id, found.event_type), EdgeCounts()),
            tuple(found.publishes_types),
            found.queue,
        )
        by_type.setdefault(found.event_type, []).append(reaction)
    return [
        EventFlow(
            event_type, event_class.event_version, _context(event_class.__module__), tuple(by_type.get(event_type, ()))
        )
        for event_type, event_class in sorted(newest.items())
    ]


def _context(module: str) -> str:
    config = apps.get_containing_app_config(module)
    return config.label if config else module.split(".")[0]
