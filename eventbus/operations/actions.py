"""Operator actions shared by the management command and the admin: status, dead letters, replay, pause, purge."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from eventbus import conf, store
from eventbus.kernel import catalog, sensitive
from eventbus.models import Delivery, OutboxEvent, Subscription
from eventbus.store import outbox
from eventbus.transport import doorbell

State = Delivery.State


def status(now: datetime | None = None) -> store.Backlog:
    """Everything that waits, every delivery by subscriber and state (``store.backlog``)."""
    return store.backlog(now or timezone.now())


def dead_letters() -> QuerySet[Delivery]:
    return store.dead_letters()


def retry(deliveries: QuerySet[Delivery]) -> int:
    """Give dead (or discarded) deliveries a fresh set of attempts, due now."""
    with transaction.atomic():
        count = store.retry(deliveries, now=timezone.now())
        transaction.on_commit(_wake_due_queues, robust=True)
    return count


def discard(deliveries: QuerySet[Delivery]) -> int:
    """Give up on dead deliveries for good (this unblocks later ones of an ordered key)."""
    return store.discard(deliveries, now=timezone.now())


def replay(deliveries: QuerySet[Delivery]) -> int:
    """Run finished deliveries again (the handler runs once more: contexts' services are idempotent)."""
    with transaction.atomic():
        count = store.replay(deliveries, now=timezone.now())
        transaction.on_commit(_wake_due_queues, robust=True)
    return count


def backfill(subscriber: str, *, since: datetime) -> int:
    """Deliver to ``subscriber`` the events of its type published since ``since`` that it never got."""
    subscription = Subscription.objects.filter(id=subscriber, retired_at__isnull=True).first()
    if subscription is None:
        raise LookupError(f"no active subscriber {subscriber!r} in the topology (run migrate after deploying it)")
    with transaction.atomic():
        count = store.backfill(subscription, since=since, now=timezone.now())
        transaction.on_commit(_wake_due_queues, robust=True)
    return count


def pause(subscriber: str, *, reason: str = "") -> bool:
    """Stop handing out ``subscriber``'s deliveries: they wait, and spend no attempts, until resumed."""
    return bool(store.pause(subscriber, reason=reason, now=timezone.now()))


def resume(subscriber: str) -> bool:
    with transaction.atomic():
        found = bool(store.resume(subscriber))
        transaction.on_commit(_wake_due_queues, robust=True)
    return found


def _wake_due_queues() -> None:
    for queue in sorted(store.queues_with_due_work(timezone.now())):
        doorbell.wake_queue(queue)


def purge(older_than: timedelta, *, chunk: int = 5000) -> int:
    """Delete events older than ``older_than`` whose deliveries are all finished (done or discarded)."""
    cutoff = timezone.now() - older_than
    finished = (
        OutboxEvent.objects.filter(time__lt=cutoff, dispatched_at__isnull=False)
        .exclude(deliveries__state__in=store.OPEN_STATES)
        .order_by("id")
    )
    removed = 0
    while ids := list(finished.values_list("id", flat=True)[:chunk]):
        with transaction.atomic():
            Delivery.objects.filter(event_id__in=ids).delete()
            OutboxEvent.objects.filter(id__in=ids).delete()
        removed += len(ids)
    return removed


def rotate_field_keys() -> int:
    """Seal every stored sensitive value again with the newest field key, so older keys can be dropped."""
    types = {cls.event_type for cls in catalog.event_classes() if sensitive.has_sensitive_fields(cls)}
    return outbox.reseal(types, conf.current().field_cipher.rotate)
