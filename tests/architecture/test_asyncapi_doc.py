"""docs/asyncapi.json is what `manage.py eventbus asyncapi` prints today, and it describes the wire."""

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from eventbus.kernel.envelope import Envelope
from eventbus.models import OutboxEvent
from eventbus.store.outbox import envelope_of
from eventbus.transport.forwarding import body_of, headers_of
from tests.processes import ROOT
from tests.saga.factories import place_order


def asyncapi() -> str:
    """The command run as deployed (config.settings: the project's apps, not the test app)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1"}
    command = [sys.executable, "manage.py", "eventbus", "asyncapi"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return json.loads(asyncapi())


def test_the_committed_asyncapi_document_is_current():
    committed = (ROOT / "docs" / "asyncapi.json").read_text()
    assert committed == asyncapi(), (
        "docs/asyncapi.json is stale: run  python manage.py eventbus asyncapi > docs/asyncapi.json"
    )


def test_a_channel_carries_every_committed_version_and_the_publisher_sends_the_newest(document):
    committed = sorted(path.name for path in (ROOT / "orders" / "schemas").glob("OrderCreated.v*.json"))
    channel = document["channels"]["orders.OrderCreated"]
    send = document["operations"]["orders.OrderCreated.send"]

    assert committed == ["OrderCreated.v1.json", "OrderCreated.v2.json", "OrderCreated.v3.json"]
    assert sorted(channel["messages"]) == ["v1", "v2", "v3"]
    assert channel["address"] == "{service}.orders.OrderCreated"
    assert send["messages"] == [{"$ref": "#/channels/orders.OrderCreated/messages/v3"}]
    assert send["tags"] == [{"name": "orders"}]


def test_each_subscriber_receives_every_version_and_names_what_it_may_publish(document):
    charge = document["operations"]["payments.charge_order.receive"]

    assert charge["channel"] == {"$ref": "#/channels/orders.OrderCreated"}
    assert [m["$ref"].rsplit("/", 1)[1] for m in charge["messages"]] == ["v3", "v2", "v1"]
    assert "payments.PaymentSucceeded" in charge["description"]
    assert not [name for name in document["operations"] if name.startswith("busapp")]


def test_every_reference_resolves_within_the_document(document):
    def refs(value: Any) -> list[str]:
        if isinstance(value, dict):
            return [value["$ref"]] if "$ref" in value else [ref for item in value.values() for ref in refs(item)]
        return [ref for item in value for ref in refs(item)] if isinstance(value, list) else []

    def resolve(ref: str) -> Any:
        found: Any = document
        for part in ref.removeprefix("#/").split("/"):
            found = found[part]
        return found

    found = refs(document)
    assert len(found) > 100
    for ref in found:
        assert ref.startswith("#/"), ref
        resolve(ref)


@pytest.mark.django_db
def test_what_the_forwarder_sends_for_a_placed_order_matches_its_message(document):
    order = place_order()
    row = OutboxEvent.objects.get(type="orders.OrderCreated", key=str(order.id))
    envelope: Envelope = envelope_of(row)
    body, headers = json.loads(body_of(envelope)), headers_of(envelope, origin="shop")
    message = document["components"]["messages"]["orders.OrderCreated.v3"]

    def check(instance: Any, pointer: str) -> list[str]:
        validator = Draft202012Validator({**document, "$ref": pointer})
        return [error.message for error in validator.iter_errors(instance)]

    assert check(body, "#/components/messages/orders.OrderCreated.v3/payload") == []
    assert check(headers, "#/components/messages/orders.OrderCreated.v3/headers") == []
    assert message["contentType"] == "application/cloudevents+json"
    without_address = {key: value for key, value in body["data"].items() if key != "shipping_address"}
    bad_address = {**body["data"], "shipping_address": {**body["data"]["shipping_address"], "country": "Germany"}}
    assert check({**body, "data": without_address}, "#/components/messages/orders.OrderCreated.v3/payload")
    assert check({**body, "data": bad_address}, "#/components/messages/orders.OrderCreated.v3/payload")
    assert check({**body, "dataversion": 2}, "#/components/messages/orders.OrderCreated.v3/payload")
