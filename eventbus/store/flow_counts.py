"""The flow page's numbers, per (subscriber, event type), and the bus's health in a few figures.

Every count is an aggregate query bounded by an index: the window's finished deliveries through
``finished_at``, what is open now through ``state``. The 95th percentile of handler time is
PostgreSQL's ``percentile_cont``; on SQLite, which has none, the same interpolated percentile is read
per edge as the one or two rows at its rank (``ORDER BY duration_ms LIMIT 2 OFFSET k``), so no more
than two durations per edge leave the database.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Count, FloatField, Min, Q, QuerySet

from eventbus.models import Delivery, OutboxEvent
from eventbus.store.waiting import RETRYING, age_seconds

State = Delivery.State
PERCENTILE = 0.95


@dataclass(frozen=True)
class EdgeCounts:
    """One edge event → subscriber. In the window: ``handled``, of which ``recovered`` needed more than
    one attempt, and ``p95_ms``. Now: ``retrying`` (pending after a failed attempt), ``dead``,
    ``backlog`` (pending), and ``oldest_due`` (the earliest time a pending delivery became due)."""

    handled: int = 0
    recovered: int = 0
    p95_ms: float | None = None
    retrying: int = 0
    dead: int = 0
    backlog: int = 0
    oldest_due: datetime | None = None


@dataclass(frozen=True)
class Health:
    dead: int
    retrying: int
    backlog: int
    oldest_due: datetime | None

    def oldest_age_seconds(self, now: datetime) -> float:
        return age_seconds(self.oldest_due, now)


Edge = tuple[str, str]


def edge_counts(*, since: datetime, now: datetime) -> dict[Edge, EdgeCounts]:
    """(subscriber, event type) → its counts; an edge with nothing to count is absent."""
    found: dict[Edge, dict[str, Any]] = {}
    finished = _finished(since)
    for done in finished.values("subscriber", "event__type").annotate(
        handled=Count("id"), recovered=Count("id", filter=Q(attempts__gt=1)), timed=Count("duration_ms")
    ):
        edge = _edge(done)
        found[edge] = {"handled": done["handled"], "recovered": done["recovered"]}
        if done["timed"] and not _on_postgresql():
            found[edge]["p95_ms"] = _percentile(finished, edge, done["timed"])
    if _on_postgresql():
        timed = finished.filter(duration_ms__isnull=False).values("subscriber", "event__type")
        for percentile in timed.annotate(p95=PercentileCont("duration_ms", fraction=PERCENTILE)):
            found[_edge(percentile)]["p95_ms"] = percentile["p95"]
    open_now = _open().values("subscriber", "event__type")
    for waiting in open_now.annotate(
        retrying=Count("id", filter=RETRYING),
        dead=Count("id", filter=Q(state=State.DEAD)),
        backlog=Count("id", filter=Q(state=State.PENDING)),
        oldest_due=Min("available_at", filter=Q(state=State.PENDING, available_at__lte=now)),
    ):
        found.setdefault(_edge(waiting), {}).update(
            {name: waiting[name] for name in ("retrying", "dead", "backlog", "oldest_due")}
        )
    return {edge: EdgeCounts(**numbers) for edge, numbers in found.items()}


def health(now: datetime) -> Health:
    """Dead letters, deliveries retrying and waiting now, and the oldest due work (outbox or delivery)."""
    counts = _open().aggregate(
        dead=Count("id", filter=Q(state=State.DEAD)),
        retrying=Count("id", filter=RETRYING),
        backlog=Count("id", filter=Q(state=State.PENDING)),
        oldest=Min("available_at", filter=Q(state=State.PENDING, available_at__lte=now)),
    )
    outbox = OutboxEvent.objects.filter(dispatched_at__isnull=True, deliver_at__lte=now).aggregate(
        oldest=Min("deliver_at")
    )["oldest"]
    oldest = min((t for t in (counts["oldest"], outbox) if t is not None), default=None)
    return Health(counts["dead"], counts["retrying"], counts["backlog"], oldest)


class PercentileCont(Aggregate):
    """PostgreSQL's interpolated percentile of a column, within each group."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: str, *, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


def _finished(since: datetime) -> QuerySet[Delivery]:
    return Delivery.objects.filter(state=State.DONE, finished_at__gte=since).order_by()


def _open() -> QuerySet[Delivery]:
    return Delivery.objects.filter(state__in=[State.PENDING, State.DEAD]).order_by()


def _percentile(finished: QuerySet[Delivery], edge: Edge, timed: int) -> float | None:
    """``percentile_cont``'s answer from the one or two durations at its rank among ``timed``."""
    position = PERCENTILE * (timed - 1)
    rank = math.floor(position)
    subscriber, event_type = edge
    durations = [
        float(duration or 0)  # never None: filtered out
        for duration in finished.filter(subscriber=subscriber, event__type=event_type, duration_ms__isnull=False)
        .order_by("duration_ms")
        .values_list("duration_ms", flat=True)[rank : rank + 2]
    ]
    if len(durations) < 2:  # the last of them, or (purged in between) none
        return durations[0] if durations else None
    low, high = durations
    return low + (position - rank) * (high - low)


def _edge(row: Mapping[str, Any]) -> Edge:
    return row["subscriber"], row["event__type"]


def _on_postgresql() -> bool:
    return connection.vendor == "postgresql"
