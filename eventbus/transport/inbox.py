"""Arriving at a service: the consumer of its inbox queue, reconnecting by itself when RabbitMQ goes.

Messages are taken in batches: each message read is held until no other is waiting on the socket
(or ``batch`` are held), then the batch is handed to ``receive(messages)``, which stores them in
this service's database in one transaction. They are acknowledged only once that returned, so a
consumer that dies before loses nothing (the broker hands the messages out again, and the store
drops the duplicates by event id). Under load (the last batch held more than one message) a batch
also waits up to ``GATHER_SECONDS`` (5 ms) for more, so one transaction stores many messages and
the service's workers are woken once for them; a lone message after a quiet spell (a second without
any) waits for nothing.

While the database is unreachable (``receive`` raising one of ``retryable``), the consumer keeps
the batch and tries again with a capped backoff: a database outage holds the inbox up, it does not
spend the messages' delivery limit. A quorum queue with a single active consumer keeps the arrival
order; a second consumer process stands by and takes over when the first goes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from kombu import Connection, Consumer, Message
from kombu.mixins import ConsumerMixin

from eventbus.kernel.backoff import Backoff
from eventbus.transport.broker_topology import ServiceQueues, declare_on

log = logging.getLogger(__name__)

Received = tuple[bytes, Mapping[str, Any]]
Receive = Callable[[list[Received]], Iterable[int]]
"""Stores a batch; returns the positions of the messages the broker should dead-letter instead."""
RETRY = Backoff(base_seconds=0.2, max_seconds=5.0, jitter=False)
IDLE_SECONDS = 1.0  # how long one wait for a message lasts when none is held
GATHER_SECONDS = 0.005  # under load, how long a batch may wait for more messages


class Inbox(ConsumerMixin):
    def __init__(
        self,
        url: str,
        queues: ServiceQueues,
        receive: Receive,
        *,
        batch: int = 100,
        timeout: float = 5.0,
        retryable: tuple[type[BaseException], ...] = (Exception,),
        gather: float = GATHER_SECONDS,
    ) -> None:
        self.connection = Connection(url, connect_timeout=timeout, heartbeat=60)
        self.queues, self.receive, self.batch = queues, receive, batch
        self.retryable, self.gather = retryable, gather
        self.held: list[Message] = []
        self.stopped = threading.Event()
        self.consuming = threading.Event()
        self.received = 0
        self.last_batch = 0  # messages in the batch stored last

    def get_consumers(self, consumer_class: Callable[..., Consumer], channel: Any) -> list[Consumer]:
        declare_on(channel, self.queues)
        return [
            consumer_class(  # kombu has bound the channel already
                queues=[self.queues.inbox],
                on_message=self.held.append,
                prefetch_count=self.batch,
                no_ack=False,
            )
        ]

    def on_consume_ready(
        self, connection: Connection, channel: Any, consumers: Sequence[Consumer], **kwargs: Any
    ) -> None:
        log.info("inbox %s consuming", self.queues.inbox.name)
        self.consuming.set()

    def on_connection_error(self, exc: BaseException, interval: float) -> None:
        self.consuming.clear()
        log.warning("inbox %s lost RabbitMQ (%s); reconnecting in %.1f s", self.queues.inbox.name, exc, interval)

    def _consume(self) -> None:
        """kombu's loop, but a held batch is stored as soon as the socket has nothing more to read,
        or, under load (the last batch held more than one message), once ``gather`` seconds passed
        since its first message."""
        self.held.clear()  # what a lost connection held, the broker hands out again
        gathering_until = 0.0
        # The stubs type consumer_context as the tuple it yields, not as a context manager.
        with self.consumer_context() as (connection, _, _):  # type: ignore[attr-defined]
            while not self.should_stop:
                if self.held and not gathering_until:
                    gathering_until = time.monotonic() + (self.gather if self.last_batch > 1 else 0)
                wait = max(gathering_until - time.monotonic(), 0) if self.held else IDLE_SECONDS
                try:
                    connection.drain_events(timeout=wait)
                except TimeoutError:  # socket.timeout: nothing more to read
                    if self.held:
                        self._store_held()
                        gathering_until = 0.0
                    else:
                        self.last_batch = 0  # a quiet spell: the next message is stored at once
                        connection.heartbeat_check()
                    continue
                if len(self.held) >= self.batch:
                    self._store_held()
                    gathering_until = 0.0

    def _store_held(self) -> None:
        batch = list(self.held)
        self.held.clear()  # the same list: the consumer appends to it
        failures = 0
        while True:
            try:
                refused = set(self.receive([(_bytes(message.body), dict(message.headers or {})) for message in batch]))
                break
            except self.retryable as error:
                failures += 1
                log.warning(
                    "inbox %s: %d message(s) not stored (attempt %s): %s",
                    self.queues.inbox.name,
                    len(batch),
                    failures,
                    error,
                )
                if self.stopped.wait(RETRY.delay(failures)):
                    return  # left unacknowledged: the broker hands them out again
        for position, message in enumerate(batch):
            if position in refused:
                message.reject(requeue=False)  # to the queue's dead-letter exchange
            else:
                message.ack()
        self.received += len(batch)
        self.last_batch = len(batch)

    def run(self, _tokens: int = 1, **kwargs: Any) -> None:
        """Consume until ``stop()``; a lost connection is reopened (kombu's back-off, 2 s growing to 30 s)."""
        errors = self.connection.connection_errors + self.connection.channel_errors
        failures = 0
        try:
            while not self.should_stop:
                before = self.received
                try:
                    self._consume()
                except errors as error:
                    self.consuming.clear()
                    # Back off when the error comes back before anything was received (a queue that
                    # cannot be declared, say), so a persistent one is no tight loop.
                    failures = 0 if self.received > before else failures + 1
                    log.warning("inbox %s lost RabbitMQ (%s); reconnecting", self.queues.inbox.name, error)
                    self.stopped.wait(RETRY.delay(failures))
        finally:
            self.connection.release()

    def stop(self) -> None:
        self.should_stop = True
        self.stopped.set()


def _bytes(body: bytes | str | None) -> bytes:
    return body.encode() if isinstance(body, str) else body or b""
