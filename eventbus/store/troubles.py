"""Which correlations have work that waits on someone: dead, discarded, or failing and retrying.

A generic read for whoever runs the processes the correlation ids name (a saga-level report): the
bus knows deliveries and correlation ids, not what a stopped step means for the process.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, IntegerField, OuterRef, Q, Subquery, Value, When

from eventbus.models import Delivery, Subscription
from eventbus.store.waiting import RETRYING

State = Delivery.State
# operating.hand_over discards the local delivery of an event it forwarded: nothing waits for it.
HANDED_OVER = "handed over:"
DEAD, DISCARDED, RETRYING_KIND = "dead", "discarded", "retrying"
KINDS = (DEAD, DISCARDED, RETRYING_KIND)
"""What ``troubled_deliveries`` reads, most pressing first."""
_WHERE = {
    DEAD: Q(state=State.DEAD),
    DISCARDED: Q(state=State.DISCARDED) & ~Q(last_error__startswith=HANDED_OVER),
    RETRYING_KIND: RETRYING,
}


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
        """Pending after a failed attempt (``waiting.RETRYING``): the only pending rows read."""
        return self.state == State.PENDING


def troubled_deliveries(
    correlation_ids: Collection[str] | None = None, *, kinds: Collection[str] = KINDS, at_most: int | None = None
) -> list[TroubledDelivery]:
    """This database's dead and discarded deliveries (not those handed over to another service), and
    those retrying after a failed attempt (``waiting.RETRYING``): of the given correlation ids, or of
    every correlation; only the ``kinds`` asked for (``KINDS``).

    One query, most pressing first (dead, then discarded, then retrying), each kind oldest first. With
    ``at_most``, no more rows than that: ask for one more than you will use to know whether there
    were more. Discarded rows stay until ``eventbus purge`` takes their events, so a read of every
    correlation should be bounded.
    """
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown kinds of trouble: {sorted(unknown)} (known: {', '.join(KINDS)})")
    wanted = Q(pk__in=[])
    for kind in kinds:
        wanted |= _WHERE[kind]
    rows = Delivery.objects.filter(wanted)
    if correlation_ids is not None:
        rows = rows.filter(event__correlation_id__in=list(correlation_ids))
    pressing = Case(
        When(state=State.DEAD, then=Value(0)),
        When(state=State.DISCARDED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    max_attempts = Subscription.objects.filter(id=OuterRef("subscriber")).values("max_attempts")[:1]
    found = (
        rows.annotate(max_attempts=Subquery(max_attempts), pressing=pressing)
        .order_by("pressing", "id")
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
    if at_most is not None:
        found = found[:at_most]
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
            next_attempt_at=available_at if state == State.PENDING else None,
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
