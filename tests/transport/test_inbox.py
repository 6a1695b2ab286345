"""Arriving at a service: the inbox consumer stores what waits in batches, acknowledges a message only
once it is stored, and holds on to it while storing fails, without spending its delivery limit."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from kombu import Connection

from chaos.servers import RabbitNode
from eventbus.testing import wait_until
from eventbus.transport.broker_topology import EVENTS, ServiceQueues, declare
from eventbus.transport.inbox import Inbox

PAYMENTS = ServiceQueues("inbox-test", frozenset({"orders.OrderCreated"}))


class Unreachable(Exception):
    """Stands for the database being down."""


class Store:
    def __init__(self, failures: int = 0) -> None:
        self.failures, self.stored, self.calls, self.batches = failures, [], 0, []

    def __call__(self, messages: list[tuple[bytes, Mapping[str, Any]]]) -> list[int]:
        if self.failures:
            self.failures -= 1
            raise Unreachable("database down")
        self.calls += 1
        self.batches.append(len(messages))
        self.stored += [(body, dict(headers)) for body, headers in messages]
        return [position for position, (body, _) in enumerate(messages) if body == b"refuse me"]


@pytest.fixture
def running(private_rabbit: RabbitNode) -> Iterator[callable]:
    started: list[tuple[Inbox, threading.Thread]] = []

    def run(store: Store, **options: Any) -> Inbox:
        inbox = Inbox(private_rabbit.url, PAYMENTS, store, timeout=2, retryable=(Unreachable,), **options)
        thread = threading.Thread(target=inbox.run, daemon=True)
        thread.start()
        started.append((inbox, thread))
        return inbox

    yield run
    for inbox, thread in started:
        inbox.stop()
        thread.join(timeout=10)
    with Connection(private_rabbit.url) as connection, connection.channel() as channel:
        for queue in (PAYMENTS.inbox, PAYMENTS.dead):
            queue.bind(channel).delete()


def send(url: str, body: bytes) -> None:
    with Connection(url, transport_options={"confirm_publish": True}) as connection, connection.Producer() as producer:
        producer.publish(
            body, exchange=EVENTS, routing_key="shop.orders.OrderCreated", headers={"id": "e1"}, retry=False
        )


def unacknowledged_and_ready(url: str) -> int:
    with Connection(url) as connection, connection.channel() as channel:
        return PAYMENTS.inbox.bind(channel).queue_declare(passive=True).message_count


def test_a_message_is_stored_with_its_headers_then_acknowledged(running, private_rabbit):
    store = Store()
    inbox = running(store)
    assert inbox.consuming.wait(10)

    send(private_rabbit.url, b'{"id": "e1"}')
    wait_until(lambda: inbox.received == 1, timeout=10, what="the message acknowledged")
    send(private_rabbit.url, b'{"id": "e2"}')  # and the next, once the first batch was stored

    wait_until(lambda: inbox.received == 2, timeout=10, what="the second message acknowledged")
    assert store.stored == [(b'{"id": "e1"}', {"id": "e1"}), (b'{"id": "e2"}', {"id": "e1"})]


def test_a_message_waits_with_its_consumer_while_storing_fails(running, private_rabbit):
    store = Store(failures=3)
    inbox = running(store)
    assert inbox.consuming.wait(10)

    send(private_rabbit.url, b'{"id": "e2"}')

    wait_until(lambda: inbox.received == 1, timeout=20, what="the message stored after three failures")
    assert store.failures == 0
    assert [body for body, _ in store.stored] == [b'{"id": "e2"}']


def test_a_consumer_stopped_while_storing_fails_leaves_the_message_to_the_next(running, private_rabbit):
    failing = running(Store(failures=1000))
    assert failing.consuming.wait(10)
    send(private_rabbit.url, b'{"id": "e3"}')
    wait_until(
        lambda: unacknowledged_and_ready(private_rabbit.url) == 0, timeout=10, what="the first consumer to take it"
    )

    failing.stop()
    store = Store()
    running(store)

    wait_until(lambda: len(store.stored) == 1, timeout=20, what="the message taken over by the next consumer")
    assert store.stored[0][0] == b'{"id": "e3"}'


def test_messages_waiting_together_are_stored_together(running, private_rabbit):
    with Connection(private_rabbit.url) as connection:
        declare(connection, PAYMENTS)
    for n in range(60):
        send(private_rabbit.url, f'{{"id": "e{n}"}}'.encode())
    store = Store()

    inbox = running(store)

    wait_until(lambda: inbox.received == 60, timeout=20, what="60 messages stored")
    assert [body for body, _ in store.stored] == [f'{{"id": "e{n}"}}'.encode() for n in range(60)]  # in order
    assert store.calls < 10


def test_a_message_the_store_refuses_goes_to_the_services_dead_letters(running, private_rabbit):
    inbox = running(Store())
    assert inbox.consuming.wait(10)

    send(private_rabbit.url, b"refuse me")

    wait_until(lambda: inbox.received == 1, timeout=10, what="the message handled")
    with Connection(private_rabbit.url) as connection, connection.SimpleQueue(PAYMENTS.dead) as dead:
        assert dead.get(timeout=5).body == b"refuse me"


def test_under_load_a_batch_waits_a_little_for_more_messages_and_after_a_quiet_spell_not_at_all(
    running, private_rabbit
):
    store = Store()
    inbox = running(store, gather=1.0)
    assert inbox.consuming.wait(10)
    inbox.last_batch = 2  # as after a batch of two: under load

    send(private_rabbit.url, b"first")
    send(private_rabbit.url, b"second")  # a new connection each: they do not arrive together
    wait_until(lambda: inbox.received == 2, timeout=10, what="both messages stored")
    assert store.batches == [2]

    wait_until(lambda: inbox.last_batch == 0, timeout=10, what="a quiet spell")
    send(private_rabbit.url, b"third")
    send(private_rabbit.url, b"fourth")
    wait_until(lambda: inbox.received == 4, timeout=10, what="the next two stored")
    assert store.batches[0] == 2
    assert store.batches[1] == 1  # the third did not wait for the fourth
