"""Worker liveness: each worker upserts its heartbeat row; a failed write never stops it; a clean
shutdown removes the row; ``eventbus status`` lists the workers and says when none was seen."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import OperationalError, transaction
from django.utils import timezone

from eventbus import publish
from eventbus.engine.heartbeat import Heartbeat
from eventbus.models import Delivery, WorkerHeartbeat
from eventbus.store import workers
from eventbus.testing import wait_until
from tests.busapp.events import Ping


def status() -> str:
    out = StringIO()
    call_command("eventbus", "status", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_a_beat_upserts_one_row_per_worker_and_a_pruning_beat_forgets_the_long_unseen():
    now = timezone.now()
    started = now - timedelta(minutes=5)
    workers.beat(workers.Beat("celery@a", 10, ("eventbus", "orders"), started, 0), now=now - timedelta(seconds=30))
    workers.beat(workers.Beat("celery@a", 10, ("eventbus", "orders"), started, 12), now=now)
    workers.beat(workers.Beat("celery@gone", 11, ("payments",), started, 3), now=now - timedelta(hours=2))
    assert WorkerHeartbeat.objects.count() == 2
    row = WorkerHeartbeat.objects.get(name="celery@a")
    assert (row.processed, row.last_seen_at, row.started_at, row.queues) == (12, now, started, ["eventbus", "orders"])

    workers.beat(workers.Beat("celery@a", 10, ("eventbus", "orders"), started, 13), now=now, prune=True)
    assert list(WorkerHeartbeat.objects.values_list("name", flat=True)) == ["celery@a"]


@pytest.mark.django_db
def test_only_workers_seen_in_the_last_minute_count_as_up():
    now = timezone.now()
    workers.beat(workers.Beat("celery@up", 1, (), now, 0), now=now - timedelta(seconds=59))
    workers.beat(workers.Beat("celery@late", 2, (), now, 0), now=now - timedelta(seconds=61))
    assert workers.up_count(now) == 1
    assert [(worker.name, worker.is_up(now)) for worker in workers.seen(now)] == [
        ("celery@up", True),
        ("celery@late", False),
    ]


@pytest.mark.django_db(transaction=True)  # the heartbeat writes from a thread, on its own connection
def test_a_failed_write_is_logged_and_the_next_beat_writes_again(monkeypatch, caplog):
    real_beat = workers.beat
    failures = iter([True, True])

    def beat_failing_twice(*args, **kwargs):
        if next(failures, False):
            raise OperationalError("database is locked")
        real_beat(*args, **kwargs)

    monkeypatch.setattr(workers, "beat", beat_failing_twice)
    heartbeat = Heartbeat("celery@flaky", ["eventbus"], processed=lambda: 5, interval=0.05).start()
    try:
        row = wait_until(lambda: WorkerHeartbeat.objects.filter(name="celery@flaky").first(), timeout=10)
        assert row.processed == 5
        assert heartbeat.thread.is_alive()
        assert "could not write its heartbeat: OperationalError: database is locked" in caplog.text
    finally:
        heartbeat.stop()
    assert not heartbeat.thread.is_alive()
    assert not WorkerHeartbeat.objects.filter(name="celery@flaky").exists(), "a clean stop removes the row"


@pytest.mark.django_db
def test_status_says_plainly_when_no_worker_was_seen():
    assert (
        "no worker seen in the last minute: nothing relays the outbox or runs deliveries "
        "(start one: celery -A config worker)"
    ) in status()


@pytest.mark.django_db
def test_status_lists_the_workers_up_and_those_gone_quiet():
    now = timezone.now()
    workers.beat(workers.Beat("celery@shop-1", 4242, ("eventbus", "orders"), now, 318), now=now)
    workers.beat(workers.Beat("celery@shop-2", 77, ("payments",), now, 9), now=now - timedelta(minutes=5))
    lines = status().splitlines()
    assert "workers seen in the last minute: 1" in lines
    [up] = [line for line in lines if "celery@shop-1" in line]
    assert "pid 4242  up, last seen" in up
    assert up.endswith("queues eventbus,orders  tasks taken 318")
    [down] = [line for line in lines if "celery@shop-2" in line]
    assert "DOWN, last seen 300s ago" in down


def test_a_running_worker_appears_with_its_queues_and_counts_the_tasks_it_takes(start_worker):
    worker = start_worker(queues="eventbus", beat=False, EVENTBUS_HEARTBEAT_SECONDS="0.3")
    row = wait_until(lambda: WorkerHeartbeat.objects.first(), timeout=30, what="the worker's heartbeat row")
    assert row.name.startswith("test-worker-0@")
    assert row.pid == worker.process.pid
    assert {"eventbus", "orders", "payments", "shipping"} <= set(row.queues), "the default worker runs every queue"
    assert "workers seen in the last minute: 1" in status()

    with transaction.atomic():
        publish(Ping(n=1), key="k")
    wait_until(lambda: Delivery.objects.filter(subscriber="busapp.record_ping", state="done").exists(), timeout=30)
    wait_until(lambda: WorkerHeartbeat.objects.get(id=row.id).processed > 0, timeout=30, what="the tasks taken counted")


@pytest.mark.django_db
def test_a_worker_with_longer_heartbeats_is_up_for_three_of_them(settings):
    now = timezone.now()
    workers.beat(workers.Beat("celery@slow", 1, ("eventbus",), now, 0), now=now - timedelta(seconds=90))
    assert workers.up_count(now) == 0, "90 s unseen, with the default 15 s heartbeat: down"
    settings.EVENTBUS_HEARTBEAT_SECONDS = 40
    assert workers.up_count(now) == 1, "90 s is less than three 40 s heartbeats: up"
