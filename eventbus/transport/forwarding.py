"""Leaving a service: an event published to RabbitMQ, persistent, and confirmed by the broker.

The body is the stored CloudEvents envelope as JSON (sealed fields stay sealed); the headers carry
what a consumer may route or trace by without parsing it: the type, the partition key (``subject``),
the trace context and the service it comes from. ``publish`` returns only once the broker confirmed
the message; a nack, an unroutable message (``mandatory``: no queue bound to its type), a lost
connection or a confirmation that takes longer than ``EVENTBUS_BROKER_TIMEOUT`` raise
``BrokerUnavailable``, and the caller tries again later. A confirmation lost after the broker took the
message makes that a duplicate on the wire, which the receiving inbox drops by event id.

Before a service's first event, the receiving services' queues are declared with their bindings
(``broker_topology``), so an event is never dropped for want of a queue that its receiver, not yet
started, has not declared.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterable

from amqp.exceptions import AMQPError
from kombu import Connection, Producer
from kombu.exceptions import KombuError

from eventbus.kernel.envelope import Envelope
from eventbus.transport.broker_topology import EVENTS, ServiceQueues, declare, routing_key

ORIGIN_HEADER = "eventbus-origin"
CONTENT_TYPE = "application/cloudevents+json"
BROKER_ERRORS = (AMQPError, KombuError, OSError)


class BrokerUnavailable(Exception):
    """The broker did not confirm the message: it is down, slow, full, or has no queue for it."""


def headers_of(envelope: Envelope, *, origin: str) -> dict[str, str]:
    found = {
        "type": envelope.type,
        "id": str(envelope.id),
        "subject": envelope.subject,
        "traceparent": envelope.traceparent,
        "tracestate": envelope.tracestate,
        ORIGIN_HEADER: origin,
    }
    return {name: value for name, value in found.items() if value}


def body_of(envelope: Envelope) -> bytes:
    return json.dumps(envelope.to_cloudevent(), separators=(",", ":")).encode()


class Forwarder:
    """One confirmed-publish connection to RabbitMQ per process, opened on first use, reopened after a failure."""

    def __init__(self, url: str, *, timeout: float) -> None:
        self.url, self.timeout = url, timeout
        self._connection: Connection | None = None
        self._producer: Producer | None = None
        self._declared: set[ServiceQueues] = set()
        self._lock = threading.Lock()

    def publish(self, envelope: Envelope, *, origin: str, receivers: Iterable[ServiceQueues]) -> None:
        with self._lock:
            try:
                producer = self._ready(receivers)
                producer.publish(
                    body_of(envelope),
                    routing_key=routing_key(origin, envelope.type),
                    headers=headers_of(envelope, origin=origin),
                    content_type=CONTENT_TYPE,
                    content_encoding="utf-8",
                    delivery_mode=2,
                    mandatory=True,
                    retry=False,
                    timeout=self.timeout,
                    confirm_timeout=self.timeout,
                )
            except BROKER_ERRORS as error:
                self.close()
                raise BrokerUnavailable(f"{type(error).__name__}: {error}") from error
            except BaseException:
                # A time limit or any other interruption, maybe between the publish and its
                # confirmation: this channel could answer the next publish with this one's ack.
                self.close()
                raise

    def _ready(self, receivers: Iterable[ServiceQueues]) -> Producer:
        if self._connection is None or self._producer is None:
            connection = Connection(
                self.url,
                connect_timeout=self.timeout,
                transport_options={
                    "confirm_publish": True,
                    "read_timeout": self.timeout,  # every frame: channel opening and declaring too
                    "write_timeout": self.timeout,
                },
                heartbeat=0,
            )
            connection.ensure_connection(max_retries=1, timeout=max(1, round(self.timeout)))
            self._connection = connection
            self._producer = Producer(connection.default_channel, exchange=EVENTS, auto_declare=False)
            self._declared = set()
        for queues in receivers:
            if queues not in self._declared:
                declare(self._connection, queues)
                self._declared.add(queues)
        return self._producer

    def close(self) -> None:
        connection, self._connection, self._producer = self._connection, None, None
        if connection is not None:
            with contextlib.suppress(*BROKER_ERRORS):
                connection.release()


_forwarders: dict[tuple[int, str, float], Forwarder] = {}


def forwarder(url: str, *, timeout: float) -> Forwarder:
    """This process's forwarder to ``url`` (a forked worker process opens its own)."""
    key = (os.getpid(), url, timeout)
    if key not in _forwarders:
        _forwarders[key] = Forwarder(url, timeout=timeout)
    return _forwarders[key]
