"""OrderCreated v2 (per-line tax) and v3 (sealed card token): v1 and v2 events already stored still
run their saga, upcast on the way in."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import jsonschema
import pytest

from eventbus.models import OutboxEvent
from eventbus.operations.schemas import schema_path
from eventbus.store.outbox import envelope_of
from eventbus.testing import decoded, run_pending
from orders import events
from orders.models import Order
from payments.models import Payment
from tests.api.conftest import ApiUser, order_body
from tests.price_list import on_sale
from tests.saga.factories import place_order

pytestmark = pytest.mark.django_db
SCHEMAS = schema_path(events.OrderCreated).parent


def committed_schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text())


def as_v2(data: dict) -> dict:
    """The payload the v2 publisher wrote: the card token in clear."""
    return {**data, "payment_token": "tok_ok"}


def as_v1(data: dict) -> dict:
    """The payload the v1 publisher wrote: no tax anywhere, the token in clear."""
    lines = [{key: value for key, value in line.items() if key not in {"tax_rate", "tax"}} for line in data["lines"]]
    return {**{key: value for key, value in as_v2(data).items() if key != "tax_total"}, "lines": lines}


def placed_as(version: int, as_stored: Callable[[dict], dict]) -> Order:
    """An order whose OrderCreated is left in the outbox as the ``version`` publisher wrote it, then run."""
    order = place_order()
    row = OutboxEvent.objects.get(type="orders.OrderCreated", key=str(order.id))
    older = as_stored(row.data)
    jsonschema.validate(older, committed_schema(f"OrderCreated.v{version}.json"))
    OutboxEvent.objects.filter(pk=row.pk).update(version=version, data=older)
    run_pending()
    order.refresh_from_db()
    return order


def test_a_v2_order_created_with_its_token_in_clear_still_charges():
    order = placed_as(2, as_v2)
    assert order.status == Order.Status.CONFIRMED


def test_a_v1_order_created_left_in_the_outbox_still_runs_its_saga():
    order = placed_as(1, as_v1)
    assert order.status == Order.Status.CONFIRMED
    assert Payment.objects.get(order_id=order.id).amount == order.total == Decimal("19.80")


def test_a_v1_payload_reaches_handlers_as_v2_without_tax():
    order = place_order()
    row = OutboxEvent.objects.get(type="orders.OrderCreated", key=str(order.id))
    row.version, row.data = 1, as_v1(row.data)
    event = decoded(envelope_of(row), events.OrderCreated)
    assert isinstance(event, events.OrderCreated)
    assert (event.total, event.tax_total) == (Decimal("19.80"), Decimal(0))
    assert [(line.tax_rate, line.tax) for line in event.lines] == [(Decimal(0), Decimal(0))]
    assert event.payment_token.get_secret_value() == "tok_ok"


def test_v2_carries_each_lines_tax_and_charges_net_plus_tax():
    alice = ApiUser("alice")
    on_sale("BOOK", "9.90", tax_rate="0.07")
    on_sale("PEN", "1.99", tax_rate="0.19")
    lines = [{"sku": "BOOK", "quantity": 2}, {"sku": "PEN", "quantity": 3}]
    answer = alice.place(order_body(lines=lines)).json()
    assert (answer["total"], answer["tax_total"]) == ("28.29", "2.52")
    row = OutboxEvent.objects.get(type="orders.OrderCreated")
    assert row.version == 3
    jsonschema.validate(row.data, committed_schema("OrderCreated.v3.json"))
    assert [line["tax"] for line in row.data["lines"]] == ["1.39", "1.13"]
    run_pending()
    assert Payment.objects.get().amount == Decimal("28.29")


def test_every_payload_a_saga_publishes_matches_its_committed_schema():
    for token, country in [("tok_ok", "DE"), ("tok_declined", "DE"), ("tok_ok", "AQ")]:
        place_order(token=token, country=country)
    run_pending()
    seen = set()
    for row in OutboxEvent.objects.all():
        context, name = row.type.split(".")
        schema = json.loads((SCHEMAS.parent.parent / context / "schemas" / f"{name}.v{row.version}.json").read_text())
        jsonschema.validate(row.data, schema)
        seen.add(row.type)
    assert len(seen) >= 9
