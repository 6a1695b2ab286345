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
from amqp import Message
from kombu import Connection

from chaos.servers import RabbitNode
from eventbus.kernel.envelope import Envelope
from eventbus.transport.broker_topology import ServiceQueues
from eventbus.transport.confirmations import BrokerUnavailable, Confirmations
from eventbus.transport.forwarding import Forwarder

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


def test_a_forwarder_recovers_by_itself_after_losing_its_connection(forwarder, private_rabbit):
    forwarder.publish(envelope(), origin="shop", receivers=[PAYMENTS])
    forwarder._connection.connection.sock.close()  # the connection breaks under it

    lost = envelope()
    with pytest.raises(BrokerUnavailable):
        forwarder.publish(lost, origin="shop", receivers=[PAYMENTS])
    forwarder.publish(envelope(), origin="shop", receivers=[PAYMENTS])

    with Connection(private_rabbit.url) as connection, connection.SimpleQueue(PAYMENTS.inbox) as inbox:
        arrived = [inbox.get(timeout=5).headers["id"] for _ in range(2)]
    assert str(lost.id) not in arrived


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


def sent(answers: Confirmations, count: int) -> list[int]:
    return [answers.sent(f"event-{n}") for n in range(count)]


def test_an_ack_of_several_settles_every_tag_up_to_it():
    answers = Confirmations()
    tags = sent(answers, 3)

    answers.ack(2, multiple=True)

    assert list(answers.waiting) == [3]
    assert [answers.outcome(tag) for tag in tags[:2]] == [None, None]
    answers.ack(3, multiple=False)
    assert not answers.waiting


def test_a_nack_of_several_refuses_each_of_them_alone():
    answers = Confirmations()
    tags = sent(answers, 3)

    answers.ack(1, multiple=False)
    answers.nack(3, multiple=True)

    outcomes = [answers.outcome(tag) for tag in tags]
    assert outcomes[0] is None
    assert [str(found) for found in outcomes[1:]] == ["the broker refused it (nack)"] * 2


def test_a_returned_event_is_refused_though_the_broker_acks_it_after():
    answers = Confirmations()
    tags = sent(answers, 2)
    returned = Message(b"", application_headers={"id": "event-1"})

    answers.returned(Exception("NO_ROUTE"), "eventbus.events", "shop.nobody.ListensToThis", returned)
    answers.ack(2, multiple=True)

    assert answers.outcome(tags[0]) is None
    assert "NO_ROUTE" in str(answers.outcome(tags[1]))


def test_an_event_not_answered_yet_gets_the_outcome_given_and_nothing_carries_over():
    answers = Confirmations()
    first = sent(answers, 2)
    answers.ack(1, multiple=False)
    unanswered = BrokerUnavailable("not confirmed in time")

    assert [answers.outcome(tag, unanswered) for tag in first] == [None, unanswered]
    answers.ack(2, multiple=False)
    second = sent(answers, 1)  # the next batch on the same channel
    answers.ack(second[0], multiple=False)
    assert (second, answers.outcome(second[0]), answers.refused) == ([3], None, {})
