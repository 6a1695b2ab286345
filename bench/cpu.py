"""Where the CPU went during a measurement: this process, the worker groups, PostgreSQL, Redis, RabbitMQ.

Read from /proc (utime + stime of every live process), so it costs nothing while measuring.
Counted per process: one that starts meanwhile counts whole, one that exits meanwhile is lost
(its share shows up under ``other``, the rest of the machine's busy time).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
COMPONENTS = ("publisher", "workers", "relay", "remote", "inbox", "postgres", "redis", "rabbitmq", "other")


@dataclass(frozen=True)
class Snapshot:
    processes: dict[int, tuple[str, float]]  # pid → (component, CPU seconds so far)
    busy: float  # all CPUs, the whole machine

    def minus(self, earlier: Snapshot) -> dict[str, float]:
        """CPU seconds spent per component since ``earlier``."""
        spent = dict.fromkeys(COMPONENTS, 0.0)
        for pid, (component, seconds) in self.processes.items():
            before = earlier.processes.get(pid)
            spent[component] += seconds - (before[1] if before and before[0] == component else 0.0)
        spent["other"] = max(self.busy - earlier.busy - sum(spent.values()), 0.0)
        return spent


def snapshot(groups: dict[int, str]) -> Snapshot:
    """CPU so far of this process, of each process group in ``groups`` (as its component), and of the servers."""
    processes: dict[int, tuple[str, float]] = {}
    me = os.getpid()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended meanwhile
            continue
        pid = int(stat.parent.name)
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        group, seconds = int(fields[2]), (int(fields[11]) + int(fields[12])) / TICKS
        component = _component(pid, name, group, me, groups)
        if component:
            processes[pid] = (component, seconds)
    return Snapshot(processes, _machine_busy())


def _component(pid: int, name: str, group: int, me: int, groups: dict[int, str]) -> str | None:
    if pid == me:
        return "publisher"
    if group in groups:
        return groups[group]
    if name.startswith("postgres"):
        return "postgres"
    if name.startswith("redis-server"):
        return "redis"
    if name.startswith("beam.smp"):
        return "rabbitmq"
    return None


def _machine_busy() -> float:
    """Non-idle CPU seconds of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / TICKS
