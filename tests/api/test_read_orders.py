"""Reading and cancelling orders: visibility, pagination, filters, the detail's saga story."""

from __future__ import annotations

import uuid

import pytest

from eventbus.testing import run_pending
from orders.models import Order
from tests.api.conftest import order_body

pytestmark = pytest.mark.django_db


def test_a_customer_lists_only_their_orders_newest_first_with_pagination(alice, bob):
    mine = [alice.place().json()["id"] for _ in range(3)]
    bob.place()
    page = alice.get("/api/orders/", limit=2).json()
    assert page["count"] == 3
    assert [order["id"] for order in page["results"]] == mine[::-1][:2]
    assert page["next"] is not None
    rest = alice.get("/api/orders/", limit=2, offset=2).json()
    assert [order["id"] for order in rest["results"]] == [mine[0]]


def test_staff_see_every_order(alice, bob, staff):
    alice.place()
    bob.place()
    assert staff.get("/api/orders/").json()["count"] == 2


def test_orders_filter_by_status(alice):
    paid = alice.place().json()["id"]
    alice.place()
    Order.objects.filter(id=paid).update(status="confirmed")
    listed = alice.get("/api/orders/", status="confirmed").json()["results"]
    assert [order["id"] for order in listed] == [paid]


def test_an_unknown_status_filter_is_400(alice):
    response = alice.get("/api/orders/", status="lost")
    assert response.status_code == 400
    assert "status" in response.json()


def test_another_customers_order_is_404_as_if_it_did_not_exist(alice, bob):
    theirs = bob.place().json()["id"]
    assert alice.get(f"/api/orders/{theirs}/").status_code == 404
    assert alice.get(f"/api/orders/{uuid.uuid4()}/").status_code == 404
    assert alice.get("/api/orders/not-a-uuid/").status_code == 404
    assert alice.client.post(f"/api/orders/{theirs}/cancel/").status_code == 404


def test_reads_need_a_login(db):
    from rest_framework.test import APIClient

    assert APIClient().get("/api/orders/").status_code == 401


def test_the_detail_tells_the_whole_saga(alice, staff):
    order_id = alice.place().json()["id"]
    run_pending()
    detail = alice.get(f"/api/orders/{order_id}/").json()
    assert (detail["status"], detail["reason"]) == ("confirmed", "")
    assert detail["payment"]["status"] == "captured"
    assert (detail["payment"]["amount_paid"], detail["payment"]["currency"]) == ("19.80", "EUR")
    assert detail["shipment"]["status"] == "booked"
    assert detail["shipment"]["carrier_reference"]
    assert detail["lines"] == [
        {"sku": "SKU-1", "quantity": 2, "unit_price": "9.90", "tax_rate": "0.0000", "tax": "0.00"}
    ]

    timeline = detail["timeline"]
    happy_path = [
        "orders.OrderCreated",
        "payments.PaymentSucceeded",
        "shipping.ShipmentCreated",
        "orders.OrderConfirmed",
    ]
    # Deadlines the saga set itself (and that found it moved on) sit beside it in the timeline.
    assert [event["type"] for event in timeline if event["type"] in happy_path] == happy_path
    assert [event["type"] for event in timeline][:2] == happy_path[:2]
    created, succeeded = timeline[0], timeline[1]
    assert succeeded["causation_id"] == created["id"]
    assert (created["depth"], succeeded["depth"]) == (0, 1)
    assert (created["step"], created["status"]) == ("Order created", "done")
    assert "deliveries" not in created  # handler names, attempts and errors are for staff
    staff_timeline = staff.get(f"/api/orders/{order_id}/").json()["timeline"]
    charge = next(d for d in staff_timeline[0]["deliveries"] if d["subscriber"] == "payments.charge_order")
    assert (charge["state"], charge["attempts"], charge["last_error"]) == ("done", 1, "")
    assert charge["duration_ms"] > 0
    deadline = next(event for event in timeline if event["type"] == "orders.PaymentDeadlineReached")
    assert deadline["deliver_at"] > deadline["time"]


def test_a_compensated_order_shows_its_refund(alice):
    order_id = alice.place(order_body(shipping_address={**order_body()["shipping_address"], "country": "AQ"})).json()[
        "id"
    ]
    run_pending()
    detail = alice.get(f"/api/orders/{order_id}/").json()
    assert (detail["status"], detail["reason"]) == ("cancelled", "shipping_failed")
    assert (detail["payment"]["status"], detail["payment"]["amount_refunded"]) == ("refunded", "19.80")
    assert detail["shipment"]["status"] == "failed"
    types = [event["type"] for event in detail["timeline"]]
    assert {"shipping.ShipmentFailed", "payments.PaymentRefunded", "orders.OrderCancelled"} <= set(types)


def test_cancelling_is_accepted_then_carried_out_by_the_saga(alice):
    order_id = alice.place().json()["id"]
    response = alice.client.post(f"/api/orders/{order_id}/cancel/")
    assert response.status_code == 202
    assert (response.json()["id"], response.json()["status"]) == (order_id, "pending")
    run_pending()
    detail = alice.get(f"/api/orders/{order_id}/").json()
    assert (detail["status"], detail["reason"]) == ("cancelled", "customer_cancelled")
    assert detail["cancellation"]["requested_reason"] == "customer_cancelled"
    assert detail["payment"]["amount_paid"] == detail["payment"]["amount_refunded"]


def test_cancelling_a_dispatched_order_is_409_with_its_reason(alice):
    order_id = alice.place().json()["id"]
    Order.objects.filter(id=order_id).update(status="shipped")
    response = alice.client.post(f"/api/orders/{order_id}/cancel/")
    assert response.status_code == 409
    assert response.json()["reason"] == "already_dispatched"


def test_cancelling_twice_is_409_once_cancelled(alice):
    order_id = alice.place().json()["id"]
    assert alice.client.post(f"/api/orders/{order_id}/cancel/").status_code == 202
    run_pending()
    response = alice.client.post(f"/api/orders/{order_id}/cancel/")
    assert (response.status_code, response.json()["reason"]) == (409, "already_cancelled")


def test_a_page_is_capped_whatever_limit_is_asked(alice, monkeypatch):
    from config.pagination import LimitOffset

    monkeypatch.setattr(LimitOffset, "max_limit", 2)
    for _ in range(3):
        alice.place()
    page = alice.get("/api/orders/", limit=1_000_000).json()
    assert (page["count"], len(page["results"])) == (3, 2)
