"""Leaving a service: events published to RabbitMQ, persistent, and confirmed by the broker.

The body is the stored CloudEvents envelope as JSON (sealed fields stay sealed); the headers carry
what a consumer may route or trace by without parsing it: the type, the partition key (``subject``),
the trace context and the service it comes from.

``publish_many`` publishes a batch on one channel in confirm mode, then waits once for the broker's
answers, so a batch costs one round trip, not one per event. Each event's outcome is its own: one
the broker nacks, or returns as unroutable (``mandatory``: no queue bound to its type), fails alone
while the others are confirmed; when the connection is lost, or the answers take longer than
``EVENTBUS_BROKER_TIMEOUT``, the events confirmed by then are sent and the rest fail with
``BrokerUnavailable``, for the caller to try again later. A confirmation lost after the broker took
the message makes that a duplicate on the wire, which the receiving inbox drops by event id.

Before a service's first event, the receiving services' queues are declared with their bindings
(``broker_topology``), so an event is never dropped for want of a queue that its receiver, not yet
started, has not declared.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any

from amqp import Channel, Message
from amqp.exceptions import AMQPError
from kombu import Connection
from kombu.exceptions import KombuError

from eventbus.kernel.envelope import Envelope
from eventbus.transport.broker_topology import EVENTS, ServiceQueues, declare, routing_key
from eventbus.transport.confirmations import BrokerUnavailable, Confirmations

ORIGIN_HEADER = "eventbus-origin"
CONTENT_TYPE = "application/cloudevents+json"
BROKER_ERRORS = (AMQPError, KombuError, OSError)


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


def message_of(envelope: Envelope, *, origin: str) -> Message:
    return Message(
        body_of(envelope),
        content_type=CONTENT_TYPE,
        content_encoding="utf-8",
        application_headers=headers_of(envelope, origin=origin),
        delivery_mode=2,  # persistent
    )


class Forwarder:
    """One confirm-mode channel to RabbitMQ per process, opened on first use, reopened after a failure."""

    def __init__(self, url: str, *, timeout: float) -> None:
        self.url, self.timeout = url, timeout
        self._connection: Connection | None = None
        self._channel: Channel | None = None
        self._confirmations = Confirmations()
        self._declared: set[ServiceQueues] = set()
        self._lock = threading.Lock()

    def publish(self, envelope: Envelope, *, origin: str, receivers: Iterable[ServiceQueues]) -> None:
        """One event, confirmed by the broker, or ``BrokerUnavailable``."""
        refused = self.publish_many([envelope], origin=origin, receivers=receivers)[0]
        if refused is not None:
            raise refused

    def publish_many(
        self, envelopes: Sequence[Envelope], *, origin: str, receivers: Iterable[ServiceQueues]
    ) -> list[BrokerUnavailable | None]:
        """Each envelope's outcome, in order: None once the broker confirmed it, else why it was not sent
        (refused, unroutable, or unanswered when the connection was lost or the wait ran out)."""
        with self._lock:
            tags: list[int] = []
            try:
                channel = self._ready(receivers)
                tags += [self._send(channel, envelope, origin) for envelope in envelopes]
                self._await_answers()
            except BROKER_ERRORS as error:
                # Those the broker confirmed before the connection was lost or the wait ran out are
                # sent; the others (unanswered, or never published) are not.
                answers, lost = self._confirmations, BrokerUnavailable(f"{type(error).__name__}: {error}")
                self.close()
                return [answers.outcome(tag, lost) for tag in tags] + [lost] * (len(envelopes) - len(tags))
            except BaseException:
                # A time limit or any other interruption, maybe between a publish and its
                # confirmation: the channel's numbering can no longer be trusted.
                self.close()
                raise
            return [self._confirmations.outcome(tag) for tag in tags]

    def _send(self, channel: Channel, envelope: Envelope, origin: str) -> int:
        tag = self._confirmations.sent(str(envelope.id))
        channel.basic_publish(
            message_of(envelope, origin=origin),
            exchange=EVENTS.name,
            routing_key=routing_key(origin, envelope.type),
            mandatory=True,
        )
        return tag

    def _await_answers(self) -> None:
        assert self._connection is not None
        deadline = time.monotonic() + self.timeout
        while self._confirmations.waiting:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                unanswered = len(self._confirmations.waiting)
                raise TimeoutError(f"{unanswered} event(s) not confirmed within {self.timeout:g} s")
            self._connection.drain_events(timeout=remaining)

    def _ready(self, receivers: Iterable[ServiceQueues]) -> Channel:
        if self._connection is None or self._channel is None:
            connection = Connection(
                self.url,
                connect_timeout=self.timeout,
                transport_options={
                    "read_timeout": self.timeout,  # every frame: channel opening and declaring too
                    "write_timeout": self.timeout,
                },
                heartbeat=0,
            )
            connection.ensure_connection(max_retries=1, timeout=max(1, round(self.timeout)))
            self._connection, self._channel = connection, self._confirming(connection.default_channel)
            self._declared = set()
        for queues in receivers:
            if queues not in self._declared:
                declare(self._connection, queues)
                self._declared.add(queues)
        return self._channel

    def _confirming(self, channel: Any) -> Channel:
        self._confirmations = confirmations = Confirmations()
        channel.events["basic_ack"].add(confirmations.ack)
        channel.events["basic_nack"].add(confirmations.nack)
        channel.events["basic_return"].add(confirmations.returned)
        channel.confirm_select()
        return channel

    def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
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
