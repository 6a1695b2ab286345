"""Relay throughput: ``store.relay`` in a loop, over an empty table and over a million finished rows.

The rows are written with INSERT … SELECT generate_series: a million go in within seconds, and
the relay itself is what is timed. Tables are vacuumed and analysed after loading, as autovacuum
would have done on a live system.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from eventbus import store

from .services import truncate_bus_tables

OUTBOX_ROWS = """
INSERT INTO eventbus_outbox (event_id, source, type, version, key, time, data, correlation_id,
                             causation_id, traceparent, tracestate, baggage, deliver_at, dispatched_at,
                             received_from)
SELECT gen_random_uuid(), '/bench', 'bench.Noop', 1, g::text, now(),
       jsonb_build_object('run', %(run)s, 'n', g), g::text, NULL, '', '', '', now(), {dispatched}, ''
FROM generate_series(1, %(rows)s) AS g
"""
DONE_DELIVERIES = """
INSERT INTO eventbus_delivery (event_id, subscriber, key, ordered, state, attempts, available_at,
                               created_at, started_at, finished_at, last_error, last_traceback)
SELECT id, 'bench.noop', key, false, 'done', 1, now(), now(), now(), now(), '', ''
FROM eventbus_outbox WHERE id > %(after)s
"""
FINISH_RELAYED = "UPDATE eventbus_delivery SET state = 'done', finished_at = now() WHERE state = 'pending'"


@dataclass(frozen=True)
class RelayRun:
    rows: int
    seconds: float
    batches: int

    @property
    def per_s(self) -> float:
        return self.rows / self.seconds


def load_finished(rows: int) -> None:
    """``rows`` outbox rows already dispatched, each with its delivery done."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM eventbus_outbox")
        after = cursor.fetchone()[0]
        cursor.execute(OUTBOX_ROWS.format(dispatched="now()"), {"run": "finished", "rows": rows})
        cursor.execute(DONE_DELIVERIES, {"after": after})
    vacuum_analyze()


def load_pending(rows: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(OUTBOX_ROWS.format(dispatched="NULL"), {"run": "relay", "rows": rows})
    vacuum_analyze()


def vacuum_analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE eventbus_outbox, eventbus_delivery")


def relay_everything(batch: int) -> RelayRun:
    """Call ``store.relay`` until it finds nothing: rows relayed per second of that loop."""
    rows = batches = 0
    started = time.perf_counter()
    while relayed := store.relay(batch, now=timezone.now())[0].events:
        rows += relayed
        batches += 1
    return RelayRun(rows, time.perf_counter() - started, batches)


def over_empty(pending: int, batch: int) -> RelayRun:
    truncate_bus_tables()
    load_pending(pending)
    return relay_everything(batch)


def over_finished(pending: int, batch: int) -> RelayRun:
    """Relay ``pending`` new rows beside the finished ones, then finish them too."""
    load_pending(pending)
    run = relay_everything(batch)
    with connection.cursor() as cursor:
        cursor.execute(FINISH_RELAYED)
    return run
