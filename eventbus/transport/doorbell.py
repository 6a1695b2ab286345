"""Wakes workers: one Celery task per transaction after commit, coalesced through Redis.

Two kinds of task, each on its own Celery queue: the relay (``eventbus.relay`` on
``EVENTBUS_QUEUE``) turns outbox rows into deliveries, then wakes the queue of each subscriber it
fanned out to (``eventbus.deliver``, on the subscriber's queue). The broker only wakes: a task that
is lost, or never sent because the broker is down, delays work but loses none, as the beat sweep
wakes every queue that has work due.

The gate: whoever wakes a queue sets its Redis key with ``SET NX`` (it expires after two seconds in
case that task is lost); the task at work opens it again only once a round finds nothing, then
looks once more. While a queue's gate is shut, commits cost one Redis ``SET`` and no Celery message.

A commit's ring is sent by a thread of the process's own, never by the committing caller: a gate
or broker that hangs holds that thread until its socket timeout, never a customer's request.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from functools import cache
from typing import Any

import redis
from celery import current_app

from eventbus import conf
from eventbus.observability import metrics

log = logging.getLogger(__name__)

RELAY_TASK = "eventbus.relay"
DELIVER_TASK = "eventbus.deliver"
GATE_TTL_MS = 2000
QUIET_AFTER_FAILURE_SECONDS = 2.0

_quiet_until = 0.0


class _RingOnCommit:
    """The one on-commit callback of a transaction: it counts the transaction's events by type for
    the metrics, and rings the relay if any of them is due now.

    An event delayed (``deliver_at``) rings nothing: it waits in the outbox, and the sweep wakes the
    relay once it is due, so delayed work costs no broker message while it waits.
    """

    def __init__(self) -> None:
        self.now = False
        self.types: Counter[str] = Counter()

    def add(self, delay: float, event_type: str) -> None:
        self.types[event_type] += 1
        self.now = self.now or delay <= 0

    def __call__(self) -> None:
        metrics.count_published(self.types)
        if self.now:
            _ringer.ring()


class _Ringer:
    """The process's doorbell thread: commits ask it to ring the relay, and it rings.

    Asks that come while it is ringing merge into one more ring, so a hung broker neither piles
    up rings nor floods the log. A forked child (Celery's pool, gunicorn's workers) forgets its
    parent's thread and starts its own on first use.
    """

    def __init__(self) -> None:
        self._forget_thread()
        os.register_at_fork(after_in_child=self._forget_thread)

    def ring(self) -> None:
        self._start_in_this_process()
        self._wanted.set()

    def _forget_thread(self) -> None:
        self._pid = 0
        self._lock = threading.Lock()
        self._wanted = threading.Event()

    def _start_in_this_process(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():
                threading.Thread(target=self._run, args=(self._wanted,), name="eventbus-doorbell", daemon=True).start()
                self._pid = os.getpid()

    @staticmethod
    def _run(wanted: threading.Event) -> None:
        while True:
            wanted.wait()
            wanted.clear()
            try:
                ring_relay()
            except Exception:  # a ring never stops the thread; the sweep covers what it missed
                log.exception("doorbell ring failed")


_ringer = _Ringer()


def ring_after_commit(connection: Any, *, delay: float, event_type: str) -> None:
    for _savepoints, callback, _robust in connection.run_on_commit:
        if isinstance(callback, _RingOnCommit):
            callback.add(delay, event_type)
            return
    callback = _RingOnCommit()
    callback.add(delay, event_type)
    connection.on_commit(callback, robust=True)


def ring_relay() -> None:
    """Wake the relay unless a relay task is on its way or at work."""
    if _close_gate(conf.current().queue):
        wake_relay()


def ring_queue(queue: str) -> None:
    """Wake a worker of ``queue`` unless one is on its way or at work."""
    if _close_gate(queue):
        wake_queue(queue)


def wake_relay() -> bool:
    return _send(RELAY_TASK, [], conf.current().queue, None)


def wake_queue(queue: str, *, countdown: float | None = None) -> bool:
    return _send(DELIVER_TASK, [queue], queue, countdown)


def open_gate(queue: str) -> None:
    """Called by a task that found nothing more to do: whatever commits after this rings again."""
    url = conf.current().doorbell_redis_url
    if url:
        try:
            _redis(url).delete(_gate_key(queue))
        except redis.RedisError as error:
            log.warning("doorbell gate unreachable (%s); wake-ups go out ungated", error)


def _send(task: str, args: list[str], queue: str, countdown: float | None) -> bool:
    """Send one task; a broker that is down is logged, and the sweep catches up later."""
    global _quiet_until
    if time.monotonic() < _quiet_until:
        return False
    try:
        current_app.send_task(task, args=args, queue=queue, countdown=countdown, retry=False)
    except Exception as error:  # any transport failure: the work is safe in the database
        _quiet_until = time.monotonic() + QUIET_AFTER_FAILURE_SECONDS
        log.warning("broker unreachable, events wait in the database until it is back: %s", error)
        return False
    return True


def _close_gate(queue: str) -> bool:
    url = conf.current().doorbell_redis_url
    if not url:
        return True
    try:
        return bool(_redis(url).set(_gate_key(queue), 1, nx=True, px=GATE_TTL_MS))
    except redis.RedisError:
        return True


def _gate_key(queue: str) -> str:
    return f"eventbus:doorbell:{queue}"


@cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
