"""Faults across the wire, with payments (and the test app's subscribers) in a service of their own:
each ends with the count of effects (every event took effect exactly once) and the invariants."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from django.db import transaction
from kombu import Connection

from chaos.invariants import TERMINAL
from chaos.servers import RabbitNode
from eventbus import publish
from eventbus.models import Delivery, InboxRejection, OutboxEvent
from eventbus.testing import wait_until
from eventbus.transport.broker_topology import EVENTS
from orders.models import Order
from tests.busapp.events import Ping, Sequenced
from tests.busapp.models import Effect
from tests.saga.conftest import Split
from tests.saga.factories import place_order
from tests.split import SplitTopology, payments_elsewhere

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True, databases=["default", "payments"])]
# busapp.record_ping runs in the payments service: every Ping crosses the wire.
SERVICES = "shop=*;payments=payments,busapp"


@pytest.fixture
def own_rabbit() -> Iterator[RabbitNode]:
    """A node this test may stop."""
    node = RabbitNode(Path(tempfile.mkdtemp(prefix="eventbus-rabbit-"))).start()
    yield node
    node.remove()


@pytest.fixture
def split(request, start_worker, worker_env, tmp_path) -> Iterator[SplitTopology]:
    rabbit = request.getfixturevalue(getattr(request, "param", "private_rabbit"))
    extra = request.node.get_closest_marker("extra_env")
    topology = SplitTopology.start(
        rabbit, start_worker, worker_env, tmp_path, services=SERVICES, extra_env=extra.args[0] if extra else None
    )
    with payments_elsewhere():
        yield topology
    topology.stop()


def ping(numbers: range) -> list[UUID]:
    """Publish a Ping per number in the shop, in transactions of 50; their event ids."""
    sent = []
    for start in range(numbers.start, numbers.stop, 50):
        with transaction.atomic():
            sent += [publish(Ping(n=n), key=f"ping-{n}").id for n in range(start, min(start + 50, numbers.stop))]
    return sent


def effects_once(sent: list[UUID]) -> bool:
    recorded = list(Effect.objects.using("payments").filter(subscriber="busapp.record_ping").values_list("event_id"))
    return len(recorded) == len(sent) and {found for (found,) in recorded} == set(sent)


def no_dead_letters_nor_rejections() -> None:
    for using in ("default", "payments"):
        assert not Delivery.objects.using(using).exclude(state=Delivery.State.DONE).exists(), using
        assert not InboxRejection.objects.using(using).exists(), using


@pytest.mark.parametrize("split", ["own_rabbit"], indirect=True)
def test_the_broker_stopped_for_10_s_while_1000_events_cross_loses_and_doubles_nothing(split, own_rabbit):
    sent = ping(range(500))
    own_rabbit.stop()
    stopped_at = time.monotonic()
    sent += ping(range(500, 1000))  # the shop keeps taking work: it waits in its database
    wait_until(
        lambda: (
            time.monotonic() - stopped_at >= 10
            and Delivery.objects.filter(
                subscriber="forward:busapp.Ping", last_error__contains="BrokerUnavailable"
            ).exists()
        ),
        timeout=30,
        what="10 s of a stopped broker, forwarding failing",
    )
    own_rabbit.start()

    wait_until(lambda: effects_once(sent) and split.idle(), timeout=180, what="1,000 pings, each once")
    no_dead_letters_nor_rejections()


@pytest.mark.extra_env({"shop": {"BUSAPP_DIE_AFTER_FORWARD": str(Path(tempfile.gettempdir()) / f"die-{uuid4()}")}})
def test_a_forwarder_killed_between_publish_and_mark_sends_a_duplicate_the_inbox_drops(split, request):
    marker = Path(request.node.get_closest_marker("extra_env").args[0]["shop"]["BUSAPP_DIE_AFTER_FORWARD"])
    sent = ping(range(1))

    wait_until(lambda: effects_once(sent) and split.idle(), timeout=60, what="the ping, once")
    assert marker.read_text() == str(sent[0])  # the forwarder died after the broker confirmed it
    forwarding = Delivery.objects.get(subscriber="forward:busapp.Ping")
    assert (forwarding.state, forwarding.attempts) == (Delivery.State.DONE, 2)
    assert "lease expired" in forwarding.last_error
    assert OutboxEvent.objects.using("payments").filter(event_id=sent[0]).count() == 1
    assert f"dropped a duplicate of event {sent[0]}" in split.inbox_log("payments")
    no_dead_letters_nor_rejections()


@pytest.mark.extra_env({"shop": {"BUSAPP_REFUSE_FORWARD_ONCE": str(Path(tempfile.gettempdir()) / f"nack-{uuid4()}")}})
def test_an_ordered_subscriber_gets_each_key_in_order_when_one_event_is_refused_on_the_way(split, request):
    """busapp.record_in_order (ordered) runs in payments; the broker refuses the first Sequenced once.
    Its key's later events wait for its retry instead of overtaking it on the wire."""
    marker = Path(request.node.get_closest_marker("extra_env").args[0]["shop"]["BUSAPP_REFUSE_FORWARD_ONCE"])
    keys = [f"sequence-{k}" for k in range(3)]
    with transaction.atomic():
        sent = [publish(Sequenced(n=n), key=key).id for n in range(5) for key in keys]
    recorded = Effect.objects.using("payments").filter(subscriber="busapp.record_in_order")

    wait_until(lambda: recorded.count() == len(sent) and split.idle(), timeout=60, what="every Sequenced recorded")
    refused = Delivery.objects.get(subscriber="forward:busapp.Sequenced", event__event_id=marker.read_text())
    assert (refused.state, refused.attempts, refused.last_error) == (
        Delivery.State.DONE,
        2,
        "BrokerUnavailable: the broker refused it (nack)",
    )
    arrived: dict[str, list[int]] = {}
    for key, n in recorded.order_by("id").values_list("key", "n"):
        arrived.setdefault(key, []).append(n)
    assert arrived == {key: [0, 1, 2, 3, 4] for key in keys}
    no_dead_letters_nor_rejections()


def send(url: str, body: bytes, event_type: str) -> None:
    with Connection(url, transport_options={"confirm_publish": True}) as connection, connection.Producer() as producer:
        producer.publish(body, exchange=EVENTS, routing_key=f"shop.{event_type}", delivery_mode=2, retry=False)


def test_the_same_message_delivered_twice_takes_effect_once(split, private_rabbit):
    event_id = uuid4()
    body = json.dumps(
        {
            "id": str(event_id),
            "source": "/shop",
            "type": "busapp.Ping",
            "dataversion": 1,
            "subject": "ping-twice",
            "time": "2026-12-02T12:00:00+00:00",
            "correlationid": "ping-twice",
            "data": {"n": 1},
        }
    ).encode()

    send(private_rabbit.url, body, "busapp.Ping")
    send(private_rabbit.url, body, "busapp.Ping")

    wait_until(lambda: effects_once([event_id]) and split.idle(), timeout=60, what="the ping, once")
    wait_until(lambda: f"dropped a duplicate of event {event_id}" in split.inbox_log("payments"), timeout=10)
    assert effects_once([event_id])


def test_a_poison_message_is_kept_with_its_reason_and_the_saga_goes_on(split, private_rabbit):
    send(private_rabbit.url, b"\x00 not an event", "orders.OrderCreated")
    order = place_order(token="tok_ok")

    wait_until(
        lambda: split.idle(str(order.id)) and Order.objects.get(id=order.id).status == Order.Status.CONFIRMED,
        timeout=60,
        what="the order confirmed behind the poison message",
    )
    rejection = InboxRejection.objects.using("payments").get()
    assert "not a CloudEvents envelope" in rejection.reason
    assert rejection.queue == "eventbus.payments"
    Split(split).assert_invariants()


def test_payments_down_for_a_minute_while_orders_keep_coming_then_back(split):
    split.stop_service("payments")
    orders, down_until = [], time.monotonic() + 60
    while time.monotonic() < down_until:
        orders.append(place_order(token="tok_ok"))
        time.sleep(3)  # the pace of customers, not a wait for a condition
    assert not Order.objects.filter(status=Order.Status.CONFIRMED).exists()  # nobody charged them meanwhile
    split.start_service("payments")

    wait_until(
        lambda: split.idle() and not Order.objects.exclude(status__in=TERMINAL).exists(),
        timeout=180,
        what=f"{len(orders)} orders terminal",
    )
    assert Order.objects.filter(status=Order.Status.CONFIRMED).count() == len(orders)
    Split(split).assert_invariants()
