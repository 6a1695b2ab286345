"""Latency from hand-over to start, with the publisher paced at a steady rate.

An event is handed over when its transaction commits: the time is taken by an on-commit callback
registered before ``publish()``'s own, so it runs first, right after COMMIT returns, and before the
doorbell rings. A raw Celery task (the baseline) is handed over when ``send_task`` is called.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.db import transaction

from eventbus import publish

from .measuring import STALL_ALLOWANCE, Measured, measure
from .noop.events import NoopEvent
from .throughput import send_task
from .workers import Workers


@dataclass(frozen=True)
class Latency:
    measured: Measured
    handed_over: dict[int, float]  # item → wall time it was handed over (its COMMIT, or send_task)
    latencies_ms: list[float]  # sorted
    achieved_rate: float  # events/s the publisher really kept up

    @classmethod
    def of(cls, measured: Measured, handed_over: dict[int, float]) -> Latency:
        """From when each item was handed over to when it started (``measured.starts``)."""
        latencies = sorted(1000 * (measured.starts[n] - at) for n, at in handed_over.items())
        span = max(handed_over.values()) - min(handed_over.values())
        return cls(measured, handed_over, latencies, (len(handed_over) - 1) / span if span else 0.0)

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile."""
        return self.latencies_ms[max(math.ceil(p / 100 * len(self.latencies_ms)) - 1, 0)]


def paced(workers: Workers, run: str, *, rate: float, seconds: float, groups: dict[int, str] | None = None) -> Latency:
    """Bus events, each in its own transaction: from COMMIT to the handler's start."""

    def send_one(n: int, handed_over: dict[int, float]) -> None:
        with transaction.atomic():
            transaction.on_commit(partial(_note, handed_over, n))  # first in line: runs before the doorbell
            publish(NoopEvent(run=run, n=n), key=str(n))

    return _paced(workers, run, send_one, rate=rate, seconds=seconds, groups=groups)


def paced_tasks(workers: Workers, run: str, *, rate: float, seconds: float) -> Latency:
    """Raw Celery no-op tasks (the baseline): from the call to ``send_task`` to the task's start."""

    def send_one(n: int, handed_over: dict[int, float]) -> None:
        _note(handed_over, n)
        send_task(run, n)

    return _paced(workers, run, send_one, rate=rate, seconds=seconds, groups=None)


def _note(handed_over: dict[int, float], n: int) -> None:
    handed_over[n] = time.time()


def _paced(
    workers: Workers,
    run: str,
    send_one: Callable[[int, dict[int, float]], None],
    *,
    rate: float,
    seconds: float,
    groups: dict[int, str] | None,
) -> Latency:
    items = round(rate * seconds)
    handed_over: dict[int, float] = {}

    def send() -> None:
        begin = time.monotonic() + 0.05
        for n in range(items):
            delay = begin + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            send_one(n, handed_over)

    measured = measure(workers, run, items, send, timeout=STALL_ALLOWANCE + seconds, groups=groups)
    return Latency.of(measured, handed_over)
