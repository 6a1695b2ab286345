"""The inbox's writes: an event from another service stored once, with its local deliveries."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from eventbus.kernel.envelope import Envelope
from eventbus.models import Delivery, InboxRejection, Subscription
from eventbus.store.delivering import new_delivery
from eventbus.store.outbox import row_of

BODY_LIMIT = 64 * 1024


def receive(envelope: Envelope, *, origin: str, now: datetime) -> frozenset[str] | None:
    """Store a received event and one pending delivery per local subscription of its type, together.

    The event is stored already dispatched (its fan-out is done here), so the relay never forwards
    it again. Returns the queues to wake, or None for an event already received (its ``event_id``
    is unique: a duplicate on the wire stores nothing).
    """
    row = row_of(envelope, deliver_at=now)
    row.received_from, row.dispatched_at = origin, now
    with transaction.atomic():
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            return None
        local = list(
            Subscription.objects.filter(event_type=envelope.type, retired_at__isnull=True, forward_to="").order_by("id")
        )
        Delivery.objects.bulk_create([new_delivery(row.id, row.key, found, now) for found in local])
    return frozenset(found.queue for found in local)


def reject(*, queue: str, reason: str, headers: Mapping[str, Any], body: bytes, now: datetime) -> None:
    """Keep a message the inbox cannot take, with why, for an operator."""
    InboxRejection.objects.create(
        received_at=now,
        queue=queue,
        reason=reason,
        headers={str(name): str(value) for name, value in headers.items()},
        body=body[:BODY_LIMIT].decode("utf-8", errors="replace"),
    )
