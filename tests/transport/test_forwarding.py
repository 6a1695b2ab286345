"""Leaving a service: the forwarder publishes persistent, confirmed messages, and says so when it cannot."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from kombu import Connection

from chaos.servers import RabbitNode
from eventbus.kernel.envelope import Envelope
from eventbus.transport.broker_topology import ServiceQueues
from eventbus.transport.forwarding import BrokerUnavailable, Forwarder

PAYMENTS = ServiceQueues("forwarding-test", frozenset({"orders.OrderCreated"}))


def envelope(event_type: str = "orders.OrderCreated") -> Envelope:
    return Envelope(
        id=uuid4(),
        source="/shop",
        type=event_type,
        dataversion=3,
        subject="order-1",
        time=datetime(2026, 12, 2, tzinfo=UTC),
        correlationid="order-1",
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        data={"card_token": "sealed:v1:abc"},
    )


@pytest.fixture
def forwarder(private_rabbit: RabbitNode) -> Iterator[Forwarder]:
    found = Forwarder(private_rabbit.url, timeout=2)
    yield found
    found.close()
    with Connection(private_rabbit.url) as connection, connection.channel() as channel:
        for queue in (PAYMENTS.inbox, PAYMENTS.dead):
            queue.bind(channel).delete()


def test_an_event_arrives_persistent_with_its_envelope_and_headers(forwarder, private_rabbit):
    sent = envelope()

    forwarder.publish(sent, origin="shop", receivers=[PAYMENTS])  # the receiver's queue is declared first

    with Connection(private_rabbit.url) as connection, connection.SimpleQueue(PAYMENTS.inbox) as inbox:
        message = inbox.get(timeout=5)
    assert message.properties["delivery_mode"] == 2
    assert message.content_type == "application/cloudevents+json"
    assert json.loads(message.body)["id"] == str(sent.id)
    assert json.loads(message.body)["data"] == {"card_token": "sealed:v1:abc"}  # sealed stays sealed
    assert message.headers["subject"] == "order-1"
    assert message.headers["traceparent"] == sent.traceparent
    assert message.headers["eventbus-origin"] == "shop"


def test_an_event_no_queue_is_bound_to_is_refused_not_dropped(forwarder):
    with pytest.raises(BrokerUnavailable, match=r"NO_ROUTE|312"):
        forwarder.publish(envelope("nobody.ListensToThis"), origin="shop", receivers=[])


def test_a_forwarder_recovers_by_itself_after_a_failure(forwarder, private_rabbit):
    with pytest.raises(BrokerUnavailable):
        forwarder.publish(envelope("nobody.ListensToThis"), origin="shop", receivers=[])

    forwarder.publish(envelope(), origin="shop", receivers=[PAYMENTS])

    with Connection(private_rabbit.url) as connection, connection.SimpleQueue(PAYMENTS.inbox) as inbox:
        assert inbox.get(timeout=5).headers["type"] == "orders.OrderCreated"


def test_a_stopped_broker_is_reported_within_the_timeout():
    node = RabbitNode(Path(tempfile.mkdtemp(prefix="eventbus-rabbit-"))).start()
    forwarder = Forwarder(node.url, timeout=1)
    try:
        forwarder.publish(envelope(), origin="shop", receivers=[PAYMENTS])
        node.stop()
        started = time.monotonic()
        with pytest.raises(BrokerUnavailable):
            forwarder.publish(envelope(), origin="shop", receivers=[PAYMENTS])
        assert time.monotonic() - started < 5
    finally:
        forwarder.close()
        node.remove()


def test_a_batch_is_confirmed_event_by_event(forwarder, private_rabbit):
    batch = [envelope(), envelope("nobody.ListensToThis"), envelope()]

    outcomes = forwarder.publish_many(batch, origin="shop", receivers=[PAYMENTS])

    assert (outcomes[0], outcomes[2]) == (None, None)
    assert isinstance(outcomes[1], BrokerUnavailable)
    assert "NO_ROUTE" in str(outcomes[1])
    with Connection(private_rabbit.url) as connection, connection.SimpleQueue(PAYMENTS.inbox) as inbox:
        arrived = [inbox.get(timeout=5).headers["id"] for _ in range(2)]
        assert inbox.qsize() == 0
    assert arrived == [str(batch[0].id), str(batch[2].id)]  # in the order published
    assert forwarder.publish_many([envelope()], origin="shop", receivers=[PAYMENTS]) == [None]  # the channel goes on
