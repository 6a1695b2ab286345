"""Wakes workers: after commit, a Celery task on each queue the transaction's events concern, coalesced
through Redis.

A commit wakes the queues of its events' subscribers (``eventbus.deliver``, on each subscriber's
queue). A deliver task relays whatever the outbox holds before each claim, and wakes the other
queues it fanned out to. The queues of each event type come from a copy of the Subscription table
at most ``QUEUES_TTL_SECONDS`` old: a copy that is out of date wakes a queue too many or one too
few, and the relay of whichever queue works next wakes the rest (the sweep, at the latest). An
event type no subscription names wakes nothing. Without a copy (none readable, or no subscription
at all) a commit wakes the relay (``eventbus.relay`` on ``EVENTBUS_QUEUE``), which turns outbox
rows into deliveries and wakes their queues. The broker only wakes: a task that is lost, or never sent
because the broker is down, delays work but loses none, as the beat sweep wakes every queue that
has work due.

The gate: whoever wakes a queue sets its Redis key with ``SET NX`` (it expires after two seconds in
case that task is lost); the task at work opens it again only once a round finds nothing, then
looks once more. While a queue's gate is shut, commits cost a Redis ``SET`` and no Celery message.

A commit's ring is sent by a thread of the process's own, never by the committing caller: a gate
or broker that hangs holds that thread until its socket timeout, never a customer's request.
Commits that come while it rings merge into one more ring; after a ring that found every gate
shut, the next one waits ``RING_INTERVAL_WHILE_SHUT``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Iterable
from functools import cache
from typing import Any

import redis
from celery import current_app

from eventbus import conf, store
from eventbus.observability import metrics

log = logging.getLogger(__name__)

RELAY_TASK = "eventbus.relay"
DELIVER_TASK = "eventbus.deliver"
GATE_TTL_MS = 2000
QUIET_AFTER_FAILURE_SECONDS = 2.0
# After a ring that found every gate shut, the next waits this long: under load a commit then costs
# no Redis round trip of its own, and an event committed as a worker stops waits this much longer.
RING_INTERVAL_WHILE_SHUT = 0.005
QUEUES_TTL_SECONDS = 5.0

_quiet_until = 0.0


class _RingOnCommit:
    """The one on-commit callback of a transaction: it counts the transaction's events by type for
    the metrics, and rings the queues of those due now.

    An event delayed (``deliver_at``) rings nothing: it waits in the outbox, and the sweep wakes the
    relay once it is due, so delayed work costs no broker message while it waits.
    """

    def __init__(self) -> None:
        self.due: set[str] = set()
        self.types: Counter[str] = Counter()

    def add(self, delay: float, event_type: str) -> None:
        self.types[event_type] += 1
        if delay <= 0:
            self.due.add(event_type)

    def __call__(self) -> None:
        metrics.count_published(self.types)
        queues = _subscribed_queues.of(self.due) if self.due else None
        if queues:
            _ringer.ring(queues)


class _SubscribedQueues:
    """Event type → the queues of its subscribers, copied from the Subscription table now and then."""

    def __init__(self) -> None:
        self._copied_at = -QUEUES_TTL_SECONDS
        self._by_type: dict[str, frozenset[str]] = {}

    def of(self, event_types: Iterable[str]) -> frozenset[str | None]:
        """The queues to wake; None stands for the relay, woken when there is no copy to go by.

        A type that no subscription names wakes nothing: its rows have no one to deliver to, and
        whichever round relays next marks them dispatched (the sweep, at the latest). An empty copy
        (a database whose subscriptions are not synced yet) or an unreadable one is no copy.
        """
        if time.monotonic() - self._copied_at > QUEUES_TTL_SECONDS:
            self._copy()
        if not self._by_type:
            return frozenset({None})
        return frozenset(queue for t in event_types for queue in self._by_type.get(t, ()))

    def _copy(self) -> None:
        try:
            self._by_type = store.subscribed_queues()
        except Exception as error:  # the relay is woken instead; the commit is safe
            log.warning("subscriptions unreadable, waking the relay instead: %s", error)
            self._by_type = {}
        self._copied_at = time.monotonic()


_subscribed_queues = _SubscribedQueues()


class _Asks:
    """What commits asked the doorbell thread to ring, and have not been rung yet."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.wanted = threading.Event()
        self.queues: set[str | None] = set()

    def add(self, queues: Iterable[str | None]) -> None:
        with self.lock:
            self.queues.update(queues)
        self.wanted.set()

    def take(self) -> set[str | None]:
        self.wanted.wait()
        self.wanted.clear()
        with self.lock:
            queues, self.queues = self.queues, set()
        return queues


class _Ringer:
    """The process's doorbell thread: commits ask it to ring queues, and it rings.

    Asks that come while it is ringing merge into one more ring, so a hung broker neither piles
    up rings nor floods the log. A forked child (Celery's pool, gunicorn's workers) forgets its
    parent's thread and starts its own on first use.
    """

    def __init__(self) -> None:
        self._forget_thread()
        os.register_at_fork(after_in_child=self._forget_thread)

    def ring(self, queues: Iterable[str | None]) -> None:
        self._start_in_this_process()
        self._asks.add(queues)

    def _forget_thread(self) -> None:
        self._pid = 0
        self._lock = threading.Lock()
        self._asks = _Asks()

    def _start_in_this_process(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():
                threading.Thread(target=self._run, args=(self._asks,), name="eventbus-doorbell", daemon=True).start()
                self._pid = os.getpid()

    @staticmethod
    def _run(asks: _Asks) -> None:
        while True:
            woke = False
            for queue in sorted(asks.take(), key=str):
                try:
                    woke = (ring_relay() if queue is None else ring_queue(queue)) or woke
                except Exception:  # a ring never stops the thread; the sweep covers what it missed
                    log.exception("doorbell ring failed")
                    woke = True
            if not woke:  # workers are at work and see these commits; what comes meanwhile rings once, after
                time.sleep(RING_INTERVAL_WHILE_SHUT)


_ringer = _Ringer()


def ring_after_commit(connection: Any, *, delay: float, event_type: str) -> None:
    for _savepoints, callback, _robust in connection.run_on_commit:
        if isinstance(callback, _RingOnCommit):
            callback.add(delay, event_type)
            return
    callback = _RingOnCommit()
    callback.add(delay, event_type)
    connection.on_commit(callback, robust=True)


def ring_relay() -> bool:
    """Wake the relay unless a relay task is on its way or at work; False when one is."""
    return _close_gate(conf.current().queue) and wake_relay()


def ring_queue(queue: str) -> bool:
    """Wake a worker of ``queue`` unless one is on its way or at work; False when one is."""
    return _close_gate(queue) and wake_queue(queue)


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
