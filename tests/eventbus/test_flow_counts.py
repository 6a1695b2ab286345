"""The flow page's numbers per (subscriber, event type): the window's finished deliveries, what is
open now, and the 95th percentile of handler time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from eventbus import publish
from eventbus.models import Delivery
from eventbus.store.flow_counts import EdgeCounts, edge_counts, health
from eventbus.testing import relay
from tests.busapp.events import Fanout, Ping

pytestmark = pytest.mark.django_db

RECORD = ("busapp.record_fanout", "busapp.Fanout")
FAILING = ("busapp.fail_until_fixed", "busapp.Fanout")


def fanouts(count: int) -> list[Delivery]:
    """``count`` Fanout events relayed: two pending deliveries each (record_fanout, fail_until_fixed)."""
    with transaction.atomic():
        for n in range(count):
            publish(Fanout(n=n), key=f"k{n}")
    relay()
    return list(Delivery.objects.filter(subscriber=RECORD[0]).order_by("id"))


def finish(delivery: Delivery, *, at, attempts: int = 1, duration_ms: float = 5.0, state: str = "done") -> None:
    Delivery.objects.filter(id=delivery.id).update(
        state=state, finished_at=at, attempts=attempts, duration_ms=duration_ms
    )


def test_the_window_counts_deliveries_done_in_it_and_those_that_needed_more_than_one_attempt():
    now = timezone.now()
    first, second, third, old = fanouts(4)
    finish(first, at=now - timedelta(minutes=5))
    finish(second, at=now - timedelta(minutes=10), attempts=3)
    finish(third, at=now - timedelta(minutes=20), attempts=2)
    finish(old, at=now - timedelta(hours=2), attempts=2)

    counts = edge_counts(since=now - timedelta(minutes=15), now=now)[RECORD]
    assert (counts.handled, counts.recovered) == (2, 1)
    wider = edge_counts(since=now - timedelta(hours=1), now=now)[RECORD]
    assert (wider.handled, wider.recovered) == (3, 2)


def test_retrying_dead_waiting_and_the_oldest_due_are_counted_now_whatever_the_window():
    now = timezone.now()
    fanouts(3)
    failing = list(Delivery.objects.filter(subscriber=FAILING[0]).order_by("id"))
    Delivery.objects.filter(id=failing[0].id).update(attempts=2, available_at=now + timedelta(minutes=1))
    Delivery.objects.filter(id=failing[1].id).update(available_at=now - timedelta(minutes=7))
    finish(failing[2], at=now - timedelta(days=3), attempts=8, state="dead")

    counts = edge_counts(since=now, now=now)[FAILING]
    assert (counts.handled, counts.retrying, counts.dead, counts.backlog) == (0, 1, 1, 2)
    assert counts.oldest_due == Delivery.objects.get(id=failing[1].id).available_at, (
        "a delivery waiting for its retry time is not yet due"
    )
    assert edge_counts(since=now, now=now)[RECORD].backlog == 3


def test_an_edge_with_nothing_to_count_is_absent():
    now = timezone.now()
    fanouts(1)
    counts = edge_counts(since=now, now=now)
    assert ("busapp.record_ping", "busapp.Ping") not in counts
    assert counts[RECORD] == EdgeCounts(backlog=1, oldest_due=counts[RECORD].oldest_due)


def test_p95_interpolates_between_the_durations_around_its_rank_as_percentile_cont_does():
    now = timezone.now()
    for duration, delivery in enumerate(fanouts(20), start=1):
        finish(delivery, at=now - timedelta(minutes=1), duration_ms=float(duration))
    # percentile_cont(0.95) of 1..20: rank 0.95 * 19 = 18.05, between 19 and 20.
    assert edge_counts(since=now - timedelta(hours=1), now=now)[RECORD].p95_ms == pytest.approx(19.05)


def test_p95_of_one_delivery_is_its_duration_and_of_none_is_unknown():
    now = timezone.now()
    [delivery] = fanouts(1)
    finish(delivery, at=now, duration_ms=12.5)
    assert edge_counts(since=now - timedelta(hours=1), now=now)[RECORD].p95_ms == 12.5
    Delivery.objects.filter(id=delivery.id).update(duration_ms=None)
    assert edge_counts(since=now - timedelta(hours=1), now=now)[RECORD].p95_ms is None


def test_health_counts_dead_letters_retries_and_the_oldest_due_work_of_the_outbox_too():
    now = timezone.now()
    fanouts(2)
    failing = list(Delivery.objects.filter(subscriber=FAILING[0]).order_by("id"))
    finish(failing[0], at=now, attempts=4, state="dead")
    Delivery.objects.filter(id=failing[1].id).update(attempts=1, available_at=now + timedelta(seconds=30))
    Delivery.objects.filter(subscriber=RECORD[0]).update(available_at=now - timedelta(seconds=5))
    found = health(now)
    assert (found.dead, found.retrying, found.backlog) == (1, 1, 3)
    assert found.oldest_age_seconds(now) == pytest.approx(5)

    with transaction.atomic():
        publish(Ping(n=1), key="p", deliver_at=now - timedelta(minutes=2))
    assert health(now).oldest_age_seconds(now) == pytest.approx(120)
