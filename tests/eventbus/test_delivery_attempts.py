"""Each attempt of a delivery is kept (when, how long, how it ended), written with the outcome it records."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from eventbus import publish
from eventbus.kernel.context import handling
from eventbus.models import Delivery, DeliveryAttempt
from eventbus.operations import purge
from eventbus.operations.story import _event as from_peer
from eventbus.operations.story import as_json, in_time_order, saga_health
from eventbus.store import Operator, claim, relay, release_expired_leases
from eventbus.store.history import DeliveryStep, timeline
from eventbus.testing import run_pending
from tests.busapp.events import Fanout, Ping
from tests.busapp.models import Switch

pytestmark = pytest.mark.django_db

FLAKY = "busapp.fail_until_fixed"


def flaky_then_fixed():
    with transaction.atomic():
        publish(Fanout(n=1), key="saga")
    run_pending()
    Switch.objects.create(name="fixed")
    run_pending(now=timezone.now() + timedelta(seconds=5))


def test_a_delivery_that_failed_then_succeeded_shows_two_attempts_and_no_current_error():
    flaky_then_fixed()

    [event] = timeline("saga")
    step = {d.subscriber: d for d in event.deliveries}[FLAKY]
    assert step.state == "done"
    assert [(a.number, a.outcome) for a in step.history] == [(1, "failed"), (2, "done")]
    failed, done = step.history
    assert "broken handler refuses event 1" in failed.error
    assert done.error == ""
    assert done.finished_at is not None
    assert done.duration_ms is not None
    assert done.duration_ms > 0
    assert failed.finished_at <= done.started_at
    assert step.current_error == "", "a recovered delivery's error is a past attempt's, not its own now"
    assert [a.number for a in step.past_failures] == [1]
    assert step.ended_at == done.finished_at


def test_an_attempt_is_one_row_per_handler_run_and_a_success_records_its_duration_after_its_batch():
    with transaction.atomic():
        publish(Fanout(n=1), key="saga")
    run_pending()
    attempts = DeliveryAttempt.objects.filter(delivery__subscriber="busapp.record_fanout")
    [done] = attempts
    delivery = Delivery.objects.get(subscriber="busapp.record_fanout")
    assert (done.outcome, done.number, done.finished_at, done.duration_ms) == (
        "done",
        1,
        delivery.finished_at,
        delivery.duration_ms,
    )


def test_the_last_attempt_of_a_dead_letter_is_dead():
    with transaction.atomic():
        publish(Fanout(n=1), key="saga")
    for round in range(5):
        run_pending(now=timezone.now() + timedelta(seconds=20 * round))
    outcomes = list(
        DeliveryAttempt.objects.filter(delivery__subscriber=FLAKY).order_by("id").values_list("number", "outcome")
    )
    assert outcomes == [(1, "failed"), (2, "failed"), (3, "failed"), (4, "dead")]
    health = saga_health(timeline("saga"))
    assert [(dead.subscriber, dead.attempts) for dead in health.dead] == [(FLAKY, 4)]
    assert health.retrying == ()


def test_a_retry_in_progress_says_which_attempt_comes_next_of_how_many():
    with transaction.atomic():
        publish(Fanout(n=1), key="saga")
    run_pending()
    [retrying] = saga_health(timeline("saga")).retrying
    assert (retrying.subscriber, retrying.next_attempt, retrying.max_attempts) == (FLAKY, 2, 4)
    assert retrying.due_at == Delivery.objects.get(subscriber=FLAKY).available_at


def test_a_lost_worker_leaves_a_lost_attempt():
    with transaction.atomic():
        publish(Ping(n=1), key="saga")
    now = timezone.now()
    relay(10, now=now)
    assert claim(["busapp.record_ping"], 1, now=now, token=uuid4()) is not None
    release_expired_leases(now=now + timedelta(hours=1))
    [lost] = DeliveryAttempt.objects.all()
    assert (lost.outcome, lost.number) == ("lost", 1)
    assert "the worker was lost" in lost.error


def test_purge_removes_attempts_with_their_delivery():
    flaky_then_fixed()
    assert DeliveryAttempt.objects.exists()
    with CaptureQueriesContext(connection) as queries:
        purge(timedelta(seconds=-60), by=Operator("test", via="cli"))
    assert not Delivery.objects.exists()
    assert not DeliveryAttempt.objects.exists()
    deletes = [query["sql"] for query in queries if query["sql"].startswith("DELETE")]
    assert len(deletes) == 1, "the database deletes deliveries and attempts with their events"
    assert not any("last_traceback" in query["sql"] for query in queries), "no delivery is read to be deleted"


def test_the_peer_timeline_carries_attempts_and_a_peer_without_them_still_parses():
    flaky_then_fixed()
    [raw] = as_json(timeline("saga"))
    theirs = from_peer(raw, "payments")
    step = {d.subscriber: d for d in theirs.deliveries}[FLAKY]
    assert [(a.number, a.outcome) for a in step.history] == [(1, "failed"), (2, "done")]

    for delivery in raw["deliveries"]:
        del delivery["history"], delivery["available_at"]
    older = from_peer(raw, "payments")
    assert all(d.history == () and d.available_at is None for d in older.deliveries)


def test_a_table_in_time_order_lists_events_as_published_and_deliveries_as_they_first_ran():
    with transaction.atomic():
        root = publish(Fanout(n=1), key="saga")
    with transaction.atomic(), handling(root):
        child = publish(Ping(n=2), key="saga")
    with transaction.atomic():
        later_root = publish(Ping(n=3), key="saga")
    with transaction.atomic(), handling(child):
        grandchild = publish(Ping(n=4), key="saga")
    run_pending()

    causal = [event.id for event in timeline("saga")]
    assert causal == [root.id, child.id, grandchild.id, later_root.id]
    ordered = in_time_order(timeline("saga"))
    assert [event.id for event in ordered] == [root.id, child.id, later_root.id, grandchild.id]
    times = [event.time for event in ordered]
    assert times == sorted(times)
    for event in ordered:
        starts = [d.history[0].started_at for d in event.deliveries]
        assert starts == sorted(starts)


@pytest.mark.parametrize(
    ("state", "attempts", "stands"),
    [
        ("dead", 20, True),
        ("pending", 3, True),  # retrying
        ("running", 4, True),  # its next attempt runs
        ("done", 2, False),  # recovered
        ("discarded", 20, False),
        ("pending", 0, False),  # an operator's retry: a fresh set of attempts, none failed yet
    ],
)
def test_an_error_stands_only_while_the_delivery_is_dead_or_retrying(state, attempts, stands):
    step = DeliveryStep(1, "busapp.notify", state, attempts, "boom", None, None)
    assert step.current_error == ("boom" if stands else "")


def test_a_timeline_reads_a_deliverys_last_twenty_attempts():
    with transaction.atomic():
        publish(Fanout(n=1), key="saga")
    run_pending()
    delivery = Delivery.objects.get(subscriber="busapp.record_fanout")
    DeliveryAttempt.objects.filter(delivery=delivery).delete()
    now = timezone.now()
    DeliveryAttempt.objects.bulk_create(
        DeliveryAttempt(delivery=delivery, number=n, started_at=now + timedelta(seconds=n), outcome="failed")
        for n in range(1, 26)
    )
    Delivery.objects.filter(id=delivery.id).update(attempts=25, state="dead")

    [event] = timeline("saga")
    step = {d.subscriber: d for d in event.deliveries}["busapp.record_fanout"]
    assert [attempt.number for attempt in step.history] == list(range(6, 26))
    others = [d for d in event.deliveries if d.subscriber != "busapp.record_fanout"]
    assert all(d.history for d in others), "a delivery's attempts still come with it"
