"""Operator actions shared by the management command and the admin: status, dead letters, replay, pause, purge."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from eventbus import conf, store
from eventbus.kernel import catalog, sensitive
from eventbus.models import Delivery, OutboxEvent, Subscription
from eventbus.store import Operator, outbox
from eventbus.topology.subscribers import all_subscribers
from eventbus.transport import doorbell

State = Delivery.State


def status(now: datetime | None = None) -> store.Backlog:
    """Everything that waits, every delivery by subscriber and state (``store.backlog``)."""
    return store.backlog(now or timezone.now())


def dead_letters() -> QuerySet[Delivery]:
    return store.dead_letters()


def dead_letter_groups(*, subscriber: str = "") -> store.DeadLetterGroups:
    """Dead letters by subscriber and error fingerprint (``store.dead_letter_groups``: a bounded scan)."""
    return store.dead_letter_groups(subscriber=subscriber)


def dead_letter_group(subscriber: str, fingerprint: str, *, up_to: int) -> QuerySet[Delivery]:
    """The dead letters of one group, as the operator saw it: those up to id ``up_to``, to retry or discard."""
    return store.dead_letters().filter(id__in=store.dead_letter_group(subscriber, fingerprint, up_to=up_to))


def retry(deliveries: QuerySet[Delivery], *, by: Operator) -> int:
    """Give dead (or discarded) deliveries a fresh set of attempts, due now."""
    return _audited("retry", store.retry, deliveries, by=by, wake=True)


def discard(deliveries: QuerySet[Delivery], *, by: Operator) -> int:
    """Give up on dead deliveries for good (this unblocks later ones of an ordered key)."""
    return _audited("discard", store.discard, deliveries, by=by, wake=False)


def replay(deliveries: QuerySet[Delivery], *, by: Operator) -> int:
    """Run finished deliveries again (the handler runs once more: contexts' services are idempotent)."""
    return _audited("replay", store.replay, deliveries, by=by, wake=True)


def _audited(
    action: str,
    change: Callable[..., list[int]],
    deliveries: QuerySet[Delivery],
    *,
    by: Operator,
    wake: bool,
) -> int:
    """``change`` the deliveries and record it, in one transaction; wake the queues after, if asked."""
    with transaction.atomic():
        now = timezone.now()
        ids = change(deliveries, now=now)
        store.audit(by, action, _listed(ids), count=len(ids), now=now)
        if wake:
            transaction.on_commit(_wake_due_queues, robust=True)
    return len(ids)


def backfill(subscriber: str, *, since: datetime, by: Operator) -> int:
    """Deliver to ``subscriber`` the events of its type published since ``since`` that it never got."""
    subscription = Subscription.objects.filter(id=subscriber, retired_at__isnull=True).first()
    if subscription is None:
        raise LookupError(f"no active subscriber {subscriber!r} in the topology (run migrate after deploying it)")
    with transaction.atomic():
        now = timezone.now()
        count = store.backfill(subscription, since=since, now=now)
        store.audit(by, "backfill", f"subscriber {subscriber}, events since {since.isoformat()}", count=count, now=now)
        transaction.on_commit(_wake_due_queues, robust=True)
    return count


def hand_over(*, by: Operator) -> int:
    """After a split's switch, forward the pending deliveries of the subscribers another service now runs."""
    deployment = conf.current().deployment
    moved = [found.id for found in all_subscribers() if not deployment.runs_here(found.context)]
    tally = _Tally(by, "hand-over", f"pending deliveries of {', '.join(moved) or 'no subscriber'}")
    handed = 0
    for ids in store.hand_over(moved, now=timezone.now()):  # each chunk yielded inside its transaction
        tally.add(len(ids))
        handed += len(ids)
    tally.close()
    _wake_due_queues()
    return handed


def pause(subscriber: str, *, by: Operator) -> bool:
    """Stop handing out ``subscriber``'s deliveries: they wait, and spend no attempts, until resumed."""
    with transaction.atomic():
        now = timezone.now()
        found = bool(store.pause(subscriber, reason=by.reason, now=now))
        if found:
            store.audit(by, "pause", f"subscriber {subscriber}", count=None, now=now)
    return found


def resume(subscriber: str, *, by: Operator) -> bool:
    with transaction.atomic():
        now = timezone.now()
        found = bool(store.resume(subscriber))
        if found:
            store.audit(by, "resume", f"subscriber {subscriber}", count=None, now=now)
        transaction.on_commit(_wake_due_queues, robust=True)
    return found


def record(by: Operator, action: str, target: str) -> None:
    """Add a context's own operator action to the audit trail (e.g. an operator's cancellation),
    inside the caller's transaction."""
    store.audit(by, action, target, count=None, now=timezone.now())


def _wake_due_queues() -> None:
    for queue in sorted(store.queues_with_due_work(timezone.now())):
        doorbell.wake_queue(queue)


def purge(older_than: timedelta, *, by: Operator, chunk: int = 5000) -> int:
    """Delete events older than ``older_than`` whose deliveries are all finished (done or discarded)."""
    cutoff = timezone.now() - older_than
    tally = _Tally(by, "purge", f"finished events before {cutoff.isoformat()}")
    finished = (
        OutboxEvent.objects.filter(time__lt=cutoff, dispatched_at__isnull=False)
        .exclude(deliveries__state__in=store.OPEN_STATES)
        .order_by("id")
    )
    removed = 0
    while ids := list(finished.values_list("id", flat=True)[:chunk]):
        with transaction.atomic():
            # One DELETE: the database deletes their deliveries and attempts (ON DELETE CASCADE).
            OutboxEvent.objects.filter(id__in=ids).delete()
            tally.add(len(ids))
        removed += len(ids)
    tally.close()
    return removed


def rotate_field_keys(*, by: Operator) -> int:
    """Seal every stored sensitive value with the newest field key (those stored in clear before their
    field was sealed too), so that older keys can be dropped. Values sealed with it already are left."""
    settings = conf.current()
    cipher, newest = settings.field_cipher, settings.newest_field_cipher
    types = {cls.event_type for cls in catalog.event_classes()}
    fields_of = {event_type: fields for event_type in types if (fields := sensitive.sensitive_fields_of(event_type))}
    tally = _Tally(by, "rotate field keys", f"outbox rows of {', '.join(sorted(fields_of))}")
    changed = outbox.reseal(fields_of, lambda value: sensitive.seal_again(value, cipher, newest), on_chunk=tally.add)
    tally.close()
    return changed


class _Tally:
    """The audit record of an action made in chunks: written with the first chunk's transaction, its
    count raised in each later one, so it never counts a change that did not commit."""

    def __init__(self, by: Operator, action: str, target: str) -> None:
        self.by, self.action, self.target = by, action, target
        self.record_id: int | None = None

    def add(self, count: int) -> None:
        """Inside the transaction of the chunk that changed ``count`` rows."""
        if self.record_id is None:
            self.record_id = store.audit(self.by, self.action, self.target, count=count, now=timezone.now())
        else:
            store.audit_more(self.record_id, count)

    def close(self) -> None:
        """An action that found nothing to change is recorded too."""
        if self.record_id is None:
            with transaction.atomic():
                self.add(0)


def _listed(ids: list[int], *, shown: int = 100) -> str:
    """Delivery ids for the audit trail; past ``shown`` of them, how many more."""
    text = "deliveries " + ", ".join(str(i) for i in ids[:shown])
    return text + (f" and {len(ids) - shown} more" if len(ids) > shown else "")
