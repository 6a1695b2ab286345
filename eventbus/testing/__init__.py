"""Helpers for the contexts' tests: what a service published, and running deliveries inline."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from uuid import uuid4

from django.utils import timezone

from eventbus import conf, store
from eventbus.engine.handling import process_claim
from eventbus.engine.routing import local_subscribers
from eventbus.kernel import sensitive
from eventbus.kernel.decoding import decode
from eventbus.kernel.envelope import Envelope
from eventbus.kernel.event import Event
from eventbus.models import Delivery, OutboxEvent
from eventbus.store import outbox, subscriptions


class Published(list[Envelope]):
    """Envelopes published inside a ``capture_published()`` block, in publish order."""

    def of(self, event_class: type[Event]) -> list[Event]:
        return [
            event_class.model_validate(e.data, context=sensitive.sealing(conf.current().field_cipher))
            for e in self
            if (e.type, e.dataversion) == (event_class.event_type, event_class.event_version)
        ]

    def types(self) -> list[str]:
        return [e.type for e in self]


def decoded(envelope: Envelope, event_class: type[Event]) -> Event:
    """A stored envelope read as ``event_class``, as the bus reads it for a subscriber (sealed fields opened)."""
    return decode(envelope, event_class, keys=lambda: conf.current().field_cipher)


@contextmanager
def capture_published() -> Iterator[Published]:
    """Collect what the block publishes: ``with capture_published() as published: ...``."""
    before = OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    published = Published()
    yield published
    published.extend(outbox.envelope_of(row) for row in OutboxEvent.objects.filter(id__gt=before).order_by("id"))


def relay(limit: int = 100, *, now: datetime | None = None) -> int:
    """Relay up to ``limit`` due events in this process (its subscribers written to the topology first)."""
    subscriptions.sync(local_subscribers(), authoritative=True)
    relayed, _ = store.relay(limit, now=now or timezone.now())
    return relayed.events


def claim(limit: int = 100, *, now: datetime | None = None) -> store.Claim | None:
    """Claim due deliveries of one of this process's subscribers, as a worker would."""
    mine = [found.id for found in local_subscribers()]
    return store.claim(mine, limit, now=now or timezone.now(), token=uuid4())


def run_pending(*, now: datetime | None = None, max_rounds: int = 1000) -> int:
    """Relay and handle everything due (at ``now``), in this process; returns how many handlers ran.

    This process's subscribers are written to the topology first, as ``migrate`` would. Works
    inside a test transaction, where on-commit wake-ups never ring.
    """
    handled = 0
    for _ in range(max_rounds):
        relayed = relay(now=now)
        claimed = claim(now=now)
        if claimed is None and relayed == 0:
            return handled
        if claimed is not None:
            handled += process_claim(claimed).handled
    raise RuntimeError(f"deliveries still due after {max_rounds} rounds: a handler keeps publishing?")


def is_idle(*, correlation_id: str | None = None, using: str = "default") -> bool:
    """Nothing left to do: no due event undispatched, no delivery pending, running or dead.

    One statement, so one snapshot: two queries could miss work that moved from one table to the
    other between them (a relay, or a handler that published).
    """
    events = store.due_events(timezone.now()).using(using)
    deliveries = Delivery.objects.using(using).filter(state__in=store.OPEN_STATES)
    if correlation_id is not None:
        events = events.filter(correlation_id=correlation_id)
        deliveries = deliveries.filter(event__correlation_id=correlation_id)
    either = events.values_list("id", flat=True).union(deliveries.values_list("id", flat=True), all=True)
    return not list(either[:1])


def wait_until[T](condition: Callable[[], T], *, timeout: float = 30.0, what: str = "", interval: float = 0.05) -> T:
    """Poll ``condition`` until it returns something truthy; fail naming ``what`` after ``timeout``.

    For tests and benchmarks that wait on other processes (workers), instead of sleeping and hoping.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what or condition}")
        time.sleep(interval)
