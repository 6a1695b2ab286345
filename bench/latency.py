"""Latency from commit to handler start, with the publisher paced at a steady rate.

The commit time is taken by an on-commit callback registered before ``publish()``'s own, so it
runs first, right after COMMIT returns, and before the doorbell rings.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import partial

from django.db import transaction

from eventbus import publish

from .measuring import STALL_ALLOWANCE, Measured, measure
from .noop.events import NoopEvent
from .workers import Workers


@dataclass(frozen=True)
class Latency:
    measured: Measured
    committed: dict[int, float]  # event → wall time its transaction committed
    latencies_ms: list[float]  # sorted
    achieved_rate: float  # events/s the publisher really kept up

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile."""
        return self.latencies_ms[max(math.ceil(p / 100 * len(self.latencies_ms)) - 1, 0)]


def paced(workers: Workers, run: str, *, rate: float, seconds: float, groups: dict[int, str] | None = None) -> Latency:
    items = round(rate * seconds)
    committed: dict[int, float] = {}

    def note_commit(n: int) -> None:
        committed[n] = time.time()

    def send() -> None:
        begin = time.monotonic() + 0.05
        for n in range(items):
            delay = begin + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            with transaction.atomic():
                transaction.on_commit(partial(note_commit, n))  # first in line: runs before the doorbell
                publish(NoopEvent(run=run, n=n), key=str(n))

    measured = measure(workers, run, items, send, timeout=STALL_ALLOWANCE + seconds, groups=groups)
    latencies = sorted(1000 * (measured.starts[n] - committed[n]) for n in range(items))
    span = max(committed.values()) - min(committed.values())
    return Latency(measured, committed, latencies, (items - 1) / span if span else 0.0)
