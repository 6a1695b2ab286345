"""Where the CPU went during a measurement: this process, the worker group, PostgreSQL, Redis.

Read from /proc (utime + stime of every live process), so it costs nothing while measuring.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
COMPONENTS = ("publisher", "workers", "postgres", "redis", "other")


@dataclass(frozen=True)
class Snapshot:
    seconds: dict[str, float]
    busy: float  # all CPUs, the whole machine

    def minus(self, earlier: Snapshot) -> dict[str, float]:
        """CPU seconds spent per component since ``earlier``; ``other`` is the rest of the machine."""
        spent = {name: self.seconds[name] - earlier.seconds[name] for name in COMPONENTS if name != "other"}
        spent["other"] = max(self.busy - earlier.busy - sum(spent.values()), 0.0)
        return spent


def snapshot(worker_group: int | None) -> Snapshot:
    seconds = dict.fromkeys(COMPONENTS, 0.0)
    me = os.getpid()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended meanwhile
            continue
        pid = int(stat.parent.name)
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        group, cpu = int(fields[2]), (int(fields[11]) + int(fields[12])) / TICKS
        if pid == me:
            seconds["publisher"] += cpu
        elif worker_group is not None and group == worker_group:
            seconds["workers"] += cpu
        elif name.startswith("postgres"):
            seconds["postgres"] += cpu
        elif name.startswith("redis-server"):
            seconds["redis"] += cpu
    return Snapshot(seconds, _machine_busy())


def _machine_busy() -> float:
    """Non-idle CPU seconds of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / TICKS
