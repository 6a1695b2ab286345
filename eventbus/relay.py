"""The relay: turns due outbox rows into one delivery per subscriber, in batches."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from .models import Delivery, OutboxEvent
from .subscribers import subscribers_of


def relay_batch(limit: int, *, now: datetime | None = None) -> int:
    """Dispatch up to ``limit`` due outbox rows; returns how many were dispatched.

    Rows are claimed with ``FOR UPDATE SKIP LOCKED`` (on PostgreSQL), so any number of relays can
    run side by side; the unique (event, subscriber) constraint makes a repeat harmless.
    """
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(dispatched_at__isnull=True, deliver_at__lte=now)
            .order_by("id")
            .values_list("id", "type", "key")[:limit]
        )
        if not rows:
            return 0
        Delivery.objects.bulk_create(
            [
                Delivery(
                    event_id=event_id,
                    subscriber=subscriber.id,
                    key=key,
                    ordered=subscriber.ordered,
                    available_at=now,
                    created_at=now,
                )
                for event_id, event_type, key in rows
                for subscriber in subscribers_of(event_type)
            ],
            ignore_conflicts=True,
        )
        OutboxEvent.objects.filter(id__in=[row[0] for row in rows]).update(dispatched_at=now)
    return len(rows)
