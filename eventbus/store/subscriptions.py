"""The topology as data: this process's ``@subscribe`` declarations written to the Subscription table.

Fan-out reads the table, so an event reaches every subscriber that any deployed code declares,
whichever process relays it. In a split deployment each service's table holds the subscribers it runs
and its forwarding ones (engine/routing.py). ``migrate`` is the authority: it writes the code's declarations and retires
the rows the code no longer has. A worker at start-up only adds the subscribers the table lacks,
so a worker of an older release can neither retire nor rewrite a newer declaration.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from eventbus import conf
from eventbus.models import Subscription
from eventbus.topology.subscribers import Subscriber

FIELDS = ["event_type", "queue", "ordered", "max_attempts", "timeout_seconds", "publishes", "forward_to"]


def sync(subscribers: Iterable[Subscriber], *, authoritative: bool) -> None:
    """Add ``subscribers`` (this process's); if ``authoritative``, also rewrite them and retire the rest."""
    now = timezone.now()
    declared = {found.id: _row(found, now) for found in subscribers}
    with transaction.atomic():
        known = {row.id: row for row in Subscription.objects.select_for_update().filter(id__in=declared)}
        Subscription.objects.bulk_create(
            [row for id, row in declared.items() if id not in known], ignore_conflicts=True
        )
        if not authoritative:
            return
        changed = [_updated(known[id], row) for id, row in declared.items() if id in known]
        Subscription.objects.bulk_update([row for row in changed if row is not None], [*FIELDS, "retired_at"])
        Subscription.objects.exclude(id__in=declared).filter(retired_at__isnull=True).update(retired_at=now)


def _row(found: Subscriber, now: datetime) -> Subscription:
    return Subscription(
        id=found.id,
        event_type=found.event_type,
        queue=found.queue,
        ordered=found.ordered,
        max_attempts=found.max_attempts or conf.current().max_attempts,
        timeout_seconds=found.timeout or conf.current().handler_timeout,
        publishes=found.publishes_types,
        forward_to=",".join(found.forward_to),
        registered_at=now,
    )


def _updated(known: Subscription, declared: Subscription) -> Subscription | None:
    if known.retired_at is None and all(getattr(known, f) == getattr(declared, f) for f in FIELDS):
        return None
    for name in FIELDS:
        setattr(known, name, getattr(declared, name))
    known.retired_at = None
    return known


def subscribed_queues() -> dict[str, frozenset[str]]:
    """Event type → the queues of its subscribers (not retired), for the doorbell."""
    found: dict[str, set[str]] = {}
    for event_type, queue in Subscription.objects.filter(retired_at__isnull=True).values_list("event_type", "queue"):
        found.setdefault(event_type, set()).add(queue)
    return {event_type: frozenset(queues) for event_type, queues in found.items()}
