"""An order's timeline in the shop shows the payments service's part too, read from payments' own
database through its internal endpoint."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from eventbus import timeline
from orders.models import Order
from tests.processes import WebServer
from tests.saga.conftest import Split
from tests.saga.factories import place_order
from tests.saga.test_paths_e2e import settled
from tests.split import SplitTopology, payments_elsewhere

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True, databases=["default", "payments"])]
TOKEN = "tests-peer-token"


@pytest.fixture
def split(start_worker, worker_env, tmp_path, private_rabbit) -> Iterator[SplitTopology]:
    topology = SplitTopology.start(private_rabbit, start_worker, worker_env, tmp_path)
    with payments_elsewhere():
        yield topology
    topology.stop()


@pytest.fixture
def payments_web(split, worker_env, tmp_path) -> Iterator[WebServer]:
    env = {**worker_env, **split.env("payments"), "EVENTBUS_PEER_TOKEN": TOKEN, "ALLOWED_HOSTS": "127.0.0.1"}
    server = WebServer(log=tmp_path / "payments-web.log", env=env).start()
    yield server
    server.stop()


def test_the_shops_timeline_joins_the_deliveries_payments_made(split, payments_web, settings):
    order = settled(Split(split), place_order(token="tok_ok"), Order.Status.CONFIRMED)
    settings.EVENTBUS_PEERS, settings.EVENTBUS_PEER_TOKEN = f"payments={payments_web.url}", TOKEN

    story = {event.type: event for event in timeline(str(order.id))}

    created = {(step.subscriber, step.service) for step in story["orders.OrderCreated"].deliveries}
    assert {("forward:orders.OrderCreated", ""), ("payments.charge_order", "payments")} <= created
    paid = {(step.subscriber, step.service) for step in story["payments.PaymentSucceeded"].deliveries}
    assert {("forward:payments.PaymentSucceeded", "payments"), ("orders.mark_order_paid", "")} <= paid
    assert story["payments.PaymentSucceeded"].depth == story["orders.OrderCreated"].depth + 1
    assert all(step.state == "done" for event in story.values() for step in event.deliveries)
