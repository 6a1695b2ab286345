"""What a worker does when woken: relay the outbox, or handle one queue's deliveries, until nothing is due.

Both loops work for at most ``EVENTBUS_PUMP_SECONDS`` and then hand over to a fresh task. When a
round finds nothing, the loop opens its gate (``doorbell``) and looks once more, so anything that
committed in between is either seen now or wakes it again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple
from uuid import uuid4

from django.utils import timezone

from eventbus import conf, store
from eventbus.engine.handling import process_claim
from eventbus.engine.routing import local_subscribers
from eventbus.observability import tracing
from eventbus.transport import doorbell


def relay_outbox() -> int:
    """Turn due outbox rows into deliveries and wake each queue that got some; returns events relayed."""
    batch = conf.current().batch_size
    relayed_total = 0

    def round_() -> Round:
        nonlocal relayed_total
        relayed = _relay_round(batch)
        relayed_total += relayed
        return Round(found=relayed > 0, full=relayed == batch, more=relayed == batch)

    _work(round_, conf.current().queue, wake=doorbell.wake_relay)
    return relayed_total


def _relay_round(batch: int) -> int:
    started = time.time_ns()
    relayed, trace_contexts = store.relay(batch, now=timezone.now())
    if relayed.events:
        tracing.relayed(trace_contexts, events=relayed.events, start_time=started)
    for queue in sorted(relayed.queues):
        doorbell.ring_queue(queue)
    return relayed.events


def deliver(queue: str) -> int:
    """Claim and handle the due deliveries of this process's subscribers in ``queue``; returns attempts.

    Each round first relays what the outbox holds (one indexed query when it is empty), so the
    events a saga's handlers publish move on without waiting for a relay task of their own.
    A claim holds one subscriber's deliveries; when more is due, or the claim holds more than one,
    another worker is woken before this one starts handling, so a slow subscriber occupies one
    worker, not the queue, and a queue under load is worked by more than one process.
    """
    batch = conf.current().batch_size
    mine = [found.id for found in local_subscribers() if found.queue == queue]
    handled, helped = 0, False

    def round_() -> Round:
        nonlocal handled, helped
        relayed = _relay_round(batch)
        claim = store.claim(mine, batch, now=timezone.now(), token=uuid4())
        if claim is None:
            return Round(found=relayed > 0, full=False, more=relayed == batch)
        if (claim.more_due or len(claim.ids) > 1) and not helped:
            helped = doorbell.wake_queue(queue)
        processed = process_claim(claim)
        handled += processed.handled
        if processed.soonest_retry is not None:
            countdown = max((processed.soonest_retry - timezone.now()).total_seconds(), 0)
            doorbell.wake_queue(queue, countdown=countdown)
        if processed.handed_back:
            doorbell.wake_queue(queue)
        return Round(found=True, full=False, more=relayed == batch or claim.more_due or processed.handed_back > 0)

    _work(round_, queue, wake=lambda: doorbell.wake_queue(queue))
    return handled


class Round(NamedTuple):
    found: bool
    """It relayed or handled something."""
    full: bool
    """It took a whole batch: one more task is woken, so another worker joins in."""
    more: bool
    """Something else is known to be due (a full batch, more due than claimed, deliveries handed back)."""


def _work(round_: Callable[[], Round], gate: str, *, wake: Callable[[], bool]) -> None:
    """Run rounds until one finds nothing after the gate was opened, or the time budget is spent.

    While the gate is shut, a round that knows of nothing more due opens it at once, and the next
    round is the last look (one round fewer per wake-up than waiting for a round to come back
    empty). Once the gate is open, whatever commits rings again, and rounds go on while they find
    work: what one handles can make another due that no commit announces (the next event of an
    ordered key).
    """
    deadline = time.monotonic() + conf.current().pump_seconds
    helped, gate_open = False, False
    while time.monotonic() < deadline:
        found, full, more = round_()
        if full and not helped:
            helped = wake()
        if more or (found and gate_open):
            continue
        if gate_open:
            return
        doorbell.open_gate(gate)
        gate_open = True
    wake()


def sweep() -> int:
    """Re-drive expired leases and wake whatever has work due; returns how many wake-ups it sent."""
    store.release_expired_leases()
    now = timezone.now()
    woken = 0
    if store.due_events(now).exists():
        woken += doorbell.wake_relay()
    for queue in sorted(store.queues_with_due_work(now)):
        woken += doorbell.wake_queue(queue)
    return woken
