"""Workers' heartbeats: each worker upserts its own row; readers ask who was seen lately.

A beat is one short transaction under a statement and lock timeout, so a slow or locked database
costs the worker's heartbeat thread at most that long, never a delivery.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction

from eventbus import conf
from eventbus.models import WorkerHeartbeat

# A worker not seen for this long is not counted as up: a minute, or three heartbeats if they are longer.
UP_AT_LEAST = timedelta(minutes=1)


def up_within() -> timedelta:
    return max(UP_AT_LEAST, 3 * timedelta(seconds=conf.current().heartbeat_seconds))


# A row not written for this long is deleted by the next beat that prunes.
FORGOTTEN_AFTER = timedelta(hours=1)
BEAT_TIMEOUT_MS = 2000


@dataclass(frozen=True)
class Beat:
    name: str
    pid: int
    queues: tuple[str, ...]
    started_at: datetime
    processed: int


@dataclass(frozen=True)
class SeenWorker:
    name: str
    pid: int
    queues: tuple[str, ...]
    started_at: datetime
    last_seen_at: datetime
    processed: int

    def is_up(self, now: datetime) -> bool:
        return now - self.last_seen_at <= up_within()


def beat(found: Beat, *, now: datetime, prune: bool = False) -> None:
    """Upsert this worker's row in one statement; with ``prune``, delete rows long unseen too."""
    row = WorkerHeartbeat(
        name=found.name,
        pid=found.pid,
        queues=list(found.queues),
        started_at=found.started_at,
        last_seen_at=now,
        processed=found.processed,
    )
    with _bounded_transaction(BEAT_TIMEOUT_MS):
        WorkerHeartbeat.objects.bulk_create(
            [row],
            update_conflicts=True,
            unique_fields=["name", "pid"],
            update_fields=["queues", "last_seen_at", "processed"],
        )
        if prune:
            WorkerHeartbeat.objects.filter(last_seen_at__lt=now - FORGOTTEN_AFTER).delete()


def forget(name: str, pid: int) -> None:
    """A worker shutting down cleanly removes its row: it is not up any more, and nothing is lost."""
    with _bounded_transaction(BEAT_TIMEOUT_MS):
        WorkerHeartbeat.objects.filter(name=name, pid=pid).delete()


def seen(now: datetime) -> list[SeenWorker]:
    """Every worker with a row not yet pruned, the most recently seen first."""
    rows = WorkerHeartbeat.objects.filter(last_seen_at__gte=now - FORGOTTEN_AFTER).order_by("-last_seen_at", "name")
    return [
        SeenWorker(row.name, row.pid, tuple(row.queues), row.started_at, row.last_seen_at, row.processed)
        for row in rows[:100]
    ]


def up_count(now: datetime) -> int:
    return WorkerHeartbeat.objects.filter(last_seen_at__gte=now - up_within()).count()


def up_by_queue(now: datetime, queues: Iterable[str]) -> dict[str, int]:
    """Workers up (seen within ``up_within()``) per queue they consume: each of ``queues`` (0 when no worker
    consumes it) and any other queue a worker up consumes."""
    counts = dict.fromkeys(queues, 0)
    up = WorkerHeartbeat.objects.filter(last_seen_at__gte=now - up_within()).values_list("queues", flat=True)
    for consumed in up[:1000]:
        for queue in consumed:
            counts[queue] = counts.get(queue, 0) + 1
    return counts


@contextmanager
def _bounded_transaction(milliseconds: int) -> Iterator[None]:
    """A transaction whose statements give up after ``milliseconds``: PostgreSQL's statement and lock
    timeouts, or SQLite's wait for its write lock (the connection's own wait restored after)."""
    if connection.vendor != "sqlite":
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL statement_timeout = {int(milliseconds)}")
                    cursor.execute(f"SET LOCAL lock_timeout = {int(milliseconds)}")
            yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        before = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")
    try:
        with transaction.atomic():
            yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {before}")
