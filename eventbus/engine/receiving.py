"""The inbox of a service: what it does with each message from another service.

A CloudEvents envelope of a known type is stored with its local deliveries (``store.receiving``),
then the queues that got work are rung; from there the local engine takes over, exactly as for an
event published here. A duplicate (the same event id, again) stores nothing. A body that is not an
envelope, or of a type this code has never heard of, is kept as an ``InboxRejection`` with its
reason, and the message is acknowledged: the consumer never crash-loops on it. A payload that is an
envelope but does not fit its event class is stored, and its deliveries dead-letter on decoding as
they would in the monolith.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from django import db
from django.utils import timezone
from pydantic import ValidationError

from eventbus import conf
from eventbus.engine.routing import receiving_queues
from eventbus.kernel.catalog import event_classes
from eventbus.kernel.envelope import Envelope
from eventbus.store import receiving
from eventbus.topology.subscribers import all_subscribers
from eventbus.transport import doorbell
from eventbus.transport.broker_topology import ServiceQueues
from eventbus.transport.forwarding import ORIGIN_HEADER
from eventbus.transport.inbox import Inbox

log = logging.getLogger(__name__)


def receive(body: bytes, headers: Mapping[str, Any], *, queue: str) -> str:
    """Store one message; returns "stored", "duplicate" or "rejected". A database error propagates."""
    now = timezone.now()
    try:
        envelope = Envelope.model_validate_json(body)
    except ValidationError as error:
        return _reject(queue, f"not a CloudEvents envelope: {_problems(error)}", headers, body)
    if envelope.type not in {event_class.event_type for event_class in event_classes()}:
        return _reject(queue, f"unknown event type {envelope.type!r}", headers, body)
    origin = str(headers.get(ORIGIN_HEADER) or envelope.source)
    try:
        woken = receiving.receive(envelope, origin=origin, now=now)
    except db.Error:
        db.connection.close()  # the next attempt opens a fresh connection
        raise
    if woken is None:
        log.info("inbox %s dropped a duplicate of event %s", queue, envelope.id)
        return "duplicate"
    for found in sorted(woken):
        doorbell.ring_queue(found)
    return "stored"


def inbox() -> Inbox:
    """The consumer of this service's inbox queue (``EVENTBUS_SERVICE``), ready to ``run()``."""
    settings = conf.current()
    deployment = settings.deployment
    if not deployment.split:
        raise ValueError("EVENTBUS_SERVICE is not set: the monolith receives nothing over the broker")
    queues = receiving_queues(deployment, tuple(all_subscribers())).get(
        deployment.here, ServiceQueues(deployment.here, frozenset())
    )
    name = queues.inbox.name
    return Inbox(
        settings.broker_url,
        queues,
        _receiver(name),
        timeout=settings.broker_timeout,
        retryable=(db.Error,),
    )


def _receiver(queue: str) -> Callable[[bytes, Mapping[str, Any]], str]:
    def received(body: bytes, headers: Mapping[str, Any]) -> str:
        return receive(body, headers, queue=queue)

    return received


def _reject(queue: str, reason: str, headers: Mapping[str, Any], body: bytes) -> str:
    log.error("inbox %s rejected a message: %s", queue, reason)
    try:
        receiving.reject(queue=queue, reason=reason, headers=headers, body=body, now=timezone.now())
    except db.Error:
        db.connection.close()
        raise
    return "rejected"


def _problems(error: ValidationError) -> str:
    """Where and what, without the values (a payload may hold what logs must not)."""
    return "; ".join(f"{'.'.join(map(str, found['loc'])) or 'body'}: {found['msg']}" for found in error.errors())
