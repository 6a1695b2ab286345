"""Running a claim: each delivery in its own transaction, its effects and its 'done' mark together.

One delivery's fate is its own: a handler that fails rolls back only its own transaction, a hung
one is ended by its subscriber's time limit, and one that kills its worker costs the deliveries
behind it no attempt (see ``store.release_expired_leases``). A claim keeps starting deliveries for
``EVENTBUS_BATCH_SECONDS`` at most, then hands the rest back for another worker.

A subscriber that only sends its events out of this database (forwarding) has nothing to write
in a transaction: its claim is sent at once (``sending``).
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from eventbus import conf, store
from eventbus.engine import failing
from eventbus.engine.routing import local_subscriber
from eventbus.engine.sending import send_claim
from eventbus.engine.time_limit import time_limit
from eventbus.kernel.context import handling
from eventbus.kernel.decoding import UndecodableEvent, decode
from eventbus.kernel.sensitive import FieldCipher
from eventbus.models import Delivery
from eventbus.observability import metrics, tracing
from eventbus.store import Attempt, Claim, outbox
from eventbus.topology.subscribers import Subscriber


@dataclass(frozen=True)
class Processed:
    handled: int
    soonest_retry: datetime | None
    handed_back: int


def process_claim(claim: Claim) -> Processed:
    """Handle the claimed deliveries one by one, each in its own transaction (or send them at once)."""
    deliveries = store.claimed(claim)
    found = local_subscriber(claim.subscriber)
    handed_back = 0
    if found is None:  # retired from this process's code since the claim was made
        attempts = [claim.stale(delivery_id) for delivery_id in claim.ids]
    elif found.send_many is not None:
        attempts = send_claim(found, claim, deliveries)
    else:
        attempts, handed_back = _handle_one_by_one(found, claim, deliveries)
    metrics.count_attempts(attempts)
    retries = [a.retry_at for a in attempts if a.retry_at is not None]
    handled = sum(a.outcome != "stale" for a in attempts)
    return Processed(handled, min(retries, default=None), handed_back)


def _handle_one_by_one(found: Subscriber, claim: Claim, deliveries: dict[int, Delivery]) -> tuple[list[Attempt], int]:
    budget_ends = time.monotonic() + conf.current().batch_seconds
    attempts: list[Attempt] = []
    for index, delivery_id in enumerate(claim.ids):
        if index and time.monotonic() > budget_ends:
            return _recorded(attempts), store.hand_back(claim.ids[index:], claim.token, now=claim.now())
        delivery = deliveries.get(delivery_id)
        attempts.append(claim.stale(delivery_id) if delivery is None else _attempt(found, delivery, claim))
    return _recorded(attempts), 0


def _recorded(attempts: list[Attempt]) -> list[Attempt]:
    """After the deliveries' own transactions: when each handler ended and how long it ran."""
    store.record_durations(
        {a.delivery.id: (a.ended_at, a.duration_ms) for a in attempts if a.ended_at and a.duration_ms is not None}
    )
    return attempts


def _field_cipher() -> FieldCipher:
    return conf.current().field_cipher


def _attempt(found: Subscriber, delivery: Delivery, claim: Claim) -> Attempt:
    envelope = outbox.envelope_of(delivery.event)
    try:
        event = decode(envelope, found.event_class, keys=_field_cipher)
    except UndecodableEvent as error:
        store.fail(delivery.id, claim.token, error=str(error), trace="", retry_at=None, duration_ms=None)
        return Attempt(delivery, "dead")
    started_at, started = timezone.now(), time.perf_counter()
    with (
        handling(envelope, found.id),
        tracing.handler_span(envelope, subscriber=found.id, attempt=delivery.attempts) as span,
    ):
        try:
            ran = _run(found, event, delivery.id, claim)
        except Exception as error:
            duration_ms = (time.perf_counter() - started) * 1000
            tracing.failed(span, error)
            trace = traceback.format_exc()
            return failing.failed(
                delivery, found, error, claim, started_at=started_at, duration_ms=duration_ms, trace=trace
            )
    if not ran:
        return Attempt(delivery, "stale")
    duration_ms = (time.perf_counter() - started) * 1000
    return Attempt(delivery, "handled", started_at, timezone.now(), duration_ms)


def _run(found: Subscriber, event: object, delivery_id: int, claim: Claim) -> bool:
    """Prepare outside any transaction, then handle inside the delivery's own; False if stale.

    The time limit covers the subscriber's own code, not the commit.
    """
    ends = time.monotonic() + (found.timeout or conf.current().handler_timeout)
    prepared = None
    if found.prepare is not None:
        with time_limit(ends - time.monotonic(), what=found.id):
            prepared = found.prepare(event)
    with transaction.atomic():
        if not store.start_handling(delivery_id, claim.token):
            return False
        with time_limit(ends - time.monotonic(), what=found.id):
            if found.prepare is not None:
                found.handler(event, prepared)
            else:
                found.handler(event)
    return True
