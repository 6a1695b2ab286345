"""Running a claim: each delivery in its own transaction, its effects and its 'done' mark together.

One delivery's fate is its own: a handler that fails rolls back only its own transaction, a hung
one is ended by its subscriber's time limit, and one that kills its worker costs the deliveries
behind it no attempt (see ``store.release_expired_leases``). A claim keeps starting deliveries for
``EVENTBUS_BATCH_SECONDS`` at most, then hands the rest back for another worker.
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from eventbus import conf, store
from eventbus.engine.routing import local_subscriber
from eventbus.engine.time_limit import time_limit
from eventbus.kernel.context import handling
from eventbus.kernel.decoding import UndecodableEvent, decode
from eventbus.kernel.errors import PermanentError, RetryAfter
from eventbus.kernel.sensitive import FieldCipher
from eventbus.models import Delivery
from eventbus.observability import metrics, tracing
from eventbus.store import Attempt, Claim, outbox
from eventbus.topology.subscribers import Subscriber

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Processed:
    handled: int
    soonest_retry: datetime | None
    handed_back: int


def process_claim(claim: Claim) -> Processed:
    """Handle the claimed deliveries one by one, each in its own transaction."""
    budget_ends = time.monotonic() + conf.current().batch_seconds
    attempts: list[Attempt] = []
    handed_back = 0
    deliveries = store.claimed(claim)
    for index, delivery_id in enumerate(claim.ids):
        if index and time.monotonic() > budget_ends:
            handed_back = store.hand_back(claim.ids[index:], claim.token, now=_now(claim))
            break
        attempts.append(_attempt(deliveries.get(delivery_id), delivery_id, claim))
    store.record_durations(
        {a.delivery.id: (a.ended_at, a.duration_ms) for a in attempts if a.ended_at and a.duration_ms is not None}
    )
    metrics.count_attempts(attempts)
    retries = [a.retry_at for a in attempts if a.retry_at is not None]
    handled = sum(a.outcome != "stale" for a in attempts)
    return Processed(handled, min(retries, default=None), handed_back)


def _field_cipher() -> FieldCipher:
    return conf.current().field_cipher


def _attempt(delivery: Delivery | None, delivery_id: int, claim: Claim) -> Attempt:
    found = local_subscriber(claim.subscriber)
    if delivery is None or found is None:
        return Attempt(Delivery(id=delivery_id, subscriber=claim.subscriber), "stale")
    envelope = outbox.envelope_of(delivery.event)
    try:
        event = decode(envelope, found.event_class, keys=_field_cipher)
    except UndecodableEvent as error:
        store.fail(delivery_id, claim.token, error=str(error), trace="", retry_at=None, duration_ms=None)
        return Attempt(delivery, "dead")
    started_at, started = timezone.now(), time.perf_counter()
    with (
        handling(envelope, found.id),
        tracing.handler_span(envelope, subscriber=found.id, attempt=delivery.attempts) as span,
    ):
        try:
            ran = _run(found, event, delivery_id, claim)
        except Exception as error:
            duration_ms = (time.perf_counter() - started) * 1000
            tracing.failed(span, error)
            return _failed(delivery, found, error, claim, started_at, duration_ms)
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


def _failed(
    delivery: Delivery, found: Subscriber, error: Exception, claim: Claim, started_at: datetime, duration_ms: float
) -> Attempt:
    message = f"{type(error).__name__}: {error}"
    trace = traceback.format_exc()
    retry_at = _retry_time(delivery, found, error, _now(claim))
    if retry_at is None:
        log.error("delivery %s to %s dead after %s attempts: %s", delivery.id, found.id, delivery.attempts, message)
    else:
        log.warning(
            "delivery %s to %s failed (attempt %s), retry at %s: %s",
            delivery.id,
            found.id,
            delivery.attempts,
            retry_at.isoformat(),
            message,
        )
    store.fail(delivery.id, claim.token, error=message, trace=trace, retry_at=retry_at, duration_ms=duration_ms)
    return Attempt(delivery, "dead" if retry_at is None else "retry", started_at, None, duration_ms, retry_at)


def _now(claim: Claim) -> datetime:
    """The present, never before the claim's own time (tests claim at a simulated later time)."""
    return max(timezone.now(), claim.claimed_at)


def _retry_time(delivery: Delivery, found: Subscriber, error: Exception, now: datetime) -> datetime | None:
    """When to try again, or None to dead-letter: PermanentError and spent attempts end it."""
    if isinstance(error, PermanentError) or delivery.attempts >= (found.max_attempts or conf.current().max_attempts):
        return None
    if isinstance(error, RetryAfter):
        delay = error.seconds
    else:
        delay = (found.backoff or conf.current().backoff).delay(delivery.attempts)
    return now + timedelta(seconds=delay)
