"""Recovering deliveries whose worker vanished: an expired lease goes back to pending, or dies."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from . import conf
from .models import Delivery
from .subscribers import subscriber

State = Delivery.State


def release_expired_leases(limit: int = 1000, *, now: datetime | None = None) -> int:
    """Re-drive running deliveries whose lease ran out; rows a live worker still locks are skipped.

    The attempt was counted when it was claimed, so a handler that kills its worker every time
    ends up dead-lettered instead of looping for ever.
    """
    now = now or timezone.now()
    with transaction.atomic():
        expired = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(state=State.RUNNING, lease_expires_at__lt=now)
            .order_by("lease_expires_at")[:limit]
        )
        for delivery in expired:
            _release(delivery, now)
        Delivery.objects.bulk_update(
            expired, ["state", "available_at", "lease_expires_at", "claim_token", "finished_at", "last_error"]
        )
    return len(expired)


def _release(delivery: Delivery, now: datetime) -> None:
    found = subscriber(delivery.subscriber)
    max_attempts = (found.max_attempts if found else None) or conf.max_attempts()
    delivery.last_error = f"lease expired after attempt {delivery.attempts}: the worker was lost"
    delivery.lease_expires_at = None
    delivery.claim_token = None
    if delivery.attempts >= max_attempts:
        delivery.state = State.DEAD
        delivery.finished_at = now
    else:
        delivery.state = State.PENDING
        delivery.available_at = now
