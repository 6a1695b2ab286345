"""GET /api/payments/ and /api/shipments/: read-only, filtered by order, each customer their own."""

from __future__ import annotations

import pytest

from eventbus.testing import run_pending

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders(alice, bob) -> tuple[str, str]:
    mine, theirs = alice.place().json()["id"], bob.place().json()["id"]
    run_pending()
    return mine, theirs


@pytest.mark.parametrize("resource", ["payments", "shipments"])
def test_a_customer_sees_their_own_by_order(alice, orders, resource):
    mine, theirs = orders
    listed = alice.get(f"/api/{resource}/", order=mine).json()
    assert [item["order"] for item in listed["results"]] == [mine]
    assert alice.get(f"/api/{resource}/").json()["count"] == 1
    assert alice.get(f"/api/{resource}/", order=theirs).json()["count"] == 0


@pytest.mark.parametrize("resource", ["payments", "shipments"])
def test_another_customers_record_is_404(alice, bob, orders, resource):
    _, theirs = orders
    their_id = bob.get(f"/api/{resource}/", order=theirs).json()["results"][0]["id"]
    assert alice.get(f"/api/{resource}/{their_id}/").status_code == 404
    assert bob.get(f"/api/{resource}/{their_id}/").status_code == 200


@pytest.mark.parametrize("resource", ["payments", "shipments"])
def test_staff_see_all(staff, orders, resource):
    assert staff.get(f"/api/{resource}/").json()["count"] == 2


@pytest.mark.parametrize("resource", ["payments", "shipments"])
def test_a_malformed_order_filter_is_400(alice, resource):
    response = alice.get(f"/api/{resource}/", order="nope")
    assert response.status_code == 400
    assert "order" in response.json()["errors"]


@pytest.mark.parametrize("resource", ["payments", "shipments"])
def test_they_are_read_only(alice, orders, resource):
    assert alice.client.post(f"/api/{resource}/", {}, format="json").status_code == 405


def test_a_payment_shows_money_as_decimal_strings_and_its_refunds(alice, orders):
    mine, _ = orders
    alice.client.post(f"/api/orders/{mine}/cancel/")
    run_pending()
    [payment] = alice.get("/api/payments/", order=mine).json()["results"]
    assert (payment["status"], payment["amount"], payment["currency"]) == ("refunded", "19.80", "EUR")
    assert [(refund["amount"], refund["reason"]) for refund in payment["refunds"]] == [("19.80", "order_cancelled")]


def test_a_shipment_shows_its_carrier_reference(alice, orders):
    mine, _ = orders
    [shipment] = alice.get("/api/shipments/", order=mine).json()["results"]
    assert shipment["status"] == "booked"
    assert shipment["carrier_reference"]
