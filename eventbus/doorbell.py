"""Wakes a worker after a commit: one Celery kick per transaction, coalesced through Redis.

The broker is only a doorbell. A kick that is lost, or never sent because the broker is down,
delays work but loses none: the beat sweep rings again while anything is due.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from functools import cache
from typing import Any

import redis
from celery import current_app

from . import conf, metrics

log = logging.getLogger(__name__)

PUMP_TASK = "eventbus.pump"
GATE_KEY = "eventbus:doorbell"
GATE_TTL_MS = 2000
LONGEST_COUNTDOWN_SECONDS = 3600.0
QUIET_AFTER_FAILURE_SECONDS = 2.0

_quiet_until = 0.0


class _RingOnCommit:
    """The one on-commit callback of a transaction; later publishes only lower its delay.

    It also counts the transaction's events by type for the metrics, once they are committed.
    """

    def __init__(self) -> None:
        self.now = False
        self.soonest_delay: float | None = None
        self.types: Counter[str] = Counter()

    def add(self, delay: float, event_type: str) -> None:
        self.types[event_type] += 1
        if delay <= 0:
            self.now = True
        elif self.soonest_delay is None or delay < self.soonest_delay:
            self.soonest_delay = delay

    def __call__(self) -> None:
        metrics.count_published(self.types)
        if self.now:
            ring()
        if self.soonest_delay is not None and self.soonest_delay <= LONGEST_COUNTDOWN_SECONDS:
            kick(countdown=self.soonest_delay)


def ring_after_commit(connection: Any, *, delay: float, event_type: str) -> None:
    for _savepoints, callback, _robust in connection.run_on_commit:
        if isinstance(callback, _RingOnCommit):
            callback.add(delay, event_type)
            return
    callback = _RingOnCommit()
    callback.add(delay, event_type)
    connection.on_commit(callback, robust=True)


def ring() -> None:
    """Kick a pump unless one is on its way or at work (the gate is shut until a pump opens it)."""
    if _close_gate():
        kick()


def open_gate() -> None:
    """Called by a pump that found nothing more to do: whatever commits after this rings again."""
    url = conf.doorbell_redis_url()
    if url:
        try:
            _redis(url).delete(GATE_KEY)
        except redis.RedisError as error:
            log.warning("doorbell gate unreachable (%s); kicks go out ungated", error)


def kick(*, countdown: float | None = None) -> bool:
    """Send one pump task; a broker that is down is logged, and the sweep catches up later."""
    global _quiet_until
    if time.monotonic() < _quiet_until:
        return False
    try:
        current_app.send_task(PUMP_TASK, queue=conf.queue(), countdown=countdown, retry=False)
    except Exception as error:  # any transport failure: the work is safe in the database
        _quiet_until = time.monotonic() + QUIET_AFTER_FAILURE_SECONDS
        log.warning("broker unreachable, events wait in the outbox until it is back: %s", error)
        return False
    return True


def _close_gate() -> bool:
    url = conf.doorbell_redis_url()
    if not url:
        return True
    try:
        return bool(_redis(url).set(GATE_KEY, 1, nx=True, px=GATE_TTL_MS))
    except redis.RedisError:
        return True


@cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
