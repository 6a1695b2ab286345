"""kill -9 of a worker's main process takes its pool processes with it (a process gone, its sessions go too)."""

import os
import signal
from pathlib import Path

import pytest
from django.db import transaction

from eventbus import publish
from eventbus.testing import wait_until
from eventbus.topology.subscribers import subscriber as find_subscriber
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
    queue = find_subscriber("busapp.answer_after_preparing").queue

    def busy() -> bool:
        # Without beat there is no sweep to make up for a doorbell gate an earlier test left shut
        # (its worker killed before opening it): wake the relay and the queue directly, ungated.
        doorbell.wake_relay()
        doorbell.wake_queue(queue)
        return marker.exists()

    wait_until(busy, interval=0.5, what="a pool process busy in a slow handler")

    os.kill(main, signal.SIGKILL)
    worker.process.wait(timeout=10)

    wait_until(lambda: not any(alive(pid) for pid in pool), timeout=10, what=f"pool processes {pool} gone")
