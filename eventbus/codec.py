"""Turning events into outbox rows and stored rows back into typed events."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from opentelemetry import propagate
from pydantic import ValidationError
from uuid6 import uuid7

from . import upcasting
from .envelope import Envelope
from .event import Event
from .models import OutboxEvent


def envelope_for(
    event: Event,
    *,
    source: str,
    key: str,
    time: datetime,
    correlation_id: str,
    causation_id: UUID | None,
) -> Envelope:
    return Envelope(
        id=uuid7(),
        source=source,
        type=event.event_type,
        dataversion=event.event_version,
        subject=key,
        time=time,
        correlationid=correlation_id,
        causationid=causation_id,
        data=event.model_dump(mode="json"),
        **_trace_context(),
    )


def outbox_row(envelope: Envelope, *, deliver_at: datetime) -> OutboxEvent:
    return OutboxEvent(
        event_id=envelope.id,
        source=envelope.source,
        type=envelope.type,
        version=envelope.dataversion,
        key=envelope.subject,
        time=envelope.time,
        data=envelope.data,
        correlation_id=envelope.correlationid,
        causation_id=envelope.causationid,
        traceparent=envelope.traceparent,
        tracestate=envelope.tracestate,
        baggage=envelope.baggage,
        deliver_at=deliver_at,
    )


def envelope_of(row: OutboxEvent) -> Envelope:
    return Envelope(
        id=row.event_id,
        source=row.source,
        type=row.type,
        dataversion=row.version,
        subject=row.key,
        time=row.time,
        correlationid=row.correlation_id,
        causationid=row.causation_id,
        traceparent=row.traceparent,
        tracestate=row.tracestate,
        baggage=row.baggage,
        data=row.data,
    )


class UndecodableEvent(Exception):
    """A stored event that cannot become the class its subscriber expects; never worth a retry."""


def decode(envelope: Envelope, wanted: type[Event]) -> Event:
    """The stored payload as the current version of ``wanted`` (the subscriber's event class).

    An older stored version goes through its upcasters first; a newer one than this process
    knows, another type, or a payload that does not validate cannot be read, and never will be.
    """
    if envelope.type != wanted.event_type:
        raise UndecodableEvent(f"stored {envelope.type} cannot be read as {wanted.event_type}")
    stored, current = envelope.dataversion, wanted.event_version
    if stored > current:
        raise UndecodableEvent(f"stored {envelope.type} v{stored} is newer than v{current}, the newest this code reads")
    try:
        data = upcasting.upcast(envelope.type, envelope.data, from_version=stored, to_version=current)
    except upcasting.NoUpcaster as error:
        raise UndecodableEvent(f"stored {envelope.type} v{stored} cannot be read as v{current}: {error}") from None
    try:
        return wanted.model_validate(data)
    except ValidationError as error:
        raise UndecodableEvent(f"stored {envelope.type} v{stored} does not parse: {error}") from None


def _trace_context() -> dict[str, Any]:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return {name: carrier[name] for name in ("traceparent", "tracestate", "baggage") if name in carrier}
