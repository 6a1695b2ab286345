"""Throughput: the same publisher sends N no-op items as fast as it can while 2 processes consume.

Baseline: one raw Celery task per item. Bus: one event per publishing transaction, each handled
by a no-op subscriber. Publishing and consuming overlap, as they do in production.
"""

from __future__ import annotations

from django.db import transaction

from eventbus import conf, publish

from .measuring import STALL_ALLOWANCE, Measured, measure
from .noop.events import NoopEvent
from .noop.tasks import NOOP_TASK
from .workers import Workers, app


def send_tasks(run: str, items: int) -> None:
    for n in range(items):
        send_task(run, n)


def send_task(run: str, n: int) -> None:
    """One raw Celery task, sent the way the bus's doorbell sends its own."""
    app.send_task(NOOP_TASK, args=(run, n), queue=conf.current().queue, retry=False)


def publish_events(run: str, items: int) -> None:
    for n in range(items):
        with transaction.atomic():
            publish(NoopEvent(run=run, n=n), key=str(n))


def baseline(workers: Workers, run: str, items: int) -> Measured:
    return measure(workers, run, items, lambda: send_tasks(run, items), timeout=STALL_ALLOWANCE + items / 100)


def events(workers: Workers, run: str, items: int, *, groups: dict[int, str] | None = None) -> Measured:
    """``groups``: more worker process groups whose CPU counts (a remote service's)."""
    send = lambda: publish_events(run, items)  # noqa: E731
    return measure(workers, run, items, send, timeout=STALL_ALLOWANCE + items / 100, groups=groups)
