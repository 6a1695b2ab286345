"""Start times of handlers and tasks, appended to one file per (run, process).

A line-buffered append costs one ``write`` system call (a few microseconds), so the measurement
adds next to nothing to a no-op; no database row and no network round trip per event.
"""

from __future__ import annotations

import os
import time
from functools import cache
from pathlib import Path
from typing import TextIO


def stamp_dir() -> Path:
    return Path(os.environ.get("BENCH_STAMP_DIR", "var/bench/stamps"))


def stamp(run: str, n: int) -> None:
    """Record that item ``n`` of ``run`` started now (wall clock, shared by all processes)."""
    _file(run, os.getpid()).write(f"{n} {time.time():.6f}\n")


@cache
def _file(run: str, pid: int) -> TextIO:
    return (stamp_dir() / f"{run}-{pid}.txt").open("a", buffering=1)


def read_stamps(run: str) -> dict[int, float]:
    """Every stamp of ``run`` so far, by item number; a number seen twice would be a double run."""
    found: dict[int, float] = {}
    for path in stamp_dir().glob(f"{run}-*.txt"):
        complete = path.read_text().split("\n")[:-1]  # a line still being written is left for later
        for line in complete:
            n, at = line.split(" ")
            if int(n) in found:
                raise AssertionError(f"{run}: item {n} started twice")
            found[int(n)] = float(at)
    return found
