"""The RabbitMQ topology the code declares, on a private RabbitMQ node (never the machine's own):
a quorum queue per receiving service bound to exactly its event types, and a delivery limit past
which a message goes to that service's dead letters."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from amqp.exceptions import PreconditionFailed
from kombu import Connection, Queue

from chaos.servers import RabbitNode
from eventbus.testing import wait_until
from eventbus.transport.broker_topology import EVENTS, ServiceQueues, declare, unbind

PAYMENTS = ServiceQueues("topology-test", frozenset({"orders.OrderCreated", "orders.OrderCancelled"}), delivery_limit=2)


@pytest.fixture
def broker(private_rabbit: RabbitNode) -> Iterator[Connection]:
    with Connection(private_rabbit.url, transport_options={"confirm_publish": True}, connect_timeout=5) as connection:
        declare(connection, PAYMENTS)
        yield connection
        with connection.channel() as channel:
            for queue in (PAYMENTS.inbox, PAYMENTS.dead):
                queue.bind(channel).delete()


def publish(connection: Connection, event_type: str, body: str = "{}") -> None:
    """A persistent message, confirmed by the broker before this returns."""
    with connection.Producer() as producer:
        producer.publish(body, exchange=EVENTS, routing_key=f"shop.{event_type}", delivery_mode=2, retry=False)


def waiting(connection: Connection, queue: Queue) -> int:
    with connection.channel() as channel:
        return queue.bind(channel).queue_declare(passive=True).message_count


def test_a_service_queue_receives_exactly_the_event_types_its_subscribers_need(broker):
    for event_type in ("orders.OrderCreated", "shipping.ShipmentCreated", "orders.OrderCancelled"):
        publish(broker, event_type)

    wait_until(lambda: waiting(broker, PAYMENTS.inbox) == 2, timeout=10, what="two events in payments' queue")
    with broker.SimpleQueue(PAYMENTS.inbox) as inbox:
        received = sorted(inbox.get(timeout=5).delivery_info["routing_key"] for _ in range(2))
    assert received == ["shop.orders.OrderCancelled", "shop.orders.OrderCreated"]


def test_the_inbox_is_a_quorum_queue_and_declaring_it_again_is_harmless(broker):
    declare(broker, PAYMENTS)  # every process declares what it uses at start
    classic = Queue(
        PAYMENTS.inbox.name, durable=True, queue_arguments={**PAYMENTS.inbox.queue_arguments, "x-queue-type": "classic"}
    )
    with broker.channel() as channel, pytest.raises(PreconditionFailed, match="x-queue-type"):
        classic.bind(channel).declare()


def test_a_message_redelivered_past_the_limit_goes_to_the_services_dead_letters(broker):
    publish(broker, "orders.OrderCreated", body='{"poison": true}')
    with broker.SimpleQueue(PAYMENTS.inbox) as inbox:
        for _ in range(PAYMENTS.delivery_limit + 1):  # a consumer that crashes on it, again and again
            inbox.get(timeout=5).requeue()

    wait_until(lambda: waiting(broker, PAYMENTS.dead) == 1, timeout=10, what="the message dead-lettered")
    assert waiting(broker, PAYMENTS.inbox) == 0
    with broker.SimpleQueue(PAYMENTS.dead) as dead:
        assert dead.get(timeout=5).body == '{"poison": true}'


def test_a_type_unbound_is_no_longer_routed_to_the_service(broker):
    unbind(broker, PAYMENTS, ["orders.OrderCancelled"])
    publish(broker, "orders.OrderCancelled")
    publish(broker, "orders.OrderCreated")
    wait_until(lambda: waiting(broker, PAYMENTS.inbox) == 1, timeout=10, what="one event in payments' queue")
    with broker.SimpleQueue(PAYMENTS.inbox) as inbox:
        assert inbox.get(timeout=5).delivery_info["routing_key"] == "shop.orders.OrderCreated"
