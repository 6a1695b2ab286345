"""Due work of every kind is served fairly: a retry does not wait behind a backlog of new events."""

from datetime import datetime, timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from uuid6 import uuid7

from eventbus import publish
from eventbus.models import Delivery, OutboxEvent
from eventbus.testing import run_pending, wait_until
from tests.busapp.events import Fanout, Ping
from tests.busapp.models import Effect, Switch

pytestmark = pytest.mark.workers
State = Delivery.State
BACKLOG = 100_000


def queue_backlog(count: int, *, since: datetime) -> None:
    """``count`` Ping events in the outbox, all due since ``since``: queued before the retry's failure."""
    rows = (
        OutboxEvent(
            event_id=uuid7(),
            source="/test",
            type=Ping.event_type,
            version=Ping.event_version,
            key=f"backlog-{n}",
            time=since,
            data={"n": n},
            correlation_id=f"backlog-{n}",
            deliver_at=since,
        )
        for n in range(count)
    )
    OutboxEvent.objects.bulk_create(rows, batch_size=5000)


def test_a_retry_due_while_a_100000_event_backlog_drains_runs_on_time(start_worker):
    queued_at = timezone.now() - timedelta(seconds=1)
    with transaction.atomic():
        publish(Fanout(n=1), key="the-retry")
    run_pending()  # busapp.fail_until_fixed fails its first attempt: a retry is due 0.3 s later
    retry = Delivery.objects.get(subscriber="busapp.fail_until_fixed")
    assert (retry.state, retry.attempts) == (State.PENDING, 1)
    queue_backlog(BACKLOG, since=queued_at)
    Switch.objects.create(name="fixed")

    start_worker()
    with transaction.atomic():
        publish(Ping(n=0), key="doorbell")  # rings the relay: the backlog starts to drain
    draining_since = timezone.now()
    retry = wait_until(
        lambda: Delivery.objects.filter(id=retry.id, state=State.DONE).first(), timeout=60, what="the retry handled"
    )
    wait_until(lambda: Effect.objects.filter(subscriber="busapp.record_ping").count() > 1000, what="the backlog drains")

    handled_before = Effect.objects.filter(subscriber="busapp.record_ping", handled_at__lte=retry.finished_at).count()
    assert (retry.finished_at - draining_since).total_seconds() < 5, "the retry waited behind the backlog"
    assert handled_before < BACKLOG // 2, f"{handled_before} backlog events went first"
    assert retry.attempts == 2
