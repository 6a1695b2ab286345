"""GET /metrics: Prometheus text format, for this host's processes and the bus's database state."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from eventbus.observability.metrics import BusState


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    registry.register(BusState())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
