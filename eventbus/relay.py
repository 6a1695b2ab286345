"""The relay: turns due outbox rows into one delivery per subscriber, in batches."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from . import tracing
from .claims import leased
from .models import Delivery, OutboxEvent
from .subscribers import Subscriber, subscribers_of


class Relayed(NamedTuple):
    events: int
    leased: int
    pending: int


def relay_batch(limit: int, *, now: datetime | None = None, lease_to: UUID | None = None) -> Relayed:
    """Dispatch up to ``limit`` due outbox rows, oldest due first.

    Rows are claimed with ``FOR UPDATE SKIP LOCKED`` (on PostgreSQL), so any number of relays can
    run side by side; the unique (event, subscriber) constraint makes a repeat harmless. With
    ``lease_to``, deliveries to unordered subscribers are created already leased to that claim,
    which saves the worker a claim round of its own; ordered ones wait their turn as pending.
    """
    now = now or timezone.now()
    with transaction.atomic(savepoint=False):
        rows = list(
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(dispatched_at__isnull=True, deliver_at__lte=now)
            .order_by("deliver_at", "id")
            .values_list("id", "type", "key", "traceparent", "tracestate")[:limit]
        )
        if not rows:
            return Relayed(0, 0, 0)
        with tracing.relay_span([(row[3], row[4]) for row in rows], events=len(rows)):
            deliveries = [
                _delivery(event_id, key, subscriber, now, lease_to)
                for event_id, event_type, key, *_ in rows
                for subscriber in subscribers_of(event_type)
            ]
            Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
            OutboxEvent.objects.filter(id__in=[row[0] for row in rows]).update(dispatched_at=now)
    leased = sum(1 for d in deliveries if d.state == Delivery.State.RUNNING)
    return Relayed(len(rows), leased, len(deliveries) - leased)


def _delivery(event_id: int, key: str, subscriber: Subscriber, now: datetime, lease_to: UUID | None) -> Delivery:
    delivery = Delivery(
        event_id=event_id,
        subscriber=subscriber.id,
        key=key,
        ordered=subscriber.ordered,
        available_at=now,
        created_at=now,
    )
    if lease_to is not None and not subscriber.ordered:
        delivery.attempts = 1
        for name, value in leased(lease_to, now).items():
            setattr(delivery, name, value)
    return delivery
