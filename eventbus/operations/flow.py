"""The choreography map, drawn from the registries: who publishes each event and who reacts to it.

A publisher is the app whose module defines the event class (its ``events`` module); a reaction is
a registered subscriber. Counts come from the deliveries created since a given time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.apps import apps

from eventbus.kernel import catalog
from eventbus.store import history
from eventbus.topology.subscribers import all_subscribers


@dataclass(frozen=True)
class Counts:
    handled: int = 0
    failed: int = 0
    dead: int = 0


@dataclass(frozen=True)
class Reaction:
    subscriber: str
    context: str
    counts: Counts
    publishes: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventFlow:
    event_type: str
    version: int
    publisher: str
    reactions: tuple[Reaction, ...]


def choreography(*, since: datetime | None = None) -> list[EventFlow]:
    """Every known event type (its newest version), its publisher and its reactions.

    Since ``since``: ``handled`` counts deliveries done, ``dead`` those dead-lettered, and
    ``failed`` those that failed an attempt and then succeeded — plus, whenever they started, those
    now waiting for a retry. Without ``since``, nothing is counted and the database is not read.
    """
    counts = _counts(since) if since is not None else {}
    newest = {event_class.event_type: event_class for event_class in catalog.event_classes()}
    by_type: dict[str, list[Reaction]] = {}
    for found in all_subscribers():
        counted = counts.get((found.id, found.event_type), Counts())
        reaction = Reaction(found.id, _context(found.handler.__module__), counted, tuple(found.publishes_types))
        by_type.setdefault(found.event_type, []).append(reaction)
    return [
        EventFlow(
            event_type, event_class.event_version, _context(event_class.__module__), tuple(by_type.get(event_type, ()))
        )
        for event_type, event_class in sorted(newest.items())
    ]


def _counts(since: datetime) -> dict[tuple[str, str], Counts]:
    return {key: Counts(*numbers) for key, numbers in history.outcomes(since).items()}


def _context(module: str) -> str:
    config = apps.get_containing_app_config(module)
    return config.label if config else module.split(".")[0]
