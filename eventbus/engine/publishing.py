"""publish(): write an event to the outbox inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from opentelemetry import propagate
from uuid6 import uuid7

from eventbus import conf
from eventbus.kernel import sensitive
from eventbus.kernel.context import current_envelope, current_subscriber
from eventbus.kernel.envelope import Envelope
from eventbus.kernel.errors import NotAnEvent, NotInTransaction, UndeclaredPublish
from eventbus.kernel.event import Event
from eventbus.store import outbox
from eventbus.topology.subscribers import subscriber
from eventbus.transport import doorbell


def publish(
    event: Event,
    *,
    key: str | UUID,
    deliver_at: datetime | None = None,
    correlation_id: str | None = None,
) -> Envelope:
    """Record ``event`` in the outbox as part of the open transaction, and ring on commit.

    ``key`` is the partition key (the aggregate id). The correlation id is inherited from the
    event being handled, else it is the key; the causation id is the handled event's id.
    ``deliver_at`` (timezone-aware) holds the event back until then.
    """
    if not isinstance(event, Event):
        raise NotAnEvent(f"publish() takes an eventbus Event, not {type(event).__name__}")
    if not str(key):
        raise ValueError("publish() needs a non-empty key")
    if deliver_at is not None and timezone.is_naive(deliver_at):
        raise ValueError("deliver_at must be timezone-aware")
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise NotInTransaction(
            "publish() must run inside transaction.atomic(), together with the state change it reports"
        )
    cause = current_envelope()
    if cause is not None and conf.current().checks_publishes:
        _check_declared(event)
    now = timezone.now()
    envelope = envelope_for(
        event,
        source=conf.current().source,
        key=str(key),
        time=now,
        correlation_id=correlation_id or (cause.correlationid if cause else str(key)),
        causation_id=cause.id if cause else None,
    )
    outbox.append(envelope, deliver_at=deliver_at or now)
    delay = (deliver_at - now).total_seconds() if deliver_at else 0.0
    doorbell.ring_after_commit(connection, delay=delay, event_type=event.event_type)
    return envelope


def _check_declared(event: Event) -> None:
    found = subscriber(current_subscriber())
    if found is not None and event.event_type not in found.publishes_types:
        raise UndeclaredPublish(
            f"{found.id} published {event.event_type}, which its @subscribe(publishes=[...]) does not list"
        )


def envelope_for(
    event: Event,
    *,
    source: str,
    key: str,
    time: datetime,
    correlation_id: str,
    causation_id: UUID | None,
) -> Envelope:
    """The CloudEvents envelope of ``event``, carrying the current trace context and baggage."""
    return Envelope(
        id=uuid7(),
        source=source,
        type=event.event_type,
        dataversion=event.event_version,
        subject=key,
        time=time,
        correlationid=correlation_id,
        causationid=causation_id,
        data=event.model_dump(mode="json", context=_sealing(event)),
        **_trace_context(),
    )


def _sealing(event: Event) -> dict[str, Any] | None:
    """Sensitive fields are written sealed with the newest field key; other events need no key."""
    return sensitive.sealing(conf.current().field_cipher) if sensitive.has_sensitive_fields(type(event)) else None


def _trace_context() -> dict[str, Any]:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return {name: carrier[name] for name in ("traceparent", "tracestate", "baggage") if name in carrier}
