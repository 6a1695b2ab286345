"""A worker's heartbeat: a thread of the worker's main process that upserts the worker's row every
``EVENTBUS_HEARTBEAT_SECONDS`` (``store.workers``), so operators see which workers are up.

One short write per interval, on a connection of its own closed after each beat (nothing of it is
left for a forked pool process to inherit); a failed write is logged and the next beat tries again:
the heartbeat never stops a worker nor slows a delivery.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable

from django.db import connection
from django.utils import timezone

from eventbus import conf
from eventbus.store import workers

log = logging.getLogger(__name__)
# Every this many beats, a beat also deletes rows long unseen (workers killed without a goodbye).
PRUNE_EVERY = 20


class Heartbeat:
    def __init__(self, name: str, queues: Iterable[str], *, processed: Callable[[], int], interval: float) -> None:
        self.beat = workers.Beat(name, os.getpid(), tuple(sorted(queues)), timezone.now(), 0)
        self.processed = processed
        self.interval = interval
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="eventbus-heartbeat", daemon=True)
        self.beats = 0

    def start(self) -> Heartbeat:
        self.thread.start()
        return self

    def stop(self, *, timeout: float = 5.0) -> None:
        """Stop beating and remove this worker's row: it is going away on purpose."""
        self.stopped.set()
        self.thread.join(timeout)
        self._safely(lambda: workers.forget(self.beat.name, self.beat.pid), "remove its heartbeat")

    def beat_once(self) -> bool:
        """One beat; False when it could not be written (logged)."""
        now = timezone.now()
        found = workers.Beat(self.beat.name, self.beat.pid, self.beat.queues, self.beat.started_at, self.processed())
        prune = self.beats % PRUNE_EVERY == 0
        self.beats += 1
        return self._safely(lambda: workers.beat(found, now=now, prune=prune), "write its heartbeat")

    def _run(self) -> None:
        while True:
            self.beat_once()
            if self.stopped.wait(self.interval):
                return

    def _safely(self, write: Callable[[], None], what: str) -> bool:
        try:
            write()
        except Exception as error:
            log.warning("worker %s could not %s: %s: %s", self.beat.name, what, type(error).__name__, error)
            return False
        finally:
            if not connection.in_atomic_block:  # a caller's transaction (a test's) is not ours to end
                connection.close()
        return True


def start(name: str, queues: Iterable[str], *, processed: Callable[[], int]) -> Heartbeat:
    return Heartbeat(name, queues, processed=processed, interval=conf.current().heartbeat_seconds).start()
