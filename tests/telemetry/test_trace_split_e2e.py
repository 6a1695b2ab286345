"""One trace follows an order across two services: the shop's HTTP request, its handlers, and the
payments service's handler on the other side of RabbitMQ, each service exporting its own spans."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from eventbus.models import OutboxEvent
from eventbus.testing import wait_until
from orders.models import Order
from tests.price_list import on_sale
from tests.processes import WebServer
from tests.split import SplitTopology, payments_elsewhere
from tests.telemetry.test_trace_e2e import hex_id, place_order, read_spans, traceparent_ids

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True, databases=["default", "payments"])]


def telemetry(tmp_path: Path, service: str) -> dict[str, str]:
    return {
        "OTEL_TRACES_EXPORTER": "console",
        "TELEMETRY_CONSOLE_FILE": str(tmp_path / f"spans-{service}.jsonl"),
        "OTEL_SERVICE_NAME": f"{service}-test",
    }


@pytest.fixture
def split(start_worker, worker_env, tmp_path, private_rabbit) -> Iterator[SplitTopology]:
    extra = {service: telemetry(tmp_path, service) for service in ("shop", "payments")}
    topology = SplitTopology.start(private_rabbit, start_worker, worker_env, tmp_path, extra_env=extra)
    with payments_elsewhere():
        yield topology
    topology.stop()


@pytest.fixture
def web(split, worker_env, tmp_path) -> Iterator[WebServer]:
    env = {**worker_env, **split.env("shop"), "ALLOWED_HOSTS": "127.0.0.1"}
    server = WebServer(log=tmp_path / "web.log", env=env).start()
    yield server
    server.stop()


def test_the_request_and_the_handlers_of_both_services_share_one_trace(split, web, tmp_path):
    on_sale("SKU-1", "9.90")
    order_id = place_order(web)
    shop_file, payments_file = tmp_path / "spans-shop.jsonl", tmp_path / "spans-payments.jsonl"

    def charged() -> list[dict]:
        return [
            s
            for s in read_spans(payments_file)
            if s["name"] == "payments.charge_order" and s["status"]["status_code"] == "UNSET"
        ]

    wait_until(lambda: charged() and Order.objects.get(id=order_id).status == Order.Status.CONFIRMED, timeout=90)
    shop_spans, payments_spans = read_spans(shop_file), read_spans(payments_file)
    [server] = [s for s in shop_spans if s["kind"] == "SpanKind.SERVER" and "/api/orders/" in str(s["attributes"])]
    trace_id = hex_id(server["context"]["trace_id"])

    saga = [
        s for s in shop_spans + payments_spans if s["attributes"].get("messaging.message.conversation_id") == order_id
    ]
    names = {s["name"] for s in saga}
    assert {"forward:orders.OrderCreated", "orders.mark_order_paid", "orders.confirm_order"} <= names
    assert {"payments.charge_order", "forward:payments.PaymentSucceeded"} <= names
    assert {hex_id(s["context"]["trace_id"]) for s in saga} == {trace_id}
    assert {s["resource"]["attributes"]["service.name"] for s in payments_spans} == {"payments-test"}

    created = OutboxEvent.objects.get(correlation_id=order_id, type="orders.OrderCreated")
    _, request_span = traceparent_ids(created.traceparent)
    assert request_span == hex_id(server["context"]["span_id"])
    for span in charged():
        assert hex_id(span["parent_id"]) == request_span, "the charge continues the request's span"
