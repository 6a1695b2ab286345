"""The outbox table: an envelope written as a row, and a stored row read back as an envelope."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime

from eventbus.kernel import sensitive
from eventbus.kernel.envelope import Envelope
from eventbus.models import OutboxEvent


def append(envelope: Envelope, *, deliver_at: datetime) -> None:
    """Insert the envelope's row in the caller's transaction; the relay picks it up at ``deliver_at``."""
    _row(envelope, deliver_at=deliver_at).save(force_insert=True)


def _row(envelope: Envelope, *, deliver_at: datetime) -> OutboxEvent:
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


def reseal(types: Collection[str], rotate: Callable[[bytes], bytes], *, chunk: int = 500) -> int:
    """Seal again, with ``rotate``, the sealed values stored in rows of ``types``; the rows changed."""
    changed = 0
    rows = OutboxEvent.objects.filter(type__in=types).order_by("id").only("id", "data")
    for row in rows.iterator(chunk_size=chunk):
        data = sensitive.resealed(row.data, rotate)
        if data != row.data:
            changed += OutboxEvent.objects.filter(pk=row.pk).update(data=data)
    return changed


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
