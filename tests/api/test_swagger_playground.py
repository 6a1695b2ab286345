"""Swagger UI as a playground: its examples lead down the saga paths they name, as pasted.

Each example body of ``POST /api/orders/`` is read from the live schema and placed as Swagger UI
would send it; the saga then runs in this process (``run_pending``, the clock stepped past the
charge's retries) and the order ends where the example's summary says.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.utils import timezone

from demo.management.commands.seed_demo import PRODUCTS
from eventbus.testing import run_pending
from orders.models import Order
from tests.api.conftest import ApiUser
from tests.price_list import on_sale

pytestmark = pytest.mark.django_db

# Where each example's order ends: (status, reason), and what its summary must name.
PATHS = {
    "Happy": ("confirmed", "", ["tok_ok", "confirmed"]),
    "Declined": ("cancelled", "payment_declined", ["tok_declined", "payment_declined"]),
    "Flaky": ("confirmed", "", ["tok_flaky", "retried", "confirmed"]),
    "UnservedCountry": ("cancelled", "shipping_failed", ["AQ", "refunded", "shipping_failed"]),
    "CustomerCancels": ("cancelled", "customer_cancelled", ["tok_ok", "/cancel/", "customer_cancelled"]),
}


@pytest.fixture
def schema(client) -> dict[str, Any]:
    return yaml.safe_load(client.get("/api/schema/").content)


@pytest.fixture
def place(schema: dict[str, Any]) -> dict[str, Any]:
    return schema["paths"]["/api/orders/"]["post"]


@pytest.fixture
def examples(place: dict[str, Any]) -> dict[str, Any]:
    return place["requestBody"]["content"]["application/json"]["examples"]


@pytest.fixture
def key_example(place: dict[str, Any]) -> str:
    [header] = [p for p in place["parameters"] if p["name"] == "Idempotency-Key"]
    [example] = header["examples"].values()
    return example["value"]


@pytest.fixture
def demo_catalogue(db: None) -> None:
    for sku, _, price, tax_rate in PRODUCTS:
        on_sale(sku, str(price), tax_rate=str(tax_rate))


@pytest.fixture
def customer(demo_catalogue: None) -> ApiUser:
    return ApiUser("newcomer")


def run_past_retries(seconds: int = 120) -> None:
    """Handle everything, stepping the clock past every retry's backoff (not past any deadline)."""
    start = timezone.now()
    for step in range(0, seconds, 5):
        run_pending(now=start + timedelta(seconds=step))


def test_there_is_one_example_per_saga_path_a_request_chooses(examples):
    assert set(examples) == set(PATHS)
    bodies = [repr(example["value"]) for example in examples.values()]
    assert len(set(bodies)) == len(bodies), "two examples alike would replay each other's order under one key"


@pytest.mark.parametrize("name", PATHS)
def test_each_summary_names_what_drives_its_path(examples, name):
    example = examples[name]
    for word in PATHS[name][2]:
        assert word in example["summary"], f"{name}: {word!r} not in {example['summary']!r}"
    body = example["value"]
    assert body["payment_token"] in example["summary"] or body["shipping_address"]["country"] in example["summary"]
    unserved = body["shipping_address"]["country"] in settings.SHIPPING_UNSERVED_COUNTRIES
    assert unserved == (name == "UnservedCountry")


def test_the_examples_order_the_demo_catalogue(examples):
    demo_skus = {sku for sku, *_ in PRODUCTS}
    for name, example in examples.items():
        assert {line["sku"] for line in example["value"]["lines"]} <= demo_skus, name


@pytest.mark.parametrize("name", PATHS)
def test_each_example_placed_as_is_goes_down_the_path_it_names(examples, key_example, customer, name):
    placed = customer.place(examples[name]["value"], key=key_example)
    assert placed.status_code == 201, placed.json()
    order_id = placed.json()["id"]
    if name == "CustomerCancels":
        assert customer.client.post(f"/api/orders/{order_id}/cancel/").status_code == 202
    run_past_retries()
    order = Order.objects.get(id=order_id)
    assert (order.status, order.cancel_reason) == PATHS[name][:2]


def test_the_idempotency_key_example_is_accepted_as_is_and_is_a_quoted_string(key_example, customer, examples):
    assert key_example.startswith('"')
    assert key_example.endswith('"')
    body = examples["Happy"]["value"]
    first = customer.place(body, key=key_example)
    assert first.status_code == 201, first.json()
    unquoted = customer.place(body, key=key_example.strip('"'))
    assert (unquoted.status_code, unquoted["Idempotent-Replayed"]) == (201, "true")
    assert unquoted.json()["id"] == first.json()["id"]
    another = customer.place(examples["Declined"]["value"], key=key_example)
    assert another.status_code == 422
    assert Order.objects.count() == 1


def test_the_201_gives_the_order_s_url_in_location_and_links_to_it(place, schema, examples, customer):
    response = customer.place(examples["Happy"]["value"])
    assert response.status_code == 201
    order_id = response.json()["id"]
    assert response["Location"] == f"http://testserver/api/orders/{order_id}/"
    assert customer.client.get(response["Location"]).json()["id"] == order_id

    created = place["responses"]["201"]
    assert "Location" in created["headers"]
    [shown] = created["content"]["application/json"]["examples"].values()
    fields = ("status", "reason", "currency", "total", "tax_total")
    assert {name: shown["value"][name] for name in fields} == {name: response.json()[name] for name in fields}
    [link] = created["links"].values()
    assert link["parameters"] == {"id": "$response.body#/id"}
    detail = schema["paths"]["/api/orders/{id}/"]["get"]
    assert link["operationId"] == detail["operationId"]


def test_token_auth_comes_first_and_says_to_paste_the_token_prefix(schema, customer):
    schemes = schema["components"]["securitySchemes"]
    first_name, first = next(iter(schemes.items()))
    assert first_name == "knoxApiToken"
    assert (first["type"], first["in"], first["name"]) == ("apiKey", "header", "Authorization")
    assert "`Token <key>`" in first["description"]
    assert list(schemes) == ["knoxApiToken", "cookieAuth"]

    customer.client.credentials(HTTP_AUTHORIZATION=customer.token)
    assert customer.get("/api/orders/").status_code == 401, "a bare key, without Token, is refused"
    customer.client.credentials(HTTP_AUTHORIZATION=f"Token {customer.token}")
    assert customer.get("/api/orders/").status_code == 200
