"""The inbox of a service: what it does with each batch of messages from other services.

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
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django import db
from django.utils import timezone
from pydantic import ValidationError

from eventbus import conf
from eventbus.engine.routing import receiving_queues
from eventbus.kernel.catalog import event_classes
from eventbus.kernel.envelope import Envelope
from eventbus.store import receiving
from eventbus.store.receiving import Rejected
from eventbus.topology.subscribers import all_subscribers
from eventbus.transport import doorbell
from eventbus.transport.broker_topology import ServiceQueues
from eventbus.transport.forwarding import ORIGIN_HEADER
from eventbus.transport.inbox import Inbox, Received

log = logging.getLogger(__name__)


def receive_batch(messages: Sequence[Received], *, queue: str) -> receiving.Received:
    """Store a batch of messages in one transaction. A database error propagates (nothing is stored)."""
    known = {event_class.event_type for event_class in event_classes()}
    envelopes: list[tuple[Envelope, str]] = []
    rejected: list[Rejected] = []
    for body, headers in messages:
        try:
            envelope = Envelope.model_validate_json(body)
        except ValidationError as error:
            rejected.append(Rejected(f"not a CloudEvents envelope: {_problems(error)}", headers, body))
            continue
        if envelope.type not in known:
            rejected.append(Rejected(f"unknown event type {envelope.type!r}", headers, body))
            continue
        envelopes.append((envelope, str(headers.get(ORIGIN_HEADER) or envelope.source)))
    try:
        received = receiving.receive(envelopes, rejected, queue=queue, now=timezone.now())
    except db.Error:
        db.connection.close()  # the next attempt opens a fresh connection
        raise
    for found in rejected:
        log.error("inbox %s rejected a message: %s", queue, found.reason)
    for envelope in received.duplicates:
        log.info("inbox %s dropped a duplicate of event %s", queue, envelope.id)
    for woken in sorted(received.queues):
        doorbell.ring_queue(woken)
    return received


def receive(body: bytes, headers: Mapping[str, Any], *, queue: str) -> str:
    """One message: "stored", "duplicate" or "rejected"."""
    received = receive_batch([(body, headers)], queue=queue)
    return "stored" if received.stored else "duplicate" if received.duplicates else "rejected"


def inbox() -> Inbox:
    """The consumer of this service's inbox queue (``EVENTBUS_SERVICE``), ready to ``run()``."""
    settings = conf.current()
    deployment = settings.deployment
    if not deployment.split:
        raise ValueError("EVENTBUS_SERVICE is not set: the monolith receives nothing over the broker")
    senders = frozenset(deployment.services) - {deployment.here}
    nothing = ServiceQueues(deployment.here, frozenset(), senders=senders)  # no subscriber here (yet)
    queues = receiving_queues(deployment, tuple(all_subscribers())).get(deployment.here, nothing)
    return Inbox(
        settings.broker_url,
        queues,
        _receiver(queues.inbox.name),
        timeout=settings.broker_timeout,
        retryable=(db.Error,),
    )


def _receiver(queue: str) -> Callable[[list[Received]], receiving.Received]:
    def received(messages: list[Received]) -> receiving.Received:
        return receive_batch(messages, queue=queue)

    return received


def _problems(error: ValidationError) -> str:
    """Where and what, without the values (a payload may hold what logs must not)."""
    return "; ".join(f"{'.'.join(map(str, found['loc'])) or 'body'}: {found['msg']}" for found in error.errors())
