"""A claim of a subscriber that only sends its events out of this database (the bus's forwarding to
another service): sent together, answered together, and marked done together.

Each delivery's fate is still its own: the sender answers for every event, and one it could not
send is retried, or dead-lettered, alone. Nothing is written in a handler's transaction, so there is
no transaction per delivery: the deliveries sent become done together, except any whose lease was
re-driven meanwhile (their event went out twice; the receiver drops the duplicate by event id; its
span, ended before, still shows the send as it happened).

The claim's attempts share one start and one duration: the time the whole send took.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Sequence

from django.utils import timezone

from eventbus import conf, store
from eventbus.engine import failing
from eventbus.engine.time_limit import time_limit
from eventbus.kernel.envelope import Envelope
from eventbus.models import Delivery
from eventbus.observability import tracing
from eventbus.store import Attempt, Claim, outbox
from eventbus.topology.subscribers import Subscriber

log = logging.getLogger(__name__)


def send_claim(found: Subscriber, claim: Claim, deliveries: dict[int, Delivery]) -> list[Attempt]:
    assert found.send_many is not None
    live = [deliveries[delivery_id] for delivery_id in claim.ids if delivery_id in deliveries]
    attempts = [claim.stale(delivery_id) for delivery_id in claim.ids if delivery_id not in deliveries]
    if not live:
        return attempts
    envelopes = [outbox.envelope_of(delivery.event) for delivery in live]
    started_at, started = timezone.now(), time.perf_counter()
    with tracing.sending_spans(
        envelopes, subscriber=found.id, attempts=[delivery.attempts for delivery in live]
    ) as spans:
        outcomes, trace = _send_all(found, envelopes)
        for span, outcome in zip(spans, outcomes, strict=True):
            if outcome is not None:
                tracing.failed(span, outcome)
    duration_ms = (time.perf_counter() - started) * 1000
    ended_at = timezone.now()
    sent = [delivery for delivery, outcome in zip(live, outcomes, strict=True) if outcome is None]
    done = store.finish_sent([delivery.id for delivery in sent], claim.token, at=ended_at, duration_ms=duration_ms)
    for delivery, outcome in zip(live, outcomes, strict=True):
        if outcome is None and delivery.id in done:
            attempts.append(Attempt(delivery, "handled", started_at, ended_at, duration_ms))
        elif outcome is None:
            attempts.append(Attempt(delivery, "stale"))
        else:
            attempts.append(
                failing.failed(
                    delivery, found, outcome, claim, started_at=started_at, duration_ms=duration_ms, trace=trace
                )
            )
    return attempts


def _send_all(found: Subscriber, envelopes: Sequence[Envelope]) -> tuple[list[BaseException | None], str]:
    """Each envelope's outcome, and the traceback of an error of the whole send, which is every one's."""
    assert found.send_many is not None
    try:
        with time_limit(found.timeout or conf.current().handler_timeout, what=found.id):
            outcomes = list(found.send_many(envelopes))
        if len(outcomes) != len(envelopes):
            raise RuntimeError(f"{found.id} answered for {len(outcomes)} of {len(envelopes)} events")
    except Exception as error:
        trace = traceback.format_exc()
        log.exception("%s could not send %d event(s)", found.id, len(envelopes))
        return [error] * len(envelopes), trace
    return outcomes, ""
