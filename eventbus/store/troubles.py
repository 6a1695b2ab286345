"""Which correlations have work that waits on someone: dead, discarded, or failing and retrying.

A generic read for whoever runs the processes the correlation ids name (a saga-level report): the
bus knows deliveries and correlation ids, not what a stopped step means for the process.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, Q, Subquery

from eventbus.models import Delivery, Subscription

State = Delivery.State
# operating.hand_over discards the local delivery of an event it forwarded: nothing waits for it.
HANDED_OVER = "handed over:"


@dataclass(frozen=True)
class TroubledDelivery:
    """A delivery of one correlation that is dead, discarded, or waiting for a retry after a failure."""

    correlation_id: str
    delivery_id: int
    subscriber: str
    event_type: str
    state: str
    attempts: int
    max_attempts: int | None
    """Its subscription's, or None for a subscriber the topology no longer has."""
    last_error: str
    since: datetime
    """When it stopped (dead, discarded), or when it was created (retrying: its first attempt's due time)."""
    next_attempt_at: datetime | None
    """Retrying only: when it is due again."""

    @property
    def retrying(self) -> bool:
        return self.state in (State.PENDING, State.RUNNING)


def troubled_deliveries(correlation_ids: Collection[str] | None = None) -> list[TroubledDelivery]:
    """This database's dead and discarded deliveries (not those handed over to another service), and
    those retrying after a failed attempt: of the given correlation ids, or of every correlation.

    One query. Without ids it reads by state (indexed): dead and retrying rows are few, and discarded
    ones go with their events at the next ``eventbus purge``.
    """
    stopped = Q(state=State.DEAD) | (Q(state=State.DISCARDED) & ~Q(last_error__startswith=HANDED_OVER))
    retrying = Q(state__in=[State.PENDING, State.RUNNING]) & ~Q(last_error="")
    rows = Delivery.objects.filter(stopped | retrying)
    if correlation_ids is not None:
        rows = rows.filter(event__correlation_id__in=list(correlation_ids))
    max_attempts = Subscription.objects.filter(id=OuterRef("subscriber")).values("max_attempts")[:1]
    found = (
        rows.annotate(max_attempts=Subquery(max_attempts))
        .order_by("id")
        .values_list(
            "event__correlation_id",
            "id",
            "subscriber",
            "event__type",
            "state",
            "attempts",
            "max_attempts",
            "last_error",
            "finished_at",
            "created_at",
            "available_at",
        )
    )
    return [
        TroubledDelivery(
            correlation_id=correlation_id,
            delivery_id=delivery_id,
            subscriber=subscriber,
            event_type=event_type,
            state=state,
            attempts=attempts,
            max_attempts=max_attempts,
            last_error=last_error,
            since=(finished_at or created_at) if state in (State.DEAD, State.DISCARDED) else created_at,
            next_attempt_at=available_at if state in (State.PENDING, State.RUNNING) else None,
        )
        for (
            correlation_id,
            delivery_id,
            subscriber,
            event_type,
            state,
            attempts,
            max_attempts,
            last_error,
            finished_at,
            created_at,
            available_at,
        ) in found
    ]
