"""Claiming due deliveries for one worker: a lease, an attempt, a token that proves the claim."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from . import conf
from .models import Delivery, OutboxEvent

State = Delivery.State
# A dead letter holds back later deliveries of its key until it is retried or discarded.
BLOCKING_STATES = [State.PENDING, State.RUNNING, State.DEAD]


@dataclass(frozen=True)
class Claim:
    token: UUID
    size: int


def leased(token: UUID, now: datetime) -> dict[str, Any]:
    """The fields of a delivery leased to ``token`` from ``now``; the attempt is counted here."""
    return {
        "state": State.RUNNING,
        "claim_token": token,
        "started_at": now,
        "lease_expires_at": now + timedelta(seconds=conf.lease_seconds()),
    }


def claim_deliveries(
    limit: int, *, token: UUID | None = None, ids: list[int] | None = None, now: datetime | None = None
) -> Claim | None:
    """Lease up to ``limit`` due deliveries to ``token`` (a new one by default), skipping rows
    other workers hold.

    An ordered delivery is due only when it heads its (subscriber, key) queue: no earlier delivery
    of that key is still open and no earlier event of that key is waiting in the outbox.
    """
    now = now or timezone.now()
    token = token or uuid4()
    with transaction.atomic(savepoint=False):
        due = _due(now)
        if ids is not None:
            due = due.filter(id__in=ids)
        picked = list(
            due.select_for_update(skip_locked=True, of=("self",))
            .order_by("available_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        if not picked:
            return None
        Delivery.objects.filter(id__in=picked).update(attempts=F("attempts") + 1, **leased(token, now))
    return Claim(token, len(picked))


def _due(now: datetime) -> QuerySet[Delivery]:
    earlier_open = Delivery.objects.filter(
        ordered=True,
        subscriber=OuterRef("subscriber"),
        key=OuterRef("key"),
        event_id__lt=OuterRef("event_id"),
        state__in=BLOCKING_STATES,
    )
    earlier_in_outbox = OutboxEvent.objects.filter(
        dispatched_at__isnull=True,
        key=OuterRef("key"),
        id__lt=OuterRef("event_id"),
        deliver_at__lte=now,
    )
    return Delivery.objects.filter(state=State.PENDING, available_at__lte=now).filter(
        Q(ordered=False) | (~Exists(earlier_open) & ~Exists(earlier_in_outbox))
    )
