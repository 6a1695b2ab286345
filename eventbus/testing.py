"""Helpers for the contexts' tests: what a service published, and running deliveries inline."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from django.utils import timezone

from . import codec
from .claims import claim_deliveries
from .envelope import Envelope
from .event import Event
from .handling import process_claim
from .models import Delivery, OutboxEvent
from .relay import relay_batch


class Published(list[Envelope]):
    """Envelopes published inside a ``capture_published()`` block, in publish order."""

    def of(self, event_class: type[Event]) -> list[Event]:
        return [
            event_class.model_validate(e.data)
            for e in self
            if (e.type, e.dataversion) == (event_class.event_type, event_class.event_version)
        ]

    def types(self) -> list[str]:
        return [e.type for e in self]


@contextmanager
def capture_published() -> Iterator[Published]:
    """Collect what the block publishes: ``with capture_published() as published: ...``."""
    before = OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    published = Published()
    yield published
    published.extend(codec.envelope_of(row) for row in OutboxEvent.objects.filter(id__gt=before).order_by("id"))


def run_pending(*, now: datetime | None = None, max_rounds: int = 1000) -> int:
    """Relay and handle everything due (at ``now``), in this process; returns how many handlers ran.

    Works inside a test transaction, where on-commit doorbells never ring.
    """
    handled = 0
    for _ in range(max_rounds):
        relayed = relay_batch(100, now=now)
        claim = claim_deliveries(100, now=now)
        if claim is None and relayed.events == 0:
            return handled
        if claim is not None:
            handled += process_claim(claim).handled
    raise RuntimeError(f"deliveries still due after {max_rounds} rounds: a handler keeps publishing?")


def is_idle(*, correlation_id: str | None = None) -> bool:
    """Nothing left to do: no due event undispatched, no delivery pending, running or dead."""
    events = OutboxEvent.objects.filter(dispatched_at__isnull=True, deliver_at__lte=timezone.now())
    deliveries = Delivery.objects.exclude(state__in=[Delivery.State.DONE, Delivery.State.DISCARDED])
    if correlation_id is not None:
        events = events.filter(correlation_id=correlation_id)
        deliveries = deliveries.filter(event__correlation_id=correlation_id)
    return not events.exists() and not deliveries.exists()


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
