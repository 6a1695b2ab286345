"""The floor under any transactional outbox's publisher: one process committing one row per transaction.

The same database and the same row as an event's outbox row, written through psycopg directly: no
Django, no envelope, no doorbell, no worker. A publisher that commits each event in a transaction
of its own (as ``throughput.publish_events`` does) cannot go faster on this machine, so
``events_per_s`` can reach ``baseline_tasks_per_s`` only where this floor is above it. The rows are
due tomorrow, so no worker relays them, and they are deleted at the end.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass

import psycopg
from django.db import connection

from . import cpu

INSERT = """
INSERT INTO eventbus_outbox
    (event_id, source, type, version, key, time, data, correlation_id, traceparent, tracestate, baggage,
     deliver_at, received_from)
VALUES (%s, 'shop', 'bench.Noop', 1, %s, now(), %s, %s, '', '', '', now() + interval '1 day', '')
"""


@dataclass(frozen=True)
class Floor:
    per_s: float
    cpu_ms_publisher: float
    cpu_ms_postgres: float


def commits(items: int) -> Floor:
    """``items`` transactions of one INSERT each."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=False) as db:
        before = cpu.snapshot({})
        started = time.perf_counter()
        try:
            for n in range(items):
                db.execute(INSERT, [uuid.uuid4(), str(n), json.dumps({"run": "floor", "n": n}), str(n)])
                db.commit()
            seconds = time.perf_counter() - started
            spent = cpu.snapshot({}).minus(before)
        finally:
            db.rollback()
            db.execute("DELETE FROM eventbus_outbox WHERE type = 'bench.Noop' AND data->>'run' = 'floor'")
            db.commit()
    return Floor(items / seconds, 1000 * spent["publisher"] / items, 1000 * spent["postgres"] / items)
