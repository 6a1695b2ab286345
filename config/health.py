"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from config.celery import app

log = logging.getLogger(__name__)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and answering; says nothing about what it depends on."""
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to take traffic: the database answers and the broker accepts a connection; else 503."""
    checks = {name: _outcome(check) for name, check in CHECKS.items()}
    ready = all(result == "ok" for result in checks.values())
    return JsonResponse({"status": "ready" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


def _outcome(check: Callable[[], None]) -> str:
    """ "ok", or the error's class name: its text (hosts, ports, users) goes to the log, not to callers."""
    try:
        check()
    except Exception as error:
        log.warning("readiness check %s failed", check.__name__, exc_info=True)
        return f"error: {type(error).__name__}"
    return "ok"


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker() -> None:
    with app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)


CHECKS: dict[str, Callable[[], None]] = {"database": _database, "broker": _broker}
