"""This process's subscribers: those of the contexts it runs, and one forwarding subscriber per event
type that another service's subscribers react to.

In the monolith (``EVENTBUS_SERVICE`` empty) that is every declared subscriber. In a split
deployment every process still imports every context's handlers (the image is the same), so the
registry knows who, anywhere, reacts to what; a subscriber of a context another service runs is
replaced here by ``forward:<event type>``, which the relay fans out to like any other subscriber.
Forwarding is therefore a delivery, with a lease, isolation, metrics, admin and the audit trail.
A claim of them is published to RabbitMQ at once (``send_many``), and each delivery is done only
once the broker confirmed its event. It never dead-letters for want of the broker: its attempts are
unbounded in practice and its backoff is capped at a few seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from eventbus import conf
from eventbus.kernel.backoff import Backoff
from eventbus.kernel.envelope import Envelope
from eventbus.kernel.event import Event
from eventbus.topology.deployment import Deployment
from eventbus.topology.subscribers import Subscriber, all_subscribers, subscriber
from eventbus.transport.broker_topology import ServiceQueues
from eventbus.transport.confirmations import BrokerUnavailable
from eventbus.transport.forwarding import forwarder

FORWARD_PREFIX = "forward:"
FORWARD_QUEUE = "forward"
FORWARD_ATTEMPTS = 1_000_000_000
FORWARD_BACKOFF = Backoff(base_seconds=0.5, max_seconds=5.0)


def local_subscribers() -> list[Subscriber]:
    """Every subscriber this process runs, forwarding ones included, by id."""
    deployment = conf.current().deployment
    if not deployment.split:
        return all_subscribers()
    return list(_split(deployment, tuple(all_subscribers())).values())


def local_subscriber(subscriber_id: str) -> Subscriber | None:
    """The subscriber of a claim (once per claim: the monolith asks the registry alone)."""
    deployment = conf.current().deployment
    if not deployment.split:
        return subscriber(subscriber_id)
    return _split(deployment, tuple(all_subscribers())).get(subscriber_id)


def receiving_queues(deployment: Deployment, declared: tuple[Subscriber, ...]) -> dict[str, ServiceQueues]:
    """Each service's inbox, bound to the event types its subscribers react to (maybe none yet), from
    the other services."""
    types: dict[str, set[str]] = {service: set() for service in deployment.services}
    for found in declared:
        types[deployment.service_of(found.context)].add(found.event_type)
    return {
        service: ServiceQueues(service, frozenset(found), senders=frozenset(deployment.services) - {service})
        for service, found in types.items()
    }


@lru_cache(maxsize=8)
def _split(deployment: Deployment, declared: tuple[Subscriber, ...]) -> dict[str, Subscriber]:
    here = [found for found in declared if deployment.runs_here(found.context)]
    elsewhere: dict[str, list[Subscriber]] = {}
    for found in declared:
        if not deployment.runs_here(found.context):
            elsewhere.setdefault(found.event_type, []).append(found)
    queues = receiving_queues(deployment, declared)
    forwarding = [_forwarding(deployment, remote, queues) for remote in elsewhere.values()]
    return {found.id: found for found in sorted([*here, *forwarding], key=lambda found: found.id)}


def _forwarding(deployment: Deployment, remote: list[Subscriber], queues: dict[str, ServiceQueues]) -> Subscriber:
    services = tuple(sorted({deployment.service_of(found.context) for found in remote}))
    receivers = tuple(queues[service] for service in services)

    def forward(envelopes: Sequence[Envelope]) -> list[BrokerUnavailable | None]:
        settings = conf.current()
        return forwarder(settings.broker_url, timeout=settings.broker_timeout).publish_many(
            envelopes, origin=deployment.here, receivers=receivers
        )

    return Subscriber(
        id=FORWARD_PREFIX + remote[0].event_type,
        event_class=remote[0].event_class,
        handler=_forwarded,
        max_attempts=FORWARD_ATTEMPTS,
        backoff=FORWARD_BACKOFF,
        ordered=any(found.ordered for found in remote),
        queue=FORWARD_QUEUE,
        timeout=2 * conf.current().broker_timeout + 1,
        send_many=forward,
        context="eventbus",
        forward_to=services,
    )


def _forwarded(event: Event) -> None:
    """Never called: a forwarding claim is sent at once (``send_many``) and marked done after the
    broker's confirmations."""
    raise AssertionError("a forwarding subscriber's events are sent by send_many, never handled one by one")
