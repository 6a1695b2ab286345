"""GET /metrics: orders_stuck_sagas, stuck sagas by reason, read from the database at each scrape."""

from __future__ import annotations

import pytest
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from eventbus import PermanentError, operations
from eventbus.models import Delivery
from eventbus.testing import run_pending
from orders import stuck
from orders.models import Order
from shipping.carrier import FakeCarrier
from tests.saga.factories import place_order

pytestmark = pytest.mark.django_db


def families(client) -> dict[str, list]:
    response = client.get("/metrics", **settings.PROBE_AUTH)
    assert response.status_code == 200
    return {family.name: family.samples for family in text_string_to_metric_families(response.content.decode())}


def stuck_gauge(client) -> dict[str, float]:
    return {sample.labels["reason"]: sample.value for sample in families(client)["orders_stuck_sagas"]}


def truncated(client) -> float:
    [sample] = families(client)["orders_stuck_sagas_truncated"]
    return sample.value


def test_every_reason_is_exported_at_zero_when_nothing_is_stuck(client):
    assert stuck_gauge(client) == {reason.value: 0 for reason in stuck.Reason}
    assert truncated(client) == 0


def test_a_read_cut_short_is_said_and_its_counts_are_a_floor(client, monkeypatch):
    def refuse(self, **kwargs):
        raise PermanentError("carrier refuses the parcel")

    monkeypatch.setattr(FakeCarrier, "book", refuse)
    for who in ("a", "b"):
        place_order(who=who)
    run_pending()
    assert (stuck_gauge(client)["dead_letter"], truncated(client)) == (2, 0)

    monkeypatch.setattr(stuck, "READ_AT_MOST", 1)
    assert (stuck_gauge(client)["dead_letter"], truncated(client)) == (1, 1)


def test_stuck_sagas_are_counted_by_their_most_pressing_reason(client, monkeypatch):
    stalled = place_order(who="stalled")
    run_pending()
    Order.objects.filter(id=stalled.id).update(stalled_at=stalled.created_at, stalled_reason="not_booked_by_deadline")

    def refuse(self, **kwargs):
        raise PermanentError("carrier refuses the parcel")

    monkeypatch.setattr(FakeCarrier, "book", refuse)
    place_order(who="dead")
    run_pending()

    counted = stuck_gauge(client)
    assert (counted["dead_letter"], counted["stalled"], sum(counted.values())) == (1, 1, 2)

    operations.discard(Delivery.objects.filter(state="dead"), by=operations.Operator("tests", via="cli"))
    counted = stuck_gauge(client)
    assert (counted["dead_letter"], counted["step_discarded"], sum(counted.values())) == (0, 1, 2)


def test_a_service_that_does_not_run_orders_exports_no_stuck_sagas(client, settings):
    settings.EVENTBUS_SERVICE, settings.EVENTBUS_SERVICES = "payments", "shop=*;payments=payments"
    response = client.get("/metrics", **settings.PROBE_AUTH)
    assert response.status_code == 200
    assert b"eventbus_dead_letters" in response.content
    assert b"orders_stuck_sagas" not in response.content
