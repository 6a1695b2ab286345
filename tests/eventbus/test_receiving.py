"""Arriving at a service: a message from another service stored once, with its local deliveries;
a message that is not an event this code reads kept with its reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from django.utils import timezone

from eventbus.engine.receiving import receive, receive_batch
from eventbus.models import Delivery, InboxRejection, OutboxEvent, Subscription
from eventbus.testing import run_pending
from tests.busapp.models import Effect

pytestmark = pytest.mark.django_db
QUEUE = "eventbus.payments"


def message(event_type: str = "busapp.Fanout", data: dict | None = None, **fields: object) -> bytes:
    envelope = {
        "id": str(uuid4()),
        "source": "/shop",
        "type": event_type,
        "dataversion": 1,
        "subject": "key-1",
        "time": datetime(2026, 12, 2, tzinfo=UTC).isoformat(),
        "correlationid": "key-1",
        "data": {"n": 7} if data is None else data,
        **fields,
    }
    return json.dumps(envelope).encode()


@pytest.fixture
def forward_subscription() -> Subscription:
    """A forwarding subscription of the same type: a received event never goes out again."""
    return Subscription.objects.create(
        id="forward:busapp.Fanout",
        event_type="busapp.Fanout",
        queue="forward",
        max_attempts=10,
        timeout_seconds=5,
        forward_to="elsewhere",
        registered_at=timezone.now(),
    )


def test_a_received_event_is_stored_once_with_its_local_deliveries(forward_subscription):
    run_pending()  # the subscribers written to the topology
    body = message()

    assert receive(body, {"eventbus-origin": "shop"}, queue=QUEUE) == "stored"
    assert receive(body, {"eventbus-origin": "shop"}, queue=QUEUE) == "duplicate"  # the broker sent it twice

    stored = OutboxEvent.objects.get()
    assert (stored.received_from, stored.dispatched_at is not None) == ("shop", True)
    assert sorted(Delivery.objects.values_list("subscriber", flat=True)) == [
        "busapp.fail_until_fixed",
        "busapp.record_fanout",
    ]
    run_pending()
    assert Effect.objects.filter(subscriber="busapp.record_fanout", n=7).count() == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json at all", "not a CloudEvents envelope: body: Invalid JSON"),
        (json.dumps({"type": "busapp.Fanout"}).encode(), "not a CloudEvents envelope: id: Field required"),
        (b"\x00 a NUL, which PostgreSQL refuses in text", "not a CloudEvents envelope: body: Invalid JSON"),
    ],
)
def test_a_message_that_is_no_event_of_this_code_is_kept_with_its_reason(body, reason):
    assert receive(body, {"type": "x"}, queue=QUEUE) == "rejected"

    rejection = InboxRejection.objects.get()
    assert reason in rejection.reason
    assert (rejection.queue, rejection.headers) == (QUEUE, {"type": "x"})
    assert rejection.body == body.decode().replace("\x00", "\\x00")
    assert not OutboxEvent.objects.exists()


def test_an_event_of_a_type_this_code_never_heard_of_goes_back_to_the_broker_whole():
    """A sender upgraded before its receiver: the broker dead-letters it, for an operator to move back later."""
    assert receive(message("nobody.HeardOfThis"), {}, queue=QUEUE) == "unknown"
    assert not InboxRejection.objects.exists()
    assert not OutboxEvent.objects.exists()


@pytest.mark.postgres
def test_an_event_the_database_refuses_is_kept_as_a_rejection_and_the_rest_of_its_batch_stored():
    run_pending()
    too_long = message(subject="k" * 300)  # the column holds 200: PostgreSQL refuses it

    received = receive_batch([(message(), {}), (too_long, {"id": "long"})], queue=QUEUE)

    assert len(received.stored) == 1
    assert InboxRejection.objects.get().reason == "the database refused it: DataError"


def test_a_rejection_names_the_faulty_fields_without_their_values():
    body = message(subject={"card": "4242 4242 4242 4242"})

    receive(body, {}, queue=QUEUE)

    reason = InboxRejection.objects.get().reason
    assert "subject" in reason
    assert "4242" not in reason


def test_an_event_of_the_wrong_schema_is_stored_and_its_deliveries_dead_letter_as_in_the_monolith():
    run_pending()
    receive(message(data={"n": "seven"}), {}, queue=QUEUE)

    run_pending()

    assert set(Delivery.objects.values_list("state", flat=True)) == {Delivery.State.DEAD}
    assert "does not parse" in Delivery.objects.first().last_error


def test_a_batch_stores_each_event_once_and_keeps_what_it_rejects():
    run_pending()
    twice, other = message(), message(data={"n": 8})

    received = receive_batch([(twice, {}), (b"{}", {}), (twice, {}), (other, {})], queue=QUEUE)

    assert (len(received.stored), len(received.duplicates)) == (2, 1)
    assert OutboxEvent.objects.count() == 2
    assert InboxRejection.objects.count() == 1
    assert Delivery.objects.filter(subscriber="busapp.record_fanout").count() == 2
