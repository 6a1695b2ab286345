"""The inbox's writes: events from another service stored once, with their local deliveries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from eventbus.kernel.envelope import Envelope
from eventbus.models import Delivery, InboxRejection, OutboxEvent
from eventbus.store.delivering import active_subscriptions, new_delivery
from eventbus.store.outbox import row_of

BODY_LIMIT = 64 * 1024


@dataclass(frozen=True)
class Rejected:
    reason: str
    headers: Mapping[str, Any]
    body: bytes


@dataclass(frozen=True)
class Received:
    stored: list[Envelope]
    duplicates: list[Envelope]
    queues: frozenset[str]  # of the local subscribers that got deliveries: to be woken


def receive(
    envelopes: Sequence[tuple[Envelope, str]], rejected: Sequence[Rejected], *, queue: str, now: datetime
) -> Received:
    """Store received events (each with the service it came from) and one pending delivery per local
    subscription of its type, and keep the rejected messages, all in one transaction.

    An event is stored already dispatched (its fan-out is done here), so the relay never forwards it
    again. One whose ``event_id`` is stored already is a duplicate on the wire: it stores nothing.
    """
    with transaction.atomic():
        _keep(rejected, queue=queue, now=now)
        known = set(
            OutboxEvent.objects.filter(event_id__in=[envelope.id for envelope, _ in envelopes]).values_list(
                "event_id", flat=True
            )
        )
        fresh: dict[Any, tuple[Envelope, str]] = {}
        duplicates = []
        for envelope, origin in envelopes:
            if envelope.id in known or envelope.id in fresh:
                duplicates.append(envelope)
            else:
                fresh[envelope.id] = (envelope, origin)
        rows = OutboxEvent.objects.bulk_create(
            [_received(envelope, origin, now) for envelope, origin in fresh.values()]
        )
        local = active_subscriptions({row.type for row in rows}, forwarding=False)
        Delivery.objects.bulk_create(
            [new_delivery(row.id, row.key, found, now) for row in rows for found in local.get(row.type, [])]
        )
    woken = frozenset(found.queue for row in rows for found in local.get(row.type, []))
    return Received([envelope for envelope, _ in fresh.values()], duplicates, woken)


def _received(envelope: Envelope, origin: str, now: datetime) -> OutboxEvent:
    row = row_of(envelope, deliver_at=now)
    row.received_from, row.dispatched_at = origin, now
    return row


def _keep(rejected: Sequence[Rejected], *, queue: str, now: datetime) -> None:
    """Keep the messages the inbox cannot take, with why, for an operator."""
    InboxRejection.objects.bulk_create(
        [
            InboxRejection(
                received_at=now,
                queue=queue,
                reason=_text(found.reason),
                headers={_text(str(name)): _text(str(value)) for name, value in found.headers.items()},
                body=_text(found.body[:BODY_LIMIT].decode("utf-8", errors="replace")),
            )
            for found in rejected
        ]
    )


def _text(value: str) -> str:
    """Text PostgreSQL accepts: a NUL character (which it refuses) written as ``\\x00``."""
    return value.replace("\x00", "\\x00")
