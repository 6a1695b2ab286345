"""What every live measurement collects: start stamps, wall time, CPU per component, tasks run."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from . import cpu
from .noop.stamps import read_stamps
from .waiting import wait_until
from .workers import Workers


@dataclass(frozen=True)
class Measured:
    run: str
    items: int
    seconds: float  # first send → last item started
    starts: dict[int, float]  # item → wall time its handler or task started
    cpu_seconds: dict[str, float]
    tasks_run: dict[str, int]

    @property
    def per_s(self) -> float:
        return self.items / self.seconds

    def per_item(self) -> dict[str, float]:
        """CPU milliseconds per item by component, and Celery tasks run per item."""
        ms = {f"cpu_ms_{name}": 1000 * spent / self.items for name, spent in self.cpu_seconds.items()}
        return {**ms, "celery_tasks": sum(self.tasks_run.values()) / self.items}


def measure(workers: Workers, run: str, items: int, send: Callable[[], None], *, timeout: float) -> Measured:
    """Call ``send`` (which publishes ``items`` items tagged ``run``), then wait until all started.

    The run ends at the last start stamp, not when polling noticed it.
    """
    tasks_before = workers.tasks_run()
    cpu_before = cpu.snapshot(workers.group)
    started = time.time()
    send()

    def all_started() -> dict[int, float] | None:
        workers.check_alive()
        starts = read_stamps(run)
        return starts if len(starts) >= items else None

    starts = wait_until(all_started, timeout=timeout, what=f"{items} items of {run}")
    cpu_spent = cpu.snapshot(workers.group).minus(cpu_before)
    tasks_after = workers.tasks_run()
    tasks = {name: count - tasks_before.get(name, 0) for name, count in tasks_after.items()}
    return Measured(
        run=run,
        items=items,
        seconds=max(starts.values()) - started,
        starts=starts,
        cpu_seconds=cpu_spent,
        tasks_run={name: count for name, count in tasks.items() if count},
    )
