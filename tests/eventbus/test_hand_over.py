"""After a split's switch, what waited for a subscriber that now runs in another service is forwarded
to it, each event once, and the local delivery says so."""

from __future__ import annotations

import pytest
from django.db import transaction

from eventbus import Operator, publish
from eventbus.engine.routing import local_subscribers
from eventbus.models import Delivery, OperatorAction
from eventbus.operations import hand_over
from eventbus.store import subscriptions
from eventbus.testing import relay
from tests.busapp.events import Ping

pytestmark = pytest.mark.django_db
OPERATOR = Operator("ops", "cli", "moving busapp out")


def test_pending_deliveries_of_a_moved_subscriber_are_forwarded_once(settings):
    with transaction.atomic():
        publish(Ping(n=1), key="ping-1")
    relay()  # the monolith: a delivery to busapp.record_ping waits
    waiting = Delivery.objects.get(subscriber="busapp.record_ping")
    with transaction.atomic():
        publish(Ping(n=2), key="ping-2")
    relay()
    handled = Delivery.objects.get(subscriber="busapp.record_ping", event__key="ping-2")
    Delivery.objects.filter(id=handled.id).update(state=Delivery.State.DONE)  # handled before the switch

    settings.EVENTBUS_SERVICE, settings.EVENTBUS_SERVICES = "shop", "shop=*;payments=payments,busapp"
    settings.EVENTBUS_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
    subscriptions.sync(local_subscribers(), authoritative=True)  # the switch: the shop's migrate

    assert hand_over(by=OPERATOR) == 1
    assert hand_over(by=OPERATOR) == 0

    waiting.refresh_from_db()
    assert (waiting.state, waiting.last_error) == (
        Delivery.State.DISCARDED,
        "handed over: its context runs in another service",
    )
    forward = Delivery.objects.get(subscriber="forward:busapp.Ping")  # for the waiting event only
    assert (forward.event_id, forward.state) == (waiting.event_id, Delivery.State.PENDING)
    assert list(OperatorAction.objects.filter(action="hand-over").values_list("count", "reason")) == [
        (0, "moving busapp out"),
        (1, "moving busapp out"),
    ]
