"""The hot path's statements, written by hand: what every event pays for, without the ORM's cost.

The ORM builds and compiles a query on every call: about half a millisecond of CPU for a one-row
UPDATE, several for the claim's sub-queries or an UPDATE of many rows with ``CASE WHEN``. These
strings are built once. On PostgreSQL the relay and the claim are one statement each (a
data-modifying ``WITH``): a round costs one round trip and no transaction of its own. SQLite, the
embedded default, runs the ORM's version of those two (``delivering``); the other statements here
run on both. Each mirrors a definition in ``waiting`` or ``delivering``, whose docstrings say what
it does; docs/benchmarks.md has what it saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

import psycopg
from django.db import connection
from django.db.backends.postgresql.base import Cursor as DjangoCursor
from django.db.backends.utils import CursorWrapper
from django.db.models import Field, Model

from eventbus import conf
from eventbus.models import Delivery, DeliveryAttempt, OutboxEvent, Subscription
from eventbus.store.waiting import BLOCKING_STATES

State = Delivery.State
DELIVERY = Delivery._meta.db_table
OUTBOX = OutboxEvent._meta.db_table
SUBSCRIPTION = Subscription._meta.db_table
ATTEMPT = DeliveryAttempt._meta.db_table
BLOCKING = ", ".join(f"'{state}'" for state in BLOCKING_STATES)

# waiting.due_deliveries, for the delivery ``d``: pending and due, and heading its key's queue when
# ordered. Parameters: now, now.
DUE = f"""
    d.state = '{State.PENDING}' AND d.available_at <= %s
    AND (NOT d.ordered OR (
        NOT EXISTS (
            SELECT 1 FROM {DELIVERY} e
            WHERE e.ordered AND e.subscriber = d.subscriber AND e.key = d.key
              AND e.event_id < d.event_id AND e.state IN ({BLOCKING})
        )
        AND NOT EXISTS (
            SELECT 1 FROM {OUTBOX} o
            WHERE o.dispatched_at IS NULL AND o.deliver_at <= %s AND o.key = d.key AND o.id < d.event_id
        )
    ))
"""

# delivering.relay in one statement. Parameters: now, limit, now (available_at), now (created_at),
# now (dispatched_at).
RELAY = f"""
WITH due AS MATERIALIZED (
    SELECT o.id, o.type, o.key, o.deliver_at, o.traceparent, o.tracestate FROM {OUTBOX} o
    WHERE o.dispatched_at IS NULL AND o.deliver_at <= %s
    ORDER BY o.deliver_at, o.id
    LIMIT %s
    FOR UPDATE SKIP LOCKED
), fanned_out AS (
    INSERT INTO {DELIVERY}
        (event_id, subscriber, key, ordered, state, attempts, available_at, created_at, last_error, last_traceback)
    SELECT due.id, s.id, due.key, s.ordered, '{State.PENDING}', 0, %s, %s, '', ''
    FROM due JOIN {SUBSCRIPTION} s ON s.event_type = due.type AND s.retired_at IS NULL
    ORDER BY due.deliver_at, due.id, s.id
    ON CONFLICT DO NOTHING
), dispatched AS (
    UPDATE {OUTBOX} o SET dispatched_at = %s FROM due WHERE o.id = due.id
)
SELECT due.traceparent::text, due.tracestate::text, ARRAY(
    SELECT DISTINCT s.queue::text FROM {SUBSCRIPTION} s WHERE s.event_type = due.type AND s.retired_at IS NULL
)
FROM due ORDER BY due.deliver_at, due.id
"""

# delivering.claim in one statement, which also reads what it leased: every column of each
# delivery and of its event, and how many deliveries were picked. ``{subscribers}`` is one
# placeholder per subscriber. Parameters: now, now (DUE), the subscribers, limit, token,
# now (started_at), lease expiry.
CLAIM = f"""
WITH picked AS MATERIALIZED (
    SELECT d.id, d.subscriber, d.available_at FROM {DELIVERY} d
    WHERE {DUE}
      AND d.subscriber IN ({{subscribers}})
      AND d.subscriber NOT IN (SELECT p.id FROM {SUBSCRIPTION} p WHERE p.paused_at IS NOT NULL)
    ORDER BY d.available_at, d.id
    LIMIT %s
    FOR UPDATE OF d SKIP LOCKED
), chosen AS (
    SELECT subscriber FROM picked ORDER BY available_at, id LIMIT 1
), leased AS (
    UPDATE {DELIVERY} d
    SET state = '{State.RUNNING}', attempts = d.attempts + 1, claim_token = %s, started_at = %s,
        lease_expires_at = %s
    FROM picked JOIN chosen ON picked.subscriber = chosen.subscriber
    WHERE d.id = picked.id
    RETURNING d.*
)
SELECT {{delivery_columns}}, {{event_columns}}, (SELECT count(*) FROM picked)
FROM leased d JOIN {OUTBOX} o ON o.id = d.event_id
ORDER BY d.available_at, d.id
"""

# delivering.start_handling: the delivery done and its attempt recorded (its end and duration come
# with the batch's durations). Parameters: finished_at, id, token, then the attempt's started_at.
START_HANDLING = f"""
UPDATE {DELIVERY} SET state = '{State.DONE}', finished_at = %s, lease_expires_at = NULL
WHERE id = %s AND claim_token = %s AND state = '{State.RUNNING}'
"""
# On PostgreSQL both in one statement; its row count is the attempts recorded, one per delivery started.
START_HANDLING_AND_RECORD = f"""
WITH started AS (
    UPDATE {DELIVERY} SET state = '{State.DONE}', finished_at = %s, lease_expires_at = NULL
    WHERE id = %s AND claim_token = %s AND state = '{State.RUNNING}'
    RETURNING id, attempts
)
INSERT INTO {ATTEMPT} (delivery_id, number, started_at, finished_at, duration_ms, outcome, error)
SELECT id, attempts, %s, NULL, NULL, '{DeliveryAttempt.Outcome.DONE}', '' FROM started
"""

# delivering's attempts: one attempt of a delivery, numbered by its attempt count. Parameters:
# started_at, finished_at, duration_ms, outcome, error, id.
RECORD_ATTEMPT = f"""
INSERT INTO {ATTEMPT} (delivery_id, number, started_at, finished_at, duration_ms, outcome, error)
SELECT id, attempts, %s, %s, %s, %s, %s FROM {DELIVERY} WHERE id = %s
"""

# delivering.record_durations; ``{rows}`` is one (id, duration_ms, finished_at) per delivery.
RECORD_DURATIONS = f"""
UPDATE {DELIVERY} SET duration_ms = v.column2, finished_at = v.column3
FROM (VALUES {{rows}}) AS v WHERE {DELIVERY}.id = v.column1
"""
# The same for the deliveries' attempts still open (a success's, recorded as it started).
RECORD_ATTEMPT_DURATIONS = f"""
UPDATE {ATTEMPT} SET duration_ms = v.column2, finished_at = v.column3
FROM (VALUES {{rows}}) AS v WHERE {ATTEMPT}.delivery_id = v.column1 AND {ATTEMPT}.finished_at IS NULL
"""
# On PostgreSQL both in one statement.
RECORD_ALL_DURATIONS = f"""
WITH v (id, duration_ms, finished_at) AS (VALUES {{rows}}), deliveries AS (
    UPDATE {DELIVERY} d SET duration_ms = v.duration_ms, finished_at = v.finished_at FROM v WHERE d.id = v.id
)
UPDATE {ATTEMPT} a SET duration_ms = v.duration_ms, finished_at = v.finished_at
FROM v WHERE a.delivery_id = v.id AND a.finished_at IS NULL
"""

# delivering.claimed: each delivery still leased to the claim, with its event, every column of
# both. ``{ids}`` is ``= ANY(%s)`` on PostgreSQL (one text to prepare), a placeholder per id
# elsewhere. Parameters: the ids, token.
CLAIMED = f"""
SELECT {{delivery_columns}}, {{event_columns}} FROM {DELIVERY} d JOIN {OUTBOX} o ON o.id = d.event_id
WHERE d.id {{ids}} AND d.claim_token = %s AND d.state = '{State.RUNNING}'
"""


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def relay(limit: int, *, now: datetime) -> list[tuple[str, str, list[str]]]:
    """PostgreSQL only: (traceparent, tracestate, queues fanned out to) of each event relayed."""
    at = _datetime(now)
    return _fetch(RELAY, [at, limit, at, at, at])


def claim(
    subscribers: Sequence[str], limit: int, *, now: datetime, token: UUID, lease_expires_at: datetime
) -> tuple[list[Delivery], int]:
    """PostgreSQL only: the deliveries leased, in claim order, each with its event, as the ORM would
    load them; and how many deliveries were picked."""
    at = _datetime(now)
    sql = _claim_sql(len(subscribers))
    rows = _fetch(sql, [at, at, *subscribers, limit, _uuid(token), at, _datetime(lease_expires_at)])
    return _deliveries([row[:-1] for row in rows]), rows[0][-1] if rows else 0


def claimed(ids: Sequence[int], token: UUID) -> list[Delivery]:
    """The deliveries still leased to ``token``, each with its event, as the ORM would load them."""
    on_pg = on_postgresql()
    sql = _claimed_sql(connection.vendor, 0 if on_pg else len(ids))
    return _deliveries(_fetch(sql, [list(ids), _uuid(token)] if on_pg else [*ids, _uuid(token)], prepare=on_pg))


def _deliveries(rows: Sequence[Sequence[Any]]) -> list[Delivery]:
    """Rows of every delivery column then every event column, as model instances."""
    deliveries, events = _rows_of(Delivery, connection.vendor), _rows_of(OutboxEvent, connection.vendor)
    found = []
    for row in rows:
        delivery = deliveries.instance(row[: deliveries.width])
        delivery.event = events.instance(row[deliveries.width :])
        found.append(delivery)
    return found


@cache
def _claim_sql(subscribers: int) -> str:
    """CLAIM with one placeholder per subscriber (PostgreSQL only)."""
    return CLAIM.format(
        subscribers=", ".join(["%s"] * subscribers),
        delivery_columns=_rows_of(Delivery, "postgresql").columns("d"),
        event_columns=_rows_of(OutboxEvent, "postgresql").columns("o"),
    )


@cache
def _claimed_sql(vendor: str, placeholders: int) -> str:
    """CLAIMED for this database: the ids as one array (``placeholders`` 0), or one placeholder each."""
    return CLAIMED.format(
        delivery_columns=_rows_of(Delivery, vendor).columns("d"),
        event_columns=_rows_of(OutboxEvent, vendor).columns("o"),
        ids=f"IN ({', '.join(['%s'] * placeholders)})" if placeholders else "= ANY(%s)",
    )


def start_handling(delivery_id: int, token: UUID, *, at: datetime) -> bool:
    """The delivery done, and its attempt recorded as started at ``at``: one statement on PostgreSQL."""
    params = [_datetime(at), delivery_id, _uuid(token)]
    if on_postgresql():
        return _execute(START_HANDLING_AND_RECORD, [*params, params[0]]) > 0
    if _execute(START_HANDLING, params) == 0:
        return False
    record_attempt(delivery_id, started_at=at, finished_at=None, duration_ms=None, outcome="done", error="")
    return True


def record_attempt(
    delivery_id: int,
    *,
    started_at: datetime,
    finished_at: datetime | None,
    duration_ms: float | None,
    outcome: str,
    error: str,
) -> None:
    """One attempt of the delivery, numbered by its attempt count (inside the caller's transaction)."""
    ended = _datetime(finished_at) if finished_at else None
    _execute(RECORD_ATTEMPT, [_datetime(started_at), ended, duration_ms, outcome, error, delivery_id], prepare=False)


def record_durations(durations: dict[int, tuple[datetime, float]]) -> None:
    """The deliveries' and their open attempts' ends and durations: one statement on PostgreSQL, two
    elsewhere. Not prepared: its text changes with the number of rows."""
    rows = ", ".join(["(%s, %s, %s)"] * len(durations))
    params = [value for id, (at, ms) in durations.items() for value in (id, float(ms), _datetime(at))]
    if on_postgresql():
        _execute(RECORD_ALL_DURATIONS.format(rows=rows), params, prepare=False)
        return
    _execute(RECORD_DURATIONS.format(rows=rows), params, prepare=False)
    _execute(RECORD_ATTEMPT_DURATIONS.format(rows=rows), params, prepare=False)


def insert(row: Model) -> None:
    """``row.save(force_insert=True)`` without the ORM's query building; its primary key is left unread.

    Not prepared: a one-row INSERT is cheap to plan; what this saves is the ORM building it."""
    sql, fields = _insert_of(type(row), connection.vendor)
    _execute(sql, [field.get_db_prep_save(getattr(row, field.attname), connection) for field in fields], prepare=False)


@cache
def _insert_of(model: type[Model], vendor: str) -> tuple[str, tuple[Field, ...]]:
    fields = tuple(field for field in model._meta.concrete_fields if not field.primary_key)
    columns = ", ".join(connection.ops.quote_name(str(field.column)) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {model._meta.db_table} ({columns}) VALUES ({placeholders})", fields


def _execute(sql: str, params: list[Any], *, prepare: bool = True) -> int:
    with _cursor(prepare) as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _fetch(sql: str, params: list[Any], *, prepare: bool = True) -> list:
    with _cursor(prepare) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class _Rows:
    """A model's rows read by hand: its columns in order, and instances made from them as the ORM
    makes them (each field's converters from the database's values, then ``Model.from_db``)."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self.fields = tuple(model._meta.concrete_fields)
        self.width = len(self.fields)
        self.columns_read = tuple(field.get_col(model._meta.db_table) for field in self.fields)
        self.converters = tuple(
            tuple(connection.ops.get_db_converters(column)) + tuple(column.get_db_converters(connection))
            for column in self.columns_read
        )
        self.attnames = [field.attname for field in self.fields]

    def columns(self, alias: str) -> str:
        return ", ".join(f"{alias}.{connection.ops.quote_name(str(field.column))}" for field in self.fields)

    def instance(self, values: Sequence[Any]) -> Any:
        converted = []
        for column, converters, value in zip(self.columns_read, self.converters, values, strict=True):
            for converter in converters:
                value = converter(value, column, connection)
            converted.append(value)
        return self.model.from_db(connection.alias, self.attnames, converted)


@cache
def _rows_of(model: type[Model], vendor: str) -> _Rows:
    """One per model and database vendor: the converters depend on both."""
    return _Rows(model)


# A psycopg connection whose prepare_threshold is None prepares nothing, even when asked; this one
# prepares what is asked and nothing else (Django's own cursors bind on the client and never prepare).
ONLY_WHEN_ASKED = 2**31


class _PreparingCursor(psycopg.Cursor):
    """Binds parameters on the server and prepares each statement on its first use in a connection
    (psycopg keeps up to ``prepared_max`` of them per connection, 100 by default, and forgets them
    all at a rollback: a failed handler's, for one; they are prepared again on their next use)."""

    def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None, **options: Any) -> Any:
        return super().execute(query, params, prepare=True, **options)


def _cursor(prepare: bool) -> CursorWrapper:
    """Django's cursor, or on PostgreSQL a preparing one, wrapped as Django wraps its own (query
    logging, ``execute_wrapper``, database errors).

    Not preparing when ``EVENTBUS_PREPARED_STATEMENTS`` is off, nor when something else makes the
    connection's cursors (OpenTelemetry's psycopg instrumentation): the statements keep their spans.
    """
    if not (prepare and on_postgresql() and conf.current().prepared_statements):
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    if connection.connection.cursor_factory is not DjangoCursor:
        return connection.cursor()
    connection.validate_thread_sharing()
    if connection.connection.prepare_threshold is None:  # Django's default, which turns preparing off
        connection.connection.prepare_threshold = ONLY_WHEN_ASKED
    raw: Any = _PreparingCursor(connection.connection)  # the stubs expect a wrapper where Django takes a DB-API cursor
    return connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)


def _datetime(value: datetime) -> object:
    """As the ORM would write it (SQLite keeps naive UTC text)."""
    return connection.ops.adapt_datetimefield_value(value)


def _uuid(value: UUID) -> object:
    return value if connection.features.has_native_uuid_field else value.hex
