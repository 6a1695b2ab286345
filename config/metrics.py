"""GET /metrics: Prometheus text format, for this host's processes, the bus's database state and stuck sagas."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from config.contexts import runs_here
from config.probe_access import may_read_probes
from eventbus.observability.metrics import BusState


class ProcessFiles(MultiProcessCollector):
    """prometheus_client's collector of every process's counters, skipping empty files.

    A process killed right after creating its file leaves it empty, and reading it fails: without
    this, every later scrape would answer 500 until someone empties the directory.
    """

    def collect(self) -> Iterable[Metric]:
        files = [path for path in glob.glob(os.path.join(self._path, "*.db")) if os.path.getsize(path) > 0]
        return self.merge(files, accumulate=True)


class StuckSagas(Collector):
    """Stuck sagas by their most pressing reason (``orders.stuck``), read from the database at each
    scrape like the bus's gauges: the same in every process, nothing kept between scrapes, and a
    bounded cost (two queries of at most ``stuck.READ_AT_MOST`` rows each: the bus's oldest dead and
    discarded deliveries, then the oldest candidate orders). ``orders_stuck_sagas_truncated`` is 1 when
    that read was cut short: the counts are then a floor."""

    def collect(self) -> Iterator[Metric]:
        from orders import stuck  # only where orders runs: a split's payments service has no orders table

        gauge = GaugeMetricFamily(
            "orders_stuck_sagas",
            "Orders whose saga waits for a person, by most pressing reason (manage.py stuck_sagas lists them)",
            labels=["reason"],
        )
        report = stuck.stuck_sagas()
        for reason, count in report.by_reason().items():
            gauge.add_metric([reason.value], count)
        yield gauge
        yield GaugeMetricFamily(
            "orders_stuck_sagas_truncated",
            "1 when orders_stuck_sagas read only the oldest deliveries and orders it may read: its counts are a floor",
            value=int(report.truncated),
        )


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not may_read_probes(request):
        refused = HttpResponse("/metrics needs the PROBE_TOKEN as a Bearer token\n", status=401)
        refused["WWW-Authenticate"] = "Bearer"
        return refused
    registry = CollectorRegistry()
    ProcessFiles(registry)
    registry.register(BusState())
    if runs_here("orders"):
        registry.register(StuckSagas())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
