"""Test handlers: each records an Effect, so a test counts exactly how often a handler committed."""

import os
import time
from pathlib import Path

from eventbus import Backoff, PermanentError, RetryAfter, current_envelope, subscribe
from orders import events as orders_events

from .events import Doom, Fanout, Hang, Ping, Sequenced, Slow, Verdict
from .models import Effect, Switch

FLAKY_LOG = Path(os.environ.get("BUSAPP_FLAKY_LOG", "var/busapp-flaky.log"))
# A process started with some handlers left out stands for a worker of an older release.
LEFT_OUT = set(os.environ.get("BUSAPP_LEAVE_OUT", "").split(","))


def subscribe_unless_left_out(*args: object, **options: object):
    def register(handler):
        return handler if handler.__name__ in LEFT_OUT else subscribe(*args, **options)(handler)

    return register


def record(subscriber: str, n: int) -> None:
    envelope = current_envelope()
    assert envelope is not None
    Effect.objects.create(subscriber=subscriber, event_id=envelope.id, key=envelope.subject, n=n)


@subscribe_unless_left_out(Ping)
def record_ping(event: Ping) -> None:
    record("busapp.record_ping", event.n)


@subscribe(Fanout)
def record_fanout(event: Fanout) -> None:
    record("busapp.record_fanout", event.n)


@subscribe(Fanout, max_attempts=4, backoff=Backoff(base_seconds=0.3, max_seconds=10, jitter=False))
def fail_until_fixed(event: Fanout) -> None:
    with FLAKY_LOG.open("a") as log:
        log.write(f"{time.time()}\n")
    if not Switch.objects.filter(name="fixed").exists():
        raise RuntimeError(f"broken handler refuses event {event.n}")
    record("busapp.fail_until_fixed", event.n)


@subscribe(Sequenced, ordered=True)
def record_in_order(event: Sequenced) -> None:
    record("busapp.record_in_order", event.n)


@subscribe(Hang)
def hang_first_time(event: Hang) -> None:
    marker = Path(event.marker)
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        time.sleep(120)
    record("busapp.hang_first_time", 0)


def audit_cancellation(event: orders_events.OrderCancelled) -> None:
    """A subscriber of a saga event that a test can break (Switch "audit-broken") to dead-letter it.

    Subscribed only by the ``audit_subscriber`` fixture, so the saga tests never meet it.
    """
    if Switch.objects.filter(name="audit-broken").exists():
        raise RuntimeError(f"audit trail unavailable for order {event.order_id}")
    record("busapp.audit_cancellation", 0)


@subscribe(Doom, max_attempts=3)
def doom_or_record(event: Doom) -> None:
    if event.kill:
        os._exit(1)
    record("busapp.doom_or_record", event.n)


@subscribe(Slow)
def answer_at_once(event: Slow) -> None:
    record("busapp.answer_at_once", 0)


def sleep_the_first_time(event: Slow) -> None:
    marker = Path(event.marker)
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        time.sleep(event.seconds)


@subscribe(Slow, prepare=sleep_the_first_time)
def answer_after_preparing(event: Slow, prepared: None) -> None:
    record("busapp.answer_after_preparing", 0)


@subscribe(Verdict, max_attempts=5)
def judge(event: Verdict) -> None:
    if event.outcome == "permanent":
        raise PermanentError("this event can never be handled")
    if event.outcome == "retry-after":
        raise RetryAfter(120, "the provider asked us to come back in two minutes")
    record("busapp.judge", 0)
