"""What every live measurement collects: start stamps, wall time, CPU per component, tasks run."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from eventbus.testing import wait_until

from . import cpu
from .noop import querycount
from .noop.stamps import StampReader
from .workers import Workers

# Waits allow this long beyond the work itself: enough for a lease to expire (EVENTBUS_LEASE_SECONDS,
# 60 by default) and the sweep to re-drive a delivery that a worker claimed and then left behind.
STALL_ALLOWANCE = 120.0


@dataclass(frozen=True)
class Measured:
    run: str
    items: int
    started_at: float  # wall time of the first send
    sent_seconds: float  # first send → last send returned: how fast the publisher went
    seconds: float  # first send → last item started
    starts: dict[int, float]  # item → wall time its handler or task started (a saga: was confirmed)
    cpu_seconds: dict[str, float]
    tasks_run: dict[str, int]
    queries: dict[str, int] = field(default_factory=dict)  # only with BENCH_COUNT_QUERIES
    repeated: int = 0  # starts of items that had started already (a peer's at-least-once)

    @property
    def per_s(self) -> float:
        return self.items / self.seconds

    def busy_elsewhere(self) -> float:
        """Cores' worth of CPU that other processes on the machine used meanwhile (noise)."""
        return self.cpu_seconds["other"] / self.seconds

    def per_s_before(self, redriven: int) -> float:
        """The rate up to the last item not held back by an expired lease (the stall excluded)."""
        kept = sorted(self.starts.values())[: self.items - redriven]
        return len(kept) / (kept[-1] - self.started_at)

    def per_item(self) -> dict[str, float]:
        """CPU milliseconds per item by component, Celery tasks and SQL statements per item."""
        ms = {f"cpu_ms_{name}": 1000 * spent / self.items for name, spent in self.cpu_seconds.items()}
        sql = {f"sql_{kind.lower()}": n / self.items for kind, n in sorted(self.queries.items())}
        return {**ms, "celery_tasks": sum(self.tasks_run.values()) / self.items, **sql}


class Stamps(Protocol):
    """Where a run's ends are read: start stamps (StampReader), or confirmed orders (saga)."""

    def count(self) -> int: ...

    def read(self) -> dict[int, float]: ...


def measure(
    workers: Workers,
    run: str,
    items: int,
    send: Callable[[], None],
    *,
    timeout: float,
    stamps: Stamps | None = None,
    groups: dict[int, str] | None = None,
) -> Measured:
    """Call ``send`` (which publishes ``items`` items tagged ``run``), then wait until all started.

    The run ends at the last start stamp, not when polling noticed it. CPU is counted for the
    worker and for ``groups`` (more process groups, by component: a remote service's).
    """
    groups = {workers.group: "workers", **(groups or {})}
    tasks_before = workers.tasks_run()
    queries_before = _queries()
    cpu_before = cpu.snapshot(groups)
    started = time.time()
    send()
    sent = time.time()

    stamps = stamps or StampReader(run)

    def all_started() -> bool:
        workers.check_alive()
        return stamps.count() >= items

    wait_until(all_started, timeout=timeout, what=f"{items} items of {run}", interval=0.1)
    starts = stamps.read()
    cpu_spent = cpu.snapshot(groups).minus(cpu_before)
    if querycount.ENABLED:  # the last task is still finishing: its count comes when it ends
        wait_until(workers.idle, timeout=timeout, what="the workers to go idle")
    queries = _queries()
    queries.subtract(queries_before)
    tasks_after = workers.tasks_run()
    tasks = {name: count - tasks_before.get(name, 0) for name, count in tasks_after.items()}
    return Measured(
        run=run,
        items=items,
        started_at=started,
        sent_seconds=sent - started,
        seconds=max(starts.values()) - started,
        starts=starts,
        cpu_seconds=cpu_spent,
        tasks_run={name: count for name, count in tasks.items() if count},
        queries={kind: n for kind, n in queries.items() if n},
        repeated=getattr(stamps, "repeated", 0),
    )


def _queries() -> Counter[str]:
    """Statements run so far by the workers and by this process (the publisher)."""
    return querycount.worker_totals() + querycount.counts if querycount.ENABLED else Counter()
