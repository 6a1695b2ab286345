"""publish(): write an event to the outbox inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from . import codec, conf, doorbell
from .context import current_envelope, current_subscriber
from .envelope import Envelope
from .errors import NotAnEvent, NotInTransaction, UndeclaredPublish
from .event import Event
from .subscribers import subscriber


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
    if cause is not None and conf.check_publishes():
        _check_declared(event)
    now = timezone.now()
    envelope = codec.envelope_for(
        event,
        source=conf.source(),
        key=str(key),
        time=now,
        correlation_id=correlation_id or (cause.correlationid if cause else str(key)),
        causation_id=cause.id if cause else None,
    )
    codec.outbox_row(envelope, deliver_at=deliver_at or now).save(force_insert=True)
    delay = (deliver_at - now).total_seconds() if deliver_at else 0.0
    doorbell.ring_after_commit(connection, delay=delay, event_type=event.event_type)
    return envelope


def _check_declared(event: Event) -> None:
    found = subscriber(current_subscriber())
    if found is not None and event.event_type not in found.publishes_types:
        raise UndeclaredPublish(
            f"{found.id} published {event.event_type}, which its @subscribe(publishes=[...]) does not list"
        )
