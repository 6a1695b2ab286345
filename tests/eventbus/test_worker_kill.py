"""kill -9 of a worker's main process takes its pool processes with it (a process gone, its sessions go too)."""

import os
import signal
from pathlib import Path

import pytest
from django.db import transaction

from eventbus import publish
from eventbus.testing import wait_until
from eventbus.transport import doorbell
from tests.busapp.events import Slow

pytestmark = pytest.mark.workers


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_the_pool_dies_with_a_killed_worker_main_even_mid_handler(start_worker, tmp_path):
    worker = start_worker(beat=False, EVENTBUS_HANDLER_TIMEOUT="30")
    assert worker.process is not None
    main = worker.process.pid
    pool = wait_until(lambda: children_of(main) if len(children_of(main)) >= 2 else None, what="the pool processes")
    marker = tmp_path / "slow.pid"
    with transaction.atomic():
        publish(Slow(marker=str(marker), seconds=20), key="k")
    doorbell.wake_relay()  # ungated: without beat, no sweep would make up for a gate left shut by an earlier test
    wait_until(marker.exists, what="a pool process busy in a slow handler")

    os.kill(main, signal.SIGKILL)
    worker.process.wait(timeout=10)

    wait_until(lambda: not any(alive(pid) for pid in pool), timeout=10, what=f"pool processes {pool} gone")
