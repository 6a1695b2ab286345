"""GET /metrics: Prometheus text with the bus's counters, histograms and database gauges."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from eventbus import operations, publish, store
from eventbus.models import Delivery
from eventbus.store import workers
from eventbus.testing import run_pending
from tests.busapp.events import Fanout, Ping

pytestmark = pytest.mark.django_db(transaction=True)


def scrape(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", **settings.PROBE_AUTH)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_published_events_are_counted_once_committed_and_never_when_rolled_back(client):
    before = scrape(client)
    with transaction.atomic():
        publish(Ping(n=1), key="a")
        publish(Ping(n=2), key="a")
    with pytest.raises(RuntimeError), transaction.atomic():
        publish(Ping(n=3), key="a")
        raise RuntimeError("roll back")
    after = scrape(client)
    counted = value(after, "eventbus_events_published_total", type="busapp.Ping")
    assert counted - value(before, "eventbus_events_published_total", type="busapp.Ping") == 2


def test_handler_outcomes_durations_and_waits_are_measured(client):
    before = scrape(client)
    with transaction.atomic():
        publish(Fanout(n=1), key="k")
    run_pending()
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("eventbus_deliveries_total", subscriber="busapp.record_fanout", outcome="handled") == 1
    assert delta("eventbus_deliveries_total", subscriber="busapp.fail_until_fixed", outcome="retry") == 1
    assert delta("eventbus_handler_duration_seconds_count", subscriber="busapp.record_fanout") == 1
    assert delta("eventbus_publish_to_handle_seconds_count", subscriber="busapp.record_fanout") == 1
    assert delta("eventbus_publish_to_handle_seconds_bucket", subscriber="busapp.record_fanout", le="60.0") == 1


def test_gauges_show_what_waits_in_the_database(client):
    with transaction.atomic():
        publish(Fanout(n=1), key="k")
    samples = scrape(client)
    assert value(samples, "eventbus_outbox_undispatched") == 1
    assert value(samples, "eventbus_oldest_pending_age_seconds") >= 0
    run_pending()
    Delivery.objects.filter(subscriber="busapp.fail_until_fixed").update(state="dead")
    samples = scrape(client)
    assert value(samples, "eventbus_outbox_undispatched") == 0
    assert value(samples, "eventbus_dead_letters", subscriber="busapp.fail_until_fixed") == 1
    assert value(samples, "eventbus_deliveries_pending", subscriber="busapp.record_fanout") == 0


def test_workers_up_are_counted_by_queue_and_a_queue_nobody_consumes_shows_zero(client):
    now = timezone.now()
    samples = scrape(client)
    needed = {"eventbus", *(queue for queues in store.subscribed_queues().values() for queue in queues)}
    assert {value(samples, "eventbus_workers_up", queue=queue) for queue in needed} == {0.0}
    assert ("eventbus_workers_up", (("queue", "eventbus"),)) in samples, "a queue nobody consumes is still exported"

    started = now - timedelta(minutes=5)
    workers.beat(workers.Beat("celery@a", 1, ("eventbus", "busapp"), started, 0), now=now)
    workers.beat(workers.Beat("celery@b", 2, ("busapp",), started, 0), now=now)
    workers.beat(workers.Beat("celery@old", 3, ("eventbus",), started, 0), now=now - timedelta(minutes=2))
    samples = scrape(client)
    assert value(samples, "eventbus_workers_up", queue="eventbus") == 1, "one up; one not seen for 2 minutes"
    assert value(samples, "eventbus_workers_up", queue="busapp") == 2


def test_status_and_metrics_agree_on_what_waits(client):
    with transaction.atomic():
        for n in range(3):
            publish(Fanout(n=n), key="k")
        publish(Ping(n=1), key="k")
    run_pending()
    Delivery.objects.filter(subscriber="busapp.fail_until_fixed").update(available_at=timezone.now())
    Delivery.objects.filter(subscriber="busapp.fail_until_fixed", event__data__n=0).update(state="dead")
    with transaction.atomic():
        publish(Ping(n=2), key="k")
    now = timezone.now()
    samples = scrape(client)
    status = operations.status(now)
    assert value(samples, "eventbus_outbox_undispatched") == status.undispatched == 1
    for subscriber, counts in status.counts.items():
        for state, gauge in [("pending", "eventbus_deliveries_pending"), ("dead", "eventbus_dead_letters")]:
            assert value(samples, gauge, subscriber=subscriber) == counts.get(state, 0)
    assert status.counts["busapp.fail_until_fixed"] == {"pending": 2, "dead": 1}
    scraped_age = value(samples, "eventbus_oldest_pending_age_seconds")
    assert 0 < status.oldest_age_seconds(now) <= scraped_age < status.oldest_age_seconds(now) + 5


def test_an_empty_file_left_by_a_process_killed_as_it_started_does_not_break_the_scrape(client, settings):
    """prometheus_client cannot read it; without skipping it every scrape would answer 500."""
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    empty = directory / "counter_999999999.db"
    empty.touch()
    try:
        with transaction.atomic():
            publish(Ping(n=1), key="k")
        assert value(scrape(client), "eventbus_events_published_total", type="busapp.Ping") >= 1
    finally:
        empty.unlink()
