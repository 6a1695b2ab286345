"""The RabbitMQ transport's exchanges and queues, declared by the code, never by hand.

When a context runs as its own service, events cross between services through RabbitMQ:

- ``eventbus.events``, a durable topic exchange: a forwarded event's routing key is the service it
  comes from and its type (``shop.orders.OrderCreated``).
- ``eventbus.<service>``, one durable **quorum** queue per receiving service, bound to exactly the
  event types its subscribers react to, from every other service (``payments`` binds
  ``shop.orders.OrderCreated``; without ``senders``, ``*.orders.OrderCreated``): a service never
  receives back what it sent itself, even when it reacts to that type too. It has a single
  active consumer at a time (a second inbox process stands by), which keeps the arrival order. A message
  that comes back more often than ``delivery_limit`` times (a consumer that keeps crashing on it)
  is not retried forever:
- ``eventbus.dead``, a direct exchange, routes it by service name to ``eventbus.dead.<service>``,
  the last resort, for an operator. (The inbox's own dead letters, for messages it cannot decode,
  live in the service's database like every other dead letter.)

Declaring is idempotent: every process that forwards or consumes declares what it uses at start.
A type no longer needed stays bound until ``unbind`` is given it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kombu import Connection, Exchange, Queue, binding

EVENTS = Exchange("eventbus.events", type="topic", durable=True)
DEAD = Exchange("eventbus.dead", type="direct", durable=True)
DEFAULT_DELIVERY_LIMIT = 20


@dataclass(frozen=True)
class ServiceQueues:
    """The queues a receiving service consumes: its inbox, and where hopeless messages go."""

    service: str
    event_types: frozenset[str]
    delivery_limit: int = DEFAULT_DELIVERY_LIMIT
    senders: frozenset[str] = frozenset()
    """The services it receives from; empty: any."""

    def routing_keys(self, event_types: Iterable[str]) -> list[str]:
        senders = sorted(self.senders) or ["*"]
        return [routing_key(sender, event_type) for event_type in sorted(event_types) for sender in senders]

    @property
    def inbox(self) -> Queue:
        return Queue(
            f"eventbus.{self.service}",
            bindings=[binding(EVENTS, routing_key=key) for key in self.routing_keys(self.event_types)],
            durable=True,
            queue_arguments={
                "x-queue-type": "quorum",
                "x-single-active-consumer": True,
                "x-delivery-limit": self.delivery_limit,
                "x-dead-letter-exchange": DEAD.name,
                "x-dead-letter-routing-key": self.service,
            },
        )

    @property
    def dead(self) -> Queue:
        return Queue(
            f"eventbus.dead.{self.service}",
            exchange=DEAD,
            routing_key=self.service,
            durable=True,
            queue_arguments={"x-queue-type": "quorum"},
        )


def declare(connection: Connection, queues: ServiceQueues) -> None:
    """Declare the exchanges, the service's inbox with its bindings, and its dead-letter queue."""
    with connection.channel() as channel:
        declare_on(channel, queues)


def declare_on(channel: Any, queues: ServiceQueues) -> None:
    """``declare``, on a channel already open (the one a consumer consumes on)."""
    for exchange in (EVENTS, DEAD):
        exchange.bind(channel).declare()
    queues.dead.bind(channel).declare()
    queues.inbox.bind(channel).declare()


def unbind(connection: Connection, queues: ServiceQueues, event_types: Iterable[str]) -> None:
    """Stop routing ``event_types`` to the service (its subscribers no longer react to them)."""
    with connection.channel() as channel:
        inbox = Queue(queues.inbox.name).bind(channel)
        for key in queues.routing_keys(event_types):
            inbox.unbind_from(EVENTS, routing_key=key)


def routing_key(sender: str, event_type: str) -> str:
    return f"{sender}.{event_type}"
