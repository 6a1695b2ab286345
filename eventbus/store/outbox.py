"""The outbox table: an envelope written as a row, and a stored row read back as an envelope."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from django.db import transaction

from eventbus.kernel import sensitive
from eventbus.kernel.envelope import Envelope
from eventbus.models import OutboxEvent
from eventbus.store import statements


def append(envelope: Envelope, *, deliver_at: datetime) -> None:
    """Insert the envelope's row in the caller's transaction; the relay picks it up at ``deliver_at``."""
    statements.insert(row_of(envelope, deliver_at=deliver_at))


def row_of(envelope: Envelope, *, deliver_at: datetime) -> OutboxEvent:
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


def reseal(
    fields_of: Mapping[str, frozenset[str]],
    reseal_value: Callable[[str], str],
    *,
    on_chunk: Callable[[int], None],
    chunk: int = 500,
) -> int:
    """Pass the sensitive values stored in rows of each type in ``fields_of`` through ``reseal_value``,
    ``chunk`` rows per transaction; ``on_chunk(changed)`` runs inside each. The rows changed."""
    rows = OutboxEvent.objects.filter(type__in=list(fields_of)).order_by("id").values_list("id", flat=True)
    changed = after = 0
    while ids := list(rows.filter(id__gt=after)[:chunk]):
        with transaction.atomic():
            in_chunk = 0
            for row in OutboxEvent.objects.filter(id__in=ids).select_for_update().only("id", "type", "data"):
                data = sensitive.resealed(row.data, fields_of[row.type], reseal_value)
                if data != row.data:
                    in_chunk += OutboxEvent.objects.filter(pk=row.pk).update(data=data)
            on_chunk(in_chunk)
        changed, after = changed + in_chunk, ids[-1]
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
