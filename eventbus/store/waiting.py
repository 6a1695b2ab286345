"""What is due and what waits: the definitions every worker, ``eventbus status`` and ``/metrics`` share."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet

from eventbus.models import Delivery, OutboxEvent, Subscription

State = Delivery.State
# A dead letter holds back later deliveries of its key until it is retried or discarded.
BLOCKING_STATES = [State.PENDING, State.RUNNING, State.DEAD]
OPEN_STATES = BLOCKING_STATES
# Retrying: pending after a failed attempt. An operator's Retry (attempts back to 0, its last error
# kept) is due work, not a retry: the flow, the health card, saga_health and troubled_deliveries agree.
RETRYING = Q(state=State.PENDING, attempts__gt=0)


def due_events(now: datetime) -> QuerySet[OutboxEvent]:
    """Outbox rows waiting for the relay: not dispatched, and their delivery time has come."""
    return OutboxEvent.objects.filter(dispatched_at__isnull=True, deliver_at__lte=now)


def due_deliveries(now: datetime) -> QuerySet[Delivery]:
    """Deliveries waiting for a worker: pending, and their retry time has come.

    An ordered delivery is due only when it heads its (subscriber, key) queue: no earlier delivery
    of that key is still open and no earlier event of that key is waiting in the outbox.
    ``statements.DUE`` says the same in SQL, for the claim on PostgreSQL: change both together.
    """
    earlier_open = Delivery.objects.filter(
        ordered=True,
        subscriber=OuterRef("subscriber"),
        key=OuterRef("key"),
        event_id__lt=OuterRef("event_id"),
        state__in=BLOCKING_STATES,
    )
    earlier_in_outbox = due_events(now).filter(key=OuterRef("key"), id__lt=OuterRef("event_id"))
    return Delivery.objects.filter(state=State.PENDING, available_at__lte=now).filter(
        Q(ordered=False) | (~Exists(earlier_open) & ~Exists(earlier_in_outbox))
    )


def queues_with_due_work(now: datetime) -> set[str]:
    subscribers = due_deliveries(now).values("subscriber").distinct()
    return set(Subscription.objects.filter(id__in=subscribers).values_list("queue", flat=True))


@dataclass(frozen=True)
class Backlog:
    """What waits in the bus's tables: one definition for ``eventbus status`` and ``/metrics``."""

    undispatched: int
    scheduled: int
    oldest_due: datetime | None
    counts: dict[str, dict[str, int]]

    def oldest_age_seconds(self, now: datetime) -> float:
        """Age of the oldest due work (a due outbox row or a due delivery), from when it became due."""
        return age_seconds(self.oldest_due, now)


def age_seconds(due: datetime | None, now: datetime) -> float:
    """How long work due at ``due`` has waited by ``now``; 0 when nothing is due."""
    return max((now - due).total_seconds(), 0.0) if due else 0.0


def backlog(now: datetime, *, states: Iterable[str] | None = None) -> Backlog:
    """The outbox's due and scheduled rows, the oldest due work, and deliveries by subscriber and state."""
    outbox = OutboxEvent.objects.filter(dispatched_at__isnull=True).aggregate(
        due=Count("id", filter=Q(deliver_at__lte=now)),
        scheduled=Count("id", filter=Q(deliver_at__gt=now)),
        oldest=Min("deliver_at", filter=Q(deliver_at__lte=now)),
    )
    oldest_delivery = Delivery.objects.filter(state=State.PENDING, available_at__lte=now).aggregate(
        t=Min("available_at")
    )["t"]
    rows = Delivery.objects.all() if states is None else Delivery.objects.filter(state__in=list(states))
    counts: dict[str, dict[str, int]] = {}
    for row in rows.values("subscriber", "state").annotate(n=Count("id")).order_by("subscriber"):
        counts.setdefault(row["subscriber"], {})[row["state"]] = row["n"]
    oldest = min((t for t in (outbox["oldest"], oldest_delivery) if t is not None), default=None)
    return Backlog(outbox["due"], outbox["scheduled"], oldest, counts)
