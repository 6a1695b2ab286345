"""The bus's worst days for a context's own tests, in process and without servers.

Each fault runs a context's real handlers and services, so a test asserts what matters: the
effects (in the context's tables and at the outside world's fakes) happen once, and the saga ends.

- ``run_twice()``: every delivery is handled, then delivered and handled once more.
- ``run_newest_first()``: deliveries are handled newest first, the reverse of publish order (an
  ``ordered=True`` subscriber still sees each key in order: the bus guarantees that).
- ``failing(S, times=N)``: subscriber S's first N attempts fail before its handler runs (its
  ``prepare``, the outside call, has run).
- ``crashing_before_commit(S)``: S's ``prepare`` and handler run, then the attempt dies before its
  transaction commits. The outside call happened and the database effects rolled back, so the
  retry must not repeat the outside effect. The death is simulated by an exception, so the retry
  comes after the subscriber's backoff; a real crash's retry comes when its lease expires.
- ``timing_out(S)``: S's ``prepare`` runs, then its handler is ended by the time limit.

``failing``, ``crashing_before_commit`` and ``timing_out`` spend attempts: the retries wait for
their backoff, so run the bus with ``run_pending(now=...)`` later than that.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from eventbus import store
from eventbus.kernel.errors import HandlerTimeout
from eventbus.models import Delivery
from eventbus.testing import claim, process_claim, relay, run_pending
from eventbus.topology import subscribers as registry

State = Delivery.State


class InjectedFailure(Exception):
    """An attempt the fault kit failed on purpose."""


class SimulatedCrash(InjectedFailure):
    """The worker died after the handler ran and before its transaction committed."""


def run_twice(*, now: datetime | None = None) -> int:
    """Handle everything due, then deliver each delivery handled so far once more, and handle again."""
    handled = run_pending(now=now)
    store.replay(Delivery.objects.filter(state=State.DONE), now=_now(now))
    return handled + run_pending(now=now)


def run_newest_first(*, now: datetime | None = None, max_rounds: int = 1000) -> int:
    """Handle everything due one delivery at a time, the newest due delivery first."""
    handled = 0
    for _ in range(max_rounds):
        while relay(now=now):
            pass
        _put_newest_first(_now(now))
        claimed = claim(1, now=now)
        if claimed is None:
            return handled
        handled += process_claim(claimed).handled
    raise RuntimeError(f"deliveries still due after {max_rounds} rounds")


@contextmanager
def failing(subscriber_id: str, *, times: int) -> Iterator[list[int]]:
    """The subscriber's first ``times`` attempts fail before its handler runs; yields the attempts seen."""

    def before(attempt: int) -> None:
        if attempt <= times:
            raise InjectedFailure(f"{subscriber_id} attempt {attempt} failed on purpose")

    with _wrapped(subscriber_id, before=before) as attempts:
        yield attempts


@contextmanager
def crashing_before_commit(subscriber_id: str, *, times: int = 1) -> Iterator[list[int]]:
    """The subscriber's first ``times`` attempts die after their handler ran, before the commit."""

    def after(attempt: int) -> None:
        if attempt <= times:
            raise SimulatedCrash(f"{subscriber_id} attempt {attempt} died before its commit")

    with _wrapped(subscriber_id, after=after) as attempts:
        yield attempts


@contextmanager
def timing_out(subscriber_id: str, *, times: int = 1) -> Iterator[list[int]]:
    """The subscriber's first ``times`` attempts are ended by the time limit (after ``prepare`` ran)."""

    def before(attempt: int) -> None:
        if attempt <= times:
            raise HandlerTimeout(f"{subscriber_id} ran past its time limit (injected)")

    with _wrapped(subscriber_id, before=before) as attempts:
        yield attempts


@contextmanager
def _wrapped(
    subscriber_id: str,
    *,
    before: Callable[[int], None] = lambda attempt: None,
    after: Callable[[int], None] = lambda attempt: None,
) -> Iterator[list[int]]:
    current = registry.subscriber(subscriber_id)
    if current is None:
        raise LookupError(f"no subscriber {subscriber_id!r} in this process")
    attempts: list[int] = []
    handler = current.handler

    def faulty(*args: Any) -> None:
        attempts.append(len(attempts) + 1)
        before(attempts[-1])
        handler(*args)
        after(attempts[-1])

    replacement = dataclasses.replace(current, handler=faulty)
    registry.replace(current, replacement)
    try:
        yield attempts
    finally:
        registry.replace(replacement, current)


def _put_newest_first(now: datetime) -> None:
    """Make the newest due delivery the one that has waited longest (a test's reordering only)."""
    due = list(store.due_deliveries(now).order_by("-id").values_list("id", flat=True))
    for rank, delivery_id in enumerate(due):
        Delivery.objects.filter(id=delivery_id).update(available_at=now - timedelta(days=1) + timedelta(seconds=rank))


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()
