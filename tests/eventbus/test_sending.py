"""A forwarding claim is sent at once: one call for the whole claim, each delivery's outcome its own,
and the deliveries sent marked done together."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from django.db import transaction

from eventbus import publish
from eventbus.engine import routing
from eventbus.engine.handling import process_claim
from eventbus.kernel.envelope import Envelope
from eventbus.models import Delivery
from eventbus.store import finish_sent, subscriptions
from eventbus.testing import claim, relay
from eventbus.transport.confirmations import BrokerUnavailable
from tests.busapp.events import Ping

pytestmark = pytest.mark.django_db
State = Delivery.State
FORWARD = "forward:busapp.Ping"


class Broker:
    """Stands in for the forwarder: refuses the events whose key it is told to, or is down."""

    def __init__(self, refuse: frozenset[str] = frozenset(), *, down: bool = False) -> None:
        self.refuse, self.down = refuse, down
        self.sends: list[list[str]] = []
        self.meanwhile = lambda: None

    def publish_many(self, envelopes: Sequence[Envelope], **_: object) -> list[BrokerUnavailable | None]:
        self.sends.append([envelope.subject for envelope in envelopes])
        self.meanwhile()
        if self.down:
            raise BrokerUnavailable("ConnectionRefusedError: [Errno 111] Connection refused")
        return [BrokerUnavailable("nacked") if envelope.subject in self.refuse else None for envelope in envelopes]


@pytest.fixture
def broker(settings, monkeypatch) -> Broker:
    settings.EVENTBUS_SERVICE, settings.EVENTBUS_SERVICES = "shop", "shop=*;payments=payments,busapp"
    settings.EVENTBUS_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
    subscriptions.sync(routing.local_subscribers(), authoritative=True)
    found = Broker()
    monkeypatch.setattr(routing, "forwarder", lambda url, timeout: found)
    for n in range(3):
        with transaction.atomic():
            publish(Ping(n=n), key=f"ping-{n}")
    relay()
    return found


def forwarding() -> dict[str, Delivery]:
    return {row.event.key: row for row in Delivery.objects.select_related("event").filter(subscriber=FORWARD)}


def test_a_claim_is_sent_in_one_call_and_marked_done_together(broker):
    found = claim()
    assert found is not None
    assert found.subscriber == FORWARD

    processed = process_claim(found)

    assert broker.sends == [["ping-0", "ping-1", "ping-2"]]
    assert processed.handled == 3
    rows = forwarding()
    assert {row.state for row in rows.values()} == {State.DONE}
    assert all(row.finished_at and row.lease_expires_at is None for row in rows.values())
    assert all(row.duration_ms is not None for row in rows.values())


def test_an_event_the_broker_refuses_is_retried_alone(broker):
    broker.refuse = frozenset({"ping-1"})

    processed = process_claim(claim())

    rows = forwarding()
    assert (rows["ping-0"].state, rows["ping-2"].state) == (State.DONE, State.DONE)
    assert (rows["ping-1"].state, rows["ping-1"].attempts) == (State.PENDING, 1)
    assert rows["ping-1"].last_error == "BrokerUnavailable: nacked"
    assert processed.soonest_retry == rows["ping-1"].available_at


def test_a_broker_that_is_down_leaves_every_delivery_to_retry(broker):
    broker.down = True

    process_claim(claim())

    rows = forwarding()
    assert {row.state for row in rows.values()} == {State.PENDING}
    assert all("Connection refused" in row.last_error for row in rows.values())


def test_only_deliveries_the_claim_still_holds_are_marked_done(broker):
    found = claim()
    assert found is not None
    lost = forwarding()["ping-1"]
    Delivery.objects.filter(id=lost.id).update(claim_token=None, state=State.PENDING)  # re-driven meanwhile

    done = finish_sent(list(found.ids), found.token, at=lost.created_at, duration_ms=1.0)

    assert done == set(found.ids) - {lost.id}
    assert forwarding()["ping-1"].state == State.PENDING


def test_a_delivery_re_driven_while_its_event_was_sent_is_left_to_its_new_claim(broker):
    def re_drive_the_second() -> None:
        lost = forwarding()["ping-1"]
        Delivery.objects.filter(id=lost.id).update(claim_token=None, state=State.PENDING)

    broker.meanwhile = re_drive_the_second

    processed = process_claim(claim())

    assert processed.handled == 2  # the re-driven one is stale: not counted, not marked done
    rows = forwarding()
    assert (rows["ping-0"].state, rows["ping-1"].state, rows["ping-2"].state) == (
        State.DONE,
        State.PENDING,
        State.DONE,
    )
