"""Running handlers: each delivery's effects and its 'done' mark commit or roll back together."""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Case, FloatField, Value, When
from django.utils import timezone

from . import codec, conf, metrics, tracing
from .claims import Claim
from .context import handling
from .models import Delivery
from .subscribers import Subscriber, subscriber

log = logging.getLogger(__name__)
State = Delivery.State
OUTCOME_FIELDS = [
    "state",
    "available_at",
    "finished_at",
    "duration_ms",
    "last_error",
    "last_traceback",
    "lease_expires_at",
]


@dataclass(frozen=True)
class Processed:
    handled: int
    ordered: int
    soonest_retry: datetime | None


def process_claim(claim: Claim) -> Processed:
    """Run the claimed deliveries in one transaction, each handler inside its own savepoint.

    Rows are locked and re-checked against the claim token first, so a delivery whose lease was
    re-driven elsewhere, or that is already done, is skipped. The lock waits rather than skips: a
    row leased to us can still be held for a moment by another worker's claim scan, and skipping
    it would strand it until its lease expired.
    """
    with transaction.atomic():
        deliveries = list(
            Delivery.objects.select_for_update(of=("self",))
            .select_related("event")
            .filter(claim_token=claim.token, state=State.RUNNING)
            .order_by("event_id")
        )
        started = {delivery.id: _run(delivery) for delivery in deliveries}
        _save_outcomes(deliveries)
    metrics.count_attempts(deliveries, {id: at for id, at in started.items() if at is not None})
    retries = [d.available_at for d in deliveries if d.state == State.PENDING]
    return Processed(len(deliveries), sum(d.ordered for d in deliveries), min(retries, default=None))


def _save_outcomes(deliveries: list[Delivery]) -> None:
    """Successes in one plain UPDATE (the common case); the rare failures row by row.

    The successes of a round commit together, so they share one finished time: when their
    effects became visible.
    """
    done = [d for d in deliveries if d.state == State.DONE]
    if done:
        durations = [When(id=d.id, then=Value(d.duration_ms)) for d in done]
        Delivery.objects.filter(id__in=[d.id for d in done]).update(
            state=State.DONE,
            finished_at=timezone.now(),
            lease_expires_at=None,
            duration_ms=Case(*durations, output_field=FloatField()),
        )
    for delivery in deliveries:
        if delivery.state != State.DONE:
            delivery.save(update_fields=OUTCOME_FIELDS)


def _run(delivery: Delivery) -> datetime | None:
    """Run one delivery's handler; when it started (None if no handler could run)."""
    found = subscriber(delivery.subscriber)
    delivery.duration_ms = None
    if found is None:
        _dead(delivery, f"no subscriber {delivery.subscriber!r} in this process", "")
        return None
    envelope = codec.envelope_of(delivery.event)
    try:
        event = codec.decode(envelope, found.event_class)
    except codec.UndecodableEvent as error:
        _dead(delivery, str(error), "")
        return None
    started_at = timezone.now()
    started = time.perf_counter()
    with (
        handling(envelope, found.id),
        tracing.handler_span(envelope, subscriber=found.id, attempt=delivery.attempts) as span,
    ):
        try:
            with transaction.atomic():
                found.handler(event)
        except Exception as error:
            delivery.duration_ms = (time.perf_counter() - started) * 1000
            tracing.failed(span, error)
            _failed(delivery, found, error)
        else:
            delivery.duration_ms = (time.perf_counter() - started) * 1000
            _finish(delivery, State.DONE)
    return started_at


def _failed(delivery: Delivery, found: Subscriber, error: Exception) -> None:
    message = f"{type(error).__name__}: {error}"
    trace = traceback.format_exc()
    if delivery.attempts >= (found.max_attempts or conf.max_attempts()):
        log.error("delivery %s to %s dead after %s attempts: %s", delivery.id, found.id, delivery.attempts, message)
        _dead(delivery, message, trace)
        return
    delay = (found.backoff or conf.backoff()).delay(delivery.attempts)
    log.warning(
        "delivery %s to %s failed (attempt %s), retry in %.2fs: %s",
        delivery.id,
        found.id,
        delivery.attempts,
        delay,
        message,
    )
    _retry_later(delivery, message, trace, timezone.now() + timedelta(seconds=delay))


def _retry_later(delivery: Delivery, message: str, trace: str, at: datetime) -> None:
    delivery.state = State.PENDING
    delivery.available_at = at
    delivery.last_error = message
    delivery.last_traceback = trace
    delivery.lease_expires_at = None


def _dead(delivery: Delivery, message: str, trace: str) -> None:
    delivery.last_error = message
    delivery.last_traceback = trace
    _finish(delivery, State.DEAD)


def _finish(delivery: Delivery, state: str) -> None:
    delivery.state = state
    delivery.finished_at = timezone.now()
    delivery.lease_expires_at = None
