"""The bus's Prometheus metrics: what happened (counters, histograms) and what is waiting (gauges).

Counters and histograms are kept per process by ``prometheus_client`` and, with
``PROMETHEUS_MULTIPROC_DIR`` set (the settings set it), summed over every process of the host
that shares the directory: web processes count what they publish, worker processes what they
handle. The gauges are read from the database when ``/metrics`` is scraped, so they are the
same whichever process answers.
"""

from __future__ import annotations

import itertools
from collections import Counter as Tally
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.utils import timezone
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from eventbus import conf, store
from eventbus.models import Delivery
from eventbus.store import Attempt, workers

State = Delivery.State
SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

events_published = Counter(
    "eventbus_events_published", "Events published (counted when their transaction commits)", ["type"]
)
deliveries_finished = Counter(
    "eventbus_deliveries",
    "Handler attempts by subscriber and outcome: handled, retry or dead",
    ["subscriber", "outcome"],
)
handler_duration = Histogram(
    "eventbus_handler_duration_seconds", "How long one handler attempt ran", ["subscriber"], buckets=SECONDS
)
publish_to_handle = Histogram(
    "eventbus_publish_to_handle_seconds",
    "From an event's publication (or due time) to the start of its handler's attempt",
    ["subscriber"],
    buckets=SECONDS,
)


def count_published(types: Tally[str]) -> None:
    for event_type, count in types.items():
        events_published.labels(type=event_type).inc(count)


def count_attempts(attempts: Iterable[Attempt]) -> None:
    """After each attempt committed: its outcome, duration and how long its event waited."""
    for attempt in attempts:
        if attempt.outcome == "stale":
            continue
        subscriber = attempt.delivery.subscriber
        deliveries_finished.labels(subscriber=subscriber, outcome=attempt.outcome).inc()
        if attempt.duration_ms is not None:
            handler_duration.labels(subscriber=subscriber).observe(attempt.duration_ms / 1000)
        if attempt.started_at is not None:
            event = attempt.delivery.event
            waited = (attempt.started_at - max(event.time, event.deliver_at)).total_seconds()
            publish_to_handle.labels(subscriber=subscriber).observe(max(waited, 0.0))


class BusState(Collector):
    """Gauges read at scrape time, with the same definitions as ``eventbus status`` (``store.backlog``)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        waiting = store.backlog(now, states=store.OPEN_STATES)
        yield GaugeMetricFamily(
            "eventbus_outbox_undispatched", "Outbox rows due but not yet relayed", value=waiting.undispatched
        )
        for state, name, text in [
            (State.PENDING, "eventbus_deliveries_pending", "Deliveries waiting to be handled (due or backing off)"),
            (State.RUNNING, "eventbus_deliveries_running", "Deliveries leased to a worker"),
            (State.DEAD, "eventbus_dead_letters", "Dead-lettered deliveries awaiting an operator"),
        ]:
            gauge = GaugeMetricFamily(name, text, labels=["subscriber"])
            for subscriber, counts in sorted(waiting.counts.items()):
                if state in counts:
                    gauge.add_metric([subscriber], counts[state])
            yield gauge
        yield _workers_up(now)
        yield GaugeMetricFamily(
            "eventbus_oldest_pending_age_seconds",
            "Age of the oldest due work: an undispatched outbox row or a due delivery (0 when none)",
            value=waiting.oldest_age_seconds(now),
        )


def _workers_up(now: datetime) -> GaugeMetricFamily:
    """Workers up per queue, for every queue the bus needs consumed (the relay's, each subscription's): 0
    is a queue nobody consumes, whose work waits (docs/operations.md, "Worker liveness")."""
    needed = {conf.current().queue, *itertools.chain.from_iterable(store.subscribed_queues().values())}
    gauge = GaugeMetricFamily(
        "eventbus_workers_up", "Workers seen in the last minute, by queue they consume", labels=["queue"]
    )
    for queue, count in sorted(workers.up_by_queue(now, needed).items()):
        gauge.add_metric([queue], count)
    return gauge
