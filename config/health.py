"""Liveness and readiness probes for load balancers and orchestrators.

``/readyz`` also tells operators how many workers were seen in the last minute. That is not a
readiness check: this process can take orders with no worker up (the outbox keeps their events
until one starts), so a missing worker never turns the probe 503; alert on it instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from config.celery import app
from config.probe_access import may_read_probes
from eventbus.store import workers

log = logging.getLogger(__name__)
# A probe answers within this, whatever a dependency does: a check still running then is reported failed.
READINESS_SECONDS = 2.0
# Checks run here, so a hung one holds a pool thread, never the request; a full pool only queues
# (and times out) later probes until the dependency answers again.
_checks = ThreadPoolExecutor(max_workers=8, thread_name_prefix="readyz")


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and answering; says nothing about what it depends on."""
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to take traffic: the database answers and the broker accepts a connection; else 503.

    Operators also read ``workers``: how many were seen in the last minute, and a note when none
    was. Answers within ``READINESS_SECONDS`` even when a dependency hangs.
    """
    operator = may_read_probes(request)  # which dependency is down is for operators, not the public
    running = {name: _checks.submit(_outcome, check) for name, check in CHECKS.items()}
    seen = _checks.submit(_workers_up) if operator else None
    deadline = time.monotonic() + READINESS_SECONDS
    checks = {name: _answer_by(future, deadline) for name, future in running.items()}
    ready = all(result == "ok" for result in checks.values())
    body: dict[str, object] = {"status": "ready" if ready else "unavailable"}
    if seen is not None:
        body["checks"] = checks
        body["workers"] = _workers_body(seen, deadline)
    return JsonResponse(body, status=200 if ready else 503)


def _workers_up() -> int:
    try:
        return workers.up_count(timezone.now())
    finally:
        connection.close()


def _workers_body(seen: Future[int], deadline: float) -> dict[str, object]:
    try:
        up = seen.result(timeout=max(deadline - time.monotonic(), 0.0))
    except TimeoutError:
        return {"seen_last_minute": None, "note": f"unknown: no answer within {READINESS_SECONDS:g} s"}
    except Exception as error:
        log.warning("readiness: counting the workers failed", exc_info=True)
        return {"seen_last_minute": None, "note": f"unknown: {type(error).__name__}"}
    if up:
        return {"seen_last_minute": up}
    return {"seen_last_minute": 0, "note": "no worker seen in the last minute: events wait in the outbox"}


def _outcome(check: Callable[[], None]) -> str:
    """ "ok", or the error's class name: its text (hosts, ports, users) goes to the log, not to callers."""
    try:
        check()
    except Exception as error:
        log.warning("readiness check %s failed", check.__name__, exc_info=True)
        return f"error: {type(error).__name__}"
    return "ok"


def _answer_by(future: Future[str], deadline: float) -> str:
    try:
        return future.result(timeout=max(deadline - time.monotonic(), 0.0))
    except TimeoutError:
        return f"error: no answer within {READINESS_SECONDS:g} s"


def _database() -> None:
    """A fresh connection of the check's own thread, closed after: the probe proves a connect works."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()


def _broker() -> None:
    with app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)


CHECKS: dict[str, Callable[[], None]] = {"database": _database, "broker": _broker}
