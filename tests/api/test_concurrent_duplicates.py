"""Concurrent duplicates of one order placement over real HTTP: exactly one order."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from knox.models import AuthToken

from orders.models import Order
from tests.api.conftest import ORDER_BODY
from tests.price_list import on_sale

DUPLICATES = 12


@pytest.fixture(autouse=True)
def price_list(transactional_db: None) -> None:
    on_sale("SKU-1", "9.90")


def post_order(url: str, token: str, key: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{url}/api/orders/",
        data=json.dumps(ORDER_BODY).encode(),
        headers={"Authorization": f"Token {token}", "Idempotency-Key": key, "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_place_exactly_one_order(live_server):
    user = get_user_model().objects.create_user("racer")
    token = AuthToken.objects.create(user=user)[1]
    with ThreadPoolExecutor(max_workers=DUPLICATES) as pool:
        answers = list(pool.map(lambda _: post_order(live_server.url, token, "same-key"), range(DUPLICATES)))

    assert Order.objects.count() == 1
    order_id = str(Order.objects.get().id)
    statuses = sorted(status for status, _ in answers)
    assert set(statuses) <= {201, 409}, answers
    assert 201 in statuses
    assert all(body["id"] == order_id for status, body in answers if status == 201)
    assert all("in flight" in body["detail"] for status, body in answers if status == 409)
    assert post_order(live_server.url, token, "same-key") == (201, next(b for s, b in answers if s == 201))


@pytest.fixture
def held_placement(monkeypatch):
    """The first order_place() waits inside its transaction until the test lets it go; later ones do not."""
    import threading

    from orders import services

    entered, release = threading.Event(), threading.Event()
    place = services.order_place

    def held(**kwargs):
        if not entered.is_set():
            entered.set()
            assert release.wait(timeout=30)
        return place(**kwargs)

    monkeypatch.setattr(services, "order_place", held)
    yield entered, release
    release.set()


def first_request_in_flight(pool, live_server, token, held_placement):
    entered, _ = held_placement
    first = pool.submit(post_order, live_server.url, token, "k")
    assert entered.wait(timeout=30)
    return first


# On SQLite the held request keeps the database's single write lock: a second writer would wait.
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_duplicate_of_a_request_still_in_flight_is_409_over_http(live_server, held_placement):
    token = AuthToken.objects.create(user=get_user_model().objects.create_user("racer"))[1]
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = first_request_in_flight(pool, live_server, token, held_placement)
        status, body = post_order(live_server.url, token, "k")
        assert (status, "in flight" in body["detail"]) == (409, True)
        held_placement[1].set()
        assert first.result()[0] == 201
    assert Order.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_key_taken_over_from_a_stalled_request_yields_one_order(live_server, held_placement, monkeypatch):
    from datetime import timedelta

    from orders import idempotency

    monkeypatch.setattr(idempotency, "IN_FLIGHT_LOCK", timedelta(0))
    token = AuthToken.objects.create(user=get_user_model().objects.create_user("racer"))[1]
    with ThreadPoolExecutor(max_workers=1) as pool:
        stalled = first_request_in_flight(pool, live_server, token, held_placement)
        takeover = post_order(live_server.url, token, "k")
        assert takeover[0] == 201
        held_placement[1].set()
        stalled_status, stalled_body = stalled.result()
    assert (stalled_status, "in flight" in stalled_body["detail"]) == (409, True)
    assert Order.objects.count() == 1
    assert str(Order.objects.get().id) == takeover[1]["id"]
