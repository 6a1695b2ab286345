"""POST /api/orders/: validation, the 201 answer, and Idempotency-Key semantics."""

from __future__ import annotations

from decimal import Decimal

import pytest

from eventbus.models import OutboxEvent
from orders import idempotency
from orders.models import IdempotencyKey, Order
from tests.api.conftest import ORDER_BODY, order_body
from tests.price_list import on_sale

pytestmark = pytest.mark.django_db


def test_placing_answers_201_with_the_order_and_its_location(alice):
    response = alice.place()
    assert response.status_code == 201, response.data
    body = response.json()
    order = Order.objects.get()
    assert body["id"] == str(order.id)
    assert (body["status"], body["total"], body["currency"]) == ("pending", "19.80", "EUR")
    assert response["Location"] == f"http://testserver/api/orders/{order.id}/"
    assert order.customer == alice.user
    assert OutboxEvent.objects.filter(type="orders.OrderCreated", key=str(order.id)).exists()


def test_without_an_idempotency_key_nothing_is_placed(alice):
    response = alice.client.post("/api/orders/", ORDER_BODY, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"Idempotency-Key": ["This header is required."]}
    assert not Order.objects.exists()


def test_an_overlong_key_is_refused(alice):
    assert alice.place(key="k" * 256).status_code == 400


def test_the_same_key_and_body_replay_the_first_answer_without_a_second_order(alice):
    first = alice.place(key="order-1")
    again = alice.place(key="order-1")
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1


def test_key_order_and_whitespace_of_the_body_do_not_matter(alice):
    alice.place(key="k")
    reordered = {name: ORDER_BODY[name] for name in reversed(list(ORDER_BODY))}
    assert alice.place(reordered, key="k").status_code == 201
    assert Order.objects.count() == 1


def test_the_same_key_with_another_body_is_422(alice):
    alice.place(key="order-1")
    response = alice.place(order_body(currency="USD"), key="order-1")
    assert response.status_code == 422
    assert "different request body" in response.json()["detail"]
    assert Order.objects.count() == 1


def test_keys_belong_to_their_user(alice, bob):
    alice.place(key="shared")
    assert bob.place(key="shared").status_code == 201
    assert Order.objects.count() == 2


def test_a_duplicate_while_the_first_is_in_flight_is_409(alice):
    idempotency.begin(user=alice.user, key="busy", request_fingerprint=idempotency.fingerprint(ORDER_BODY))
    response = alice.place(key="busy")
    assert response.status_code == 409
    assert "in flight" in response.json()["detail"]
    assert not Order.objects.exists()


def test_a_key_whose_request_died_is_taken_over_after_its_lock_lapses(alice):
    claim = idempotency.begin(user=alice.user, key="k", request_fingerprint=idempotency.fingerprint(ORDER_BODY))
    IdempotencyKey.objects.filter(id=claim.record_id).update(locked_until="2000-01-01T00:00:00Z")
    assert alice.place(key="k").status_code == 201
    with pytest.raises(idempotency.ClaimLost):
        idempotency.complete(claim, status=201, body={}, headers={})
    assert Order.objects.count() == 1


def test_a_key_older_than_a_day_starts_afresh(alice):
    alice.place(key="k")
    IdempotencyKey.objects.update(created_at="2000-01-01T00:00:00Z")
    response = alice.place(order_body(lines=[{"sku": "SKU-1", "quantity": 3}]), key="k")
    assert response.status_code == 201
    assert Order.objects.count() == 2


def test_expired_keys_are_purged(alice):
    alice.place(key="old")
    alice.place(key="new")
    IdempotencyKey.objects.filter(key="old").update(created_at="2000-01-01T00:00:00Z")
    assert idempotency.purge_expired() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_a_failure_while_placing_frees_the_key_for_a_retry(alice, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("orders.services.order_place", broken)
    alice.client.raise_request_exception = False
    assert alice.place(key="k").status_code == 500
    monkeypatch.undo()
    assert alice.place(key="k").status_code == 201
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "euro"}, "currency"),
        ({"lines": []}, "lines"),
        ({"lines": [{"sku": "SKU-1", "quantity": 0}]}, "lines"),
        ({"lines": [{"sku": "SKU-1"}]}, "lines"),
        ({"lines": [{"sku": "", "quantity": 1}]}, "lines"),
        ({"lines": [{"sku": "NOT-ON-SALE", "quantity": 1}]}, "lines"),
        ({"shipping_address": {**ORDER_BODY["shipping_address"], "country": "Germany"}}, "shipping_address"),
        ({"payment_token": ""}, "payment_token"),
    ],
)
def test_invalid_bodies_are_400_with_field_messages_and_keep_no_key(alice, change, field):
    response = alice.place(order_body(**change), key="k")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Order.objects.exists()
    assert not IdempotencyKey.objects.exists()


def test_a_body_that_is_not_json_is_400(alice):
    response = alice.client.post(
        "/api/orders/", "{not json", content_type="application/json", headers={"Idempotency-Key": "k"}
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_money_is_a_decimal_string(alice):
    on_sale("A", "0.10")
    body = alice.place(order_body(lines=[{"sku": "A", "quantity": 3}])).json()
    assert body["total"] == "0.30"
    assert Order.objects.get().total == Decimal("0.30")


def test_placing_needs_a_login(db):
    from rest_framework.test import APIClient

    response = APIClient().post("/api/orders/", ORDER_BODY, format="json", headers={"Idempotency-Key": "k"})
    assert response.status_code == 401


def test_writes_are_throttled_per_user(alice, bob, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"writes": "2/minute"})
    assert [alice.place().status_code for _ in range(3)] == [201, 201, 429]
    assert alice.get("/api/orders/").status_code == 200
    assert bob.place().status_code == 201


def test_only_json_bodies_are_accepted(alice):
    response = alice.client.post(
        "/api/orders/",
        {"currency": "EUR", "payment_token": "tok_ok"},
        format="multipart",
        headers={"Idempotency-Key": "k"},
    )
    assert response.status_code == 415
    assert not Order.objects.exists()


def test_a_database_out_of_reach_is_a_503_to_retry_and_the_retry_places_the_order_once(alice, monkeypatch):
    from django.db import OperationalError

    from orders import services

    place = services.order_place
    calls = []

    def database_away_the_first_time(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return place(**kwargs)

    monkeypatch.setattr(services, "order_place", database_away_the_first_time)
    refused = alice.place(key="k-away")
    assert refused.status_code == 503
    assert refused["Retry-After"] == "2"
    assert "Idempotency-Key" in refused.json()["detail"]
    assert not Order.objects.exists()

    placed = alice.place(key="k-away")
    assert placed.status_code == 201, placed.data
    assert Order.objects.count() == 1
