"""Concurrent duplicates of one order placement over real HTTP: exactly one order."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from orders.models import Order
from tests.api.conftest import ORDER_BODY

DUPLICATES = 12


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
    token = Token.objects.create(user=user).key
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
