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
    so that polling stays cheap while the workers it waits for are still busy.

    An item started twice is an error of the bus's (it is never applied twice). A peer that
    promises at least once may run one twice: with ``repeats_allowed``, items are counted once,
    the first start is kept, and ``repeated`` says how many starts were repeats.
    """

    def __init__(self, run: str, *, repeats_allowed: bool = False) -> None:
        self.run = run
        self.repeats_allowed = repeats_allowed
        self.offsets: dict[Path, int] = {}
        self.lines = 0
        self.items: set[bytes] = set()
        self.repeated = 0

    def count(self) -> int:
        for path in stamp_dir().glob(f"{self.run}-*.txt"):
            with path.open("rb") as file:
                file.seek(self.offsets.get(path, 0))
                new = file.read()
            complete = new.rfind(b"\n") + 1  # a line still being written is left for later
            self.offsets[path] = self.offsets.get(path, 0) + complete
            self.lines += new.count(b"\n", 0, complete)
            if self.repeats_allowed:
                self.items.update(line.split(b" ", 1)[0] for line in new[:complete].splitlines())
        return len(self.items) if self.repeats_allowed else self.lines

    def read(self) -> dict[int, float]:
        """Every item's start so far, by item number (its first, where repeats are allowed)."""
        found: dict[int, float] = {}
        self.repeated = 0
        for path in stamp_dir().glob(f"{self.run}-*.txt"):
            for line in path.read_text().split("\n")[:-1]:
                number, time_text = line.split(" ")
                n, at = int(number), float(time_text)
                if n in found and not self.repeats_allowed:
                    raise AssertionError(f"{self.run}: item {n} started twice")
                self.repeated += n in found
                found[n] = min(at, found.get(n, at))
        return found
