"""Arriving at a service: the consumer of its inbox queue, reconnecting by itself when RabbitMQ goes.

Each message is handed to ``receive(body, headers)``, which stores it in this service's database;
the message is acknowledged only once that returned, so a consumer that dies before loses nothing
(the broker hands the message out again, and the store drops the duplicate by event id). While the
database is unreachable, ``receive`` raising, the consumer keeps the message and tries again with a
capped backoff: a database outage holds the inbox up, it does not spend the message's delivery limit.
A quorum queue with a single active consumer keeps the arrival order; a second consumer process
stands by and takes over when the first goes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kombu import Connection, Consumer, Message
from kombu.mixins import ConsumerMixin

from eventbus.kernel.backoff import Backoff
from eventbus.transport.broker_topology import ServiceQueues, declare

log = logging.getLogger(__name__)

Receive = Callable[[bytes, Mapping[str, Any]], object]
RETRY = Backoff(base_seconds=0.2, max_seconds=5.0, jitter=False)


class Inbox(ConsumerMixin):
    def __init__(
        self,
        url: str,
        queues: ServiceQueues,
        receive: Receive,
        *,
        prefetch: int = 50,
        timeout: float = 5.0,
        retryable: tuple[type[BaseException], ...] = (Exception,),
    ) -> None:
        self.connection = Connection(url, connect_timeout=timeout, heartbeat=60)
        self.queues, self.receive, self.prefetch = queues, receive, prefetch
        self.retryable = retryable
        self.stopped = threading.Event()
        self.consuming = threading.Event()
        self.received = 0

    def get_consumers(self, consumer_class: Callable[..., Consumer], channel: Any) -> list[Consumer]:
        declare(self.connection, self.queues)
        return [
            consumer_class(  # kombu has bound the channel already
                queues=[self.queues.inbox],
                on_message=self.on_message,
                prefetch_count=self.prefetch,
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

    def on_message(self, message: Message) -> None:
        failures = 0
        while True:
            try:
                self.receive(_bytes(message.body), dict(message.headers or {}))
                break
            except self.retryable as error:
                failures += 1
                log.warning("inbox %s: a message not stored (attempt %s): %s", self.queues.inbox.name, failures, error)
                if self.stopped.wait(RETRY.delay(failures)):
                    return  # left unacknowledged: the broker hands it out again
        message.ack()
        self.received += 1

    def run(self, _tokens: int = 1, **kwargs: Any) -> None:
        try:
            super().run(_tokens, **kwargs)
        finally:
            self.connection.release()

    def stop(self) -> None:
        self.should_stop = True
        self.stopped.set()


def _bytes(body: bytes | str | None) -> bytes:
    return body.encode() if isinstance(body, str) else body or b""
