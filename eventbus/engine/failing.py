"""A failed attempt: tried again after its subscriber's backoff, or dead-lettered when it cannot be."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from eventbus import conf, store
from eventbus.kernel.errors import PermanentError, RetryAfter
from eventbus.models import Delivery
from eventbus.store import Attempt, Claim
from eventbus.topology.subscribers import Subscriber

log = logging.getLogger(__name__)


def failed(
    delivery: Delivery,
    found: Subscriber,
    error: BaseException,
    claim: Claim,
    *,
    started_at: datetime,
    duration_ms: float,
    trace: str,
) -> Attempt:
    """Record the failure: pending again at its retry time, or dead."""
    message = f"{type(error).__name__}: {error}"
    retry_at = retry_time(delivery, found, error, claim.now())
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


def retry_time(delivery: Delivery, found: Subscriber, error: BaseException, now: datetime) -> datetime | None:
    """When to try again, or None to dead-letter: PermanentError and spent attempts end it."""
    if isinstance(error, PermanentError) or delivery.attempts >= (found.max_attempts or conf.current().max_attempts):
        return None
    if isinstance(error, RetryAfter):
        delay = error.seconds
    else:
        delay = (found.backoff or conf.current().backoff).delay(delivery.attempts)
    return now + timedelta(seconds=delay)
