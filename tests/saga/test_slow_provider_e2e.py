"""A slow payment provider holds one worker for a while, and no lock: other customers' orders go on."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from django.contrib.auth import get_user_model
from knox.models import AuthToken

from eventbus.testing import wait_until
from orders.models import Order
from tests.api.conftest import order_body
from tests.price_list import on_sale

pytestmark = pytest.mark.workers


def post_order(url: str, token: str, key: str, payment_token: str) -> int:
    request = urllib.request.Request(
        f"{url}/api/orders/",
        data=json.dumps(order_body(payment_token=payment_token)).encode(),
        headers={"Authorization": f"Token {token}", "Idempotency-Key": key, "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_slow_provider_does_not_hold_up_other_orders(start_worker, live_server, settings):
    on_sale("SKU-1", "9.90")
    settings.ORDERS_PAYMENT_DEADLINE_SECONDS = 30  # tok_slow answers only after this
    start_worker()
    token = AuthToken.objects.create(user=get_user_model().objects.create_user("shopper"))[1]
    assert post_order(live_server.url, token, "slow", "tok_slow") == 201
    slow = Order.objects.get()
    answers = [post_order(live_server.url, token, f"order-{n}", "tok_ok") for n in range(20)]
    assert answers == [201] * 20
    others = Order.objects.exclude(id=slow.id)
    wait_until(lambda: others.filter(status=Order.Status.CONFIRMED).count() == 20, timeout=20, what="20 confirmed")
    assert Order.objects.get(id=slow.id).status == Order.Status.PENDING
