"""The inbox of a service: what it does with each batch of messages from other services.

A CloudEvents envelope of a known type is stored with its local deliveries (``store.receiving``),
then the queues that got work are rung; from there the local engine takes over, exactly as for an
event published here. A duplicate (the same event id, again) stores nothing.

What cannot be taken never holds up the queue behind it:

- a body that is not an envelope, or one the database refuses (a field too long, a NUL character),
  is kept as an ``InboxRejection`` with its reason, and acknowledged;
- an envelope of a type this code has never heard of (a sender upgraded before its receiver) is
  refused back to the broker, which dead-letters it to ``eventbus.dead.<service>``: it is kept
  whole, for an operator to move back once this service runs code that knows the type;
- a payload that is an envelope but does not fit its event class is stored, and its deliveries
  dead-letter on decoding, as they would in the monolith.

Only the database being unreachable (``OperationalError``, ``InterfaceError``) makes the inbox keep a
batch and try again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
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
from eventbus.transport.forwarding import ORIGIN_HEADER
from eventbus.transport.inbox import Inbox, Received

log = logging.getLogger(__name__)
UNREACHABLE = (db.OperationalError, db.InterfaceError)


@dataclass
class Batch:
    """What became of a batch: stored, duplicates, rejections kept, and unknown types refused."""

    stored: list[Envelope] = field(default_factory=list)
    duplicates: list[Envelope] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    unknown: list[int] = field(default_factory=list)  # positions in the batch: dead-lettered by the broker


def receive_batch(messages: Sequence[Received], *, queue: str) -> Batch:
    """Store a batch of messages, in one transaction when the database takes them all, else one by one.

    The database unreachable propagates (nothing stored): the inbox tries the batch again.
    """
    known = {event_class.event_type for event_class in event_classes()}
    batch = Batch()
    envelopes: list[tuple[Envelope, str]] = []
    bodies: dict[Any, tuple[Mapping[str, Any], bytes]] = {}
    for position, (body, headers) in enumerate(messages):
        try:
            envelope = Envelope.model_validate_json(body)
        except ValidationError as error:
            batch.rejected.append(Rejected(f"not a CloudEvents envelope: {_problems(error)}", headers, body))
            continue
        if envelope.type not in known:
            batch.unknown.append(position)
            log.error(
                "inbox %s refused event %s of unknown type %r to its dead letters", queue, envelope.id, envelope.type
            )
            continue
        envelopes.append((envelope, str(headers.get(ORIGIN_HEADER) or envelope.source)))
        bodies[envelope.id] = (headers, body)
    try:
        woken = _store(envelopes, batch.rejected, batch, queue=queue)
    except UNREACHABLE:
        db.connection.close()  # the next attempt opens a fresh connection
        raise
    except db.Error:  # one of them the database refuses: find it
        woken = set()
        for one in envelopes:
            try:
                woken |= _store([one], [], batch, queue=queue)
            except UNREACHABLE:
                db.connection.close()
                raise
            except db.Error as error:
                headers, body = bodies.get(one[0].id, ({}, b""))
                batch.rejected.append(Rejected(f"the database refused it: {type(error).__name__}", headers, body))
        _store([], batch.rejected, batch, queue=queue)
    _report(batch, queue)
    for found in sorted(woken):
        doorbell.ring_queue(found)
    return batch


def _store(envelopes: list[tuple[Envelope, str]], rejected: list[Rejected], batch: Batch, *, queue: str) -> set[str]:
    received = receiving.receive(envelopes, rejected, queue=queue, now=timezone.now())
    batch.stored += received.stored
    batch.duplicates += received.duplicates
    return set(received.queues)


def _report(batch: Batch, queue: str) -> None:
    for found in batch.rejected:
        log.error("inbox %s rejected a message: %s", queue, found.reason)
    for envelope in batch.duplicates:
        log.info("inbox %s dropped a duplicate of event %s", queue, envelope.id)


def receive(body: bytes, headers: Mapping[str, Any], *, queue: str) -> str:
    """One message: "stored", "duplicate", "rejected" or "unknown"."""
    batch = receive_batch([(body, headers)], queue=queue)
    if batch.stored:
        return "stored"
    return "duplicate" if batch.duplicates else "unknown" if batch.unknown else "rejected"


def inbox() -> Inbox:
    """The consumer of this service's inbox queue (``EVENTBUS_SERVICE``), ready to ``run()``."""
    settings = conf.current()
    deployment = settings.deployment
    if not deployment.split:
        raise ValueError("EVENTBUS_SERVICE is not set: the monolith receives nothing over the broker")
    queues = receiving_queues(deployment, tuple(all_subscribers()))[deployment.here]
    return Inbox(
        settings.broker_url,
        queues,
        _receiver(queues.inbox.name),
        timeout=settings.broker_timeout,
        retryable=UNREACHABLE,
    )


def _receiver(queue: str) -> Callable[[list[Received]], list[int]]:
    """The inbox's callback: stores the batch, and names the messages the broker should dead-letter."""

    def received(messages: list[Received]) -> list[int]:
        return receive_batch(messages, queue=queue).unknown

    return received


def _problems(error: ValidationError) -> str:
    """Where and what, without the values (a payload may hold what logs must not)."""
    return "; ".join(f"{'.'.join(map(str, found['loc'])) or 'body'}: {found['msg']}" for found in error.errors())
