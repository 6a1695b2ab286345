"""One trace follows an order: the HTTP request and every handler of its saga, across real processes.

gunicorn and the Celery workers export their spans to one file (the console exporter, one JSON
span per line); the test reads them back, and the workers' JSON log lines too.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from knox.models import AuthToken

from eventbus.models import OutboxEvent
from eventbus.testing import wait_until
from orders.models import Order
from tests.api.conftest import ORDER_BODY
from tests.price_list import on_sale
from tests.processes import WebServer

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]
HAPPY_PATH_HANDLERS = {
    "payments.charge_order",
    "shipping.prepare_shipment",
    "orders.mark_order_paid",
    "shipping.book_shipment",
    "orders.confirm_order",
}


def read_spans(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def json_log_lines(folder: Path) -> list[dict]:
    """The JSON log lines the worker processes wrote (their log files also hold Celery's banner)."""
    lines = [line for log in folder.glob("worker-*.log") for line in log.read_text().splitlines()]
    return [json.loads(line) for line in lines if line.startswith("{")]


def hex_id(value: str) -> str:
    return value.removeprefix("0x")


def traceparent_ids(traceparent: str) -> tuple[str, str]:
    _, trace_id, span_id, _ = traceparent.split("-")
    return trace_id, span_id


@pytest.fixture
def traced_env(worker_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {
        **worker_env,
        "OTEL_TRACES_EXPORTER": "console",
        "TELEMETRY_CONSOLE_FILE": str(tmp_path / "spans.jsonl"),
        "OTEL_SERVICE_NAME": "shop-test",
        "ALLOWED_HOSTS": "127.0.0.1",
    }


@pytest.fixture
def web(traced_env: dict[str, str], tmp_path: Path) -> Iterator[WebServer]:
    server = WebServer(log=tmp_path / "web.log", env=traced_env).start()
    yield server
    server.stop()


def place_order(web: WebServer) -> str:
    token = AuthToken.objects.create(user=get_user_model().objects.create_user("traced"))[1]
    request = urllib.request.Request(
        f"{web.url}/api/orders/",
        data=json.dumps({**ORDER_BODY, "payment_token": "tok_flaky"}).encode(),
        headers={"Authorization": f"Token {token}", "Idempotency-Key": "traced-1", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
        return json.load(response)["id"]


def test_the_http_span_and_every_handler_span_share_one_trace_along_causation(start_worker, traced_env, web, tmp_path):
    on_sale("SKU-1", "9.90")
    """The card is flaky (two transient failures): each retry is a span of its own in the same trace."""
    start_worker(
        **{key: traced_env[key] for key in ("OTEL_TRACES_EXPORTER", "TELEMETRY_CONSOLE_FILE", "OTEL_SERVICE_NAME")}
    )
    order_id = place_order(web)
    spans_file = Path(traced_env["TELEMETRY_CONSOLE_FILE"])

    def saga_handler_spans() -> list[dict] | None:
        found = [
            span
            for span in read_spans(spans_file)
            if span["attributes"].get("messaging.message.conversation_id") == order_id
        ]
        return found if {span["name"] for span in found} >= HAPPY_PATH_HANDLERS else None

    handlers = wait_until(saga_handler_spans, timeout=60, what="a span from every handler of the saga")
    assert Order.objects.get(id=order_id).status == Order.Status.CONFIRMED
    spans = read_spans(spans_file)
    [server] = [s for s in spans if s["kind"] == "SpanKind.SERVER" and "/api/orders/" in str(s["attributes"])]
    trace_id = hex_id(server["context"]["trace_id"])

    assert {hex_id(span["context"]["trace_id"]) for span in handlers} == {trace_id}
    assert {span["resource"]["attributes"]["service.name"] for span in spans} == {"shop-test"}
    charges = sorted((s for s in handlers if s["name"] == "payments.charge_order"), key=lambda s: s["start_time"])
    assert [s["attributes"]["eventbus.attempt"] for s in charges] == [1, 2, 3]
    assert [s["status"]["status_code"] for s in charges] == ["ERROR", "ERROR", "UNSET"]
    assert len({s["parent_id"] for s in charges}) == 1, "every attempt continues the request's span"
    for span in handlers:
        assert span["kind"] == "SpanKind.CONSUMER"
        assert span["attributes"]["messaging.system"] == "eventbus"
        assert span["attributes"]["messaging.operation.type"] == "process"
        assert span["attributes"]["messaging.destination.name"].count(".") == 1

    span_of_handler_run = {span["attributes"]["messaging.message.id"]: span for span in handlers}
    events = OutboxEvent.objects.filter(correlation_id=order_id, dispatched_at__isnull=False)
    for event in events:
        event_trace, publishing_span = traceparent_ids(event.traceparent)
        assert event_trace == trace_id, event.type
        if event.causation_id is None:
            assert publishing_span == hex_id(server["context"]["span_id"]), f"{event.type} was published by the request"
        else:
            cause_handlers = [s for s in handlers if s["attributes"]["messaging.message.id"] == str(event.causation_id)]
            assert publishing_span in {hex_id(s["context"]["span_id"]) for s in cause_handlers}, event.type
        for span in handlers:
            if span["attributes"]["messaging.message.id"] == str(event.event_id):
                assert hex_id(span["parent_id"]) == publishing_span, f"{span['name']} continues its publisher's span"
    assert str(events.get(type="orders.OrderCreated").event_id) in span_of_handler_run

    created = events.get(type="orders.OrderCreated")
    [charged] = [line for line in json_log_lines(tmp_path) if "captured: 19.80 EUR" in line["message"]]
    retried = [line for line in json_log_lines(tmp_path) if "failed (attempt" in line["message"]]
    assert len(retried) == 2
    assert all(line["subscriber"] == "payments.charge_order" and line["trace_id"] == trace_id for line in retried)
    assert (charged["trace_id"], charged["subscriber"]) == (trace_id, "payments.charge_order")
    assert (charged["correlation_id"], charged["event_id"]) == (order_id, str(created.event_id))
    assert charged["span_id"] in {
        hex_id(s["context"]["span_id"]) for s in handlers if s["name"] == "payments.charge_order"
    }

    relays = [s for s in spans if s["name"] == "eventbus relay"]
    linked = {hex_id(link["context"]["trace_id"]) for relay in relays for link in relay["links"]}
    assert trace_id in linked
