"""GET /metrics: Prometheus text format, for this host's processes and the bus's database state."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector

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


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not may_read_probes(request):
        refused = HttpResponse("/metrics needs the PROBE_TOKEN as a Bearer token\n", status=401)
        refused["WWW-Authenticate"] = "Bearer"
        return refused
    registry = CollectorRegistry()
    ProcessFiles(registry)
    registry.register(BusState())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
