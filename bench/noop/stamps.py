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

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "var" / "bench" / "stamps"


def stamp_dir() -> Path:
    """Where stamps go; the bench hands its own choice to the workers through the environment."""
    return Path(os.environ.get("BENCH_STAMP_DIR", DEFAULT_DIR))


def stamp(run: str, n: int) -> None:
    """Record that item ``n`` of ``run`` started now (wall clock, shared by all processes)."""
    _file(run, os.getpid()).write(f"{n} {time.time():.6f}\n")


@cache
def _file(run: str, pid: int) -> TextIO:
    return (stamp_dir() / f"{run}-{pid}.txt").open("a", buffering=1)


class StampReader:
    """Follows the stamp files of one run; counting reads only what was appended since last time,
    so that polling stays cheap while the workers it waits for are still busy."""

    def __init__(self, run: str) -> None:
        self.run = run
        self.offsets: dict[Path, int] = {}
        self.lines = 0

    def count(self) -> int:
        for path in stamp_dir().glob(f"{self.run}-*.txt"):
            with path.open("rb") as file:
                file.seek(self.offsets.get(path, 0))
                new = file.read()
            complete = new.rfind(b"\n") + 1  # a line still being written is left for later
            self.offsets[path] = self.offsets.get(path, 0) + complete
            self.lines += new.count(b"\n", 0, complete)
        return self.lines

    def read(self) -> dict[int, float]:
        """Every stamp of the run so far, by item number; a number seen twice is a double run."""
        found: dict[int, float] = {}
        for path in stamp_dir().glob(f"{self.run}-*.txt"):
            for line in path.read_text().split("\n")[:-1]:
                n, at = line.split(" ")
                if int(n) in found:
                    raise AssertionError(f"{self.run}: item {n} started twice")
                found[int(n)] = float(at)
        return found
