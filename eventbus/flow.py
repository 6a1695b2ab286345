"""The choreography map, drawn from the registries: who publishes each event and who reacts to it.

A publisher is the app whose module defines the event class (its ``events`` module); a reaction is
a registered subscriber. Counts come from the deliveries created since a given time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.db.models import Count, Q

from . import catalog
from .models import Delivery
from .subscribers import all_subscribers

State = Delivery.State


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


@dataclass(frozen=True)
class EventFlow:
    event_type: str
    version: int
    publisher: str
    reactions: tuple[Reaction, ...]


def choreography(*, since: datetime) -> list[EventFlow]:
    """Every known event type (its newest version), its publisher and its reactions.

    ``handled`` counts deliveries done, ``dead`` those dead-lettered, and ``failed`` those that
    failed an attempt and are retrying or succeeded later — all among deliveries created since
    ``since``.
    """
    counts = _counts(since)
    newest = {event_class.event_type: event_class for event_class in catalog.event_classes()}
    by_type: dict[str, list[Reaction]] = {}
    for found in all_subscribers():
        counted = counts.get((found.id, found.event_type), Counts())
        by_type.setdefault(found.event_type, []).append(Reaction(found.id, _context(found.handler.__module__), counted))
    return [
        EventFlow(
            event_type, event_class.event_version, _context(event_class.__module__), tuple(by_type.get(event_type, ()))
        )
        for event_type, event_class in sorted(newest.items())
    ]


def _counts(since: datetime) -> dict[tuple[str, str], Counts]:
    rows = (
        Delivery.objects.filter(created_at__gte=since)
        .values("subscriber", "event__type")
        .annotate(
            handled=Count("id", filter=Q(state=State.DONE)),
            failed=Count("id", filter=~Q(last_error="") & ~Q(state=State.DEAD)),
            dead=Count("id", filter=Q(state=State.DEAD)),
        )
        .order_by()
    )
    return {(row["subscriber"], row["event__type"]): Counts(row["handled"], row["failed"], row["dead"]) for row in rows}


def _context(module: str) -> str:
    config = apps.get_containing_app_config(module)
    return config.label if config else module.split(".")[0]
