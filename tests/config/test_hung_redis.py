"""A hung Redis (broker, doorbell gate and cache in one) slows a customer's request but never fails it."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from knox.models import AuthToken

from eventbus.testing import wait_until
from orders.models import Order
from tests.api.conftest import ORDER_BODY
from tests.price_list import on_sale
from tests.processes import RedisServer, WebServer

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]
# What a request may be slowed by while Redis hangs: the throttle cache's 0.5 s socket timeout, once
# (the doorbell rings from its own thread, and the throttles skip a cache that just failed).
SLOWEST_ORDER_SECONDS = 1.5
READYZ_LIMIT_SECONDS = 3.0


@pytest.fixture
def web(private_redis: RedisServer, worker_env: dict[str, str], tmp_path: Path) -> Iterator[WebServer]:
    redis_db = private_redis.url.rsplit("/", 1)[0]
    env = {
        **worker_env,
        "CELERY_BROKER_URL": f"{redis_db}/0",
        "EVENTBUS_DOORBELL_REDIS_URL": f"{redis_db}/1",
        "CACHE_URL": f"rediscache://{redis_db.removeprefix('redis://')}/2",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    server = WebServer(log=tmp_path / "web.log", env=env).start()
    yield server
    server.stop()


def request(url: str, *, token: str = "", body: dict | None = None, key: str = "") -> tuple[int, float]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers |= {"Authorization": f"Token {token}", "Idempotency-Key": key}
    data = json.dumps(body).encode() if body is not None else None
    started = time.monotonic()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=60) as answer:
            status = answer.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.monotonic() - started


def test_orders_are_taken_and_readiness_fails_fast_while_redis_hangs(web: WebServer, private_redis: RedisServer):
    on_sale("SKU-1", "9.90")
    user = get_user_model().objects.create_user("hung-redis", password="x")
    token = AuthToken.objects.create(user=user)[1]
    assert request(f"{web.url}/api/orders/", token=token, body=ORDER_BODY, key="before")[0] == 201
    assert request(f"{web.url}/readyz")[0] == 200

    assert private_redis.process is not None
    os.kill(private_redis.process.pid, signal.SIGSTOP)
    try:
        placed = [request(f"{web.url}/api/orders/", token=token, body=ORDER_BODY, key=f"hung-{n}") for n in range(3)]
        ready_status, ready_seconds = request(f"{web.url}/readyz")
    finally:
        os.kill(private_redis.process.pid, signal.SIGCONT)

    assert [status for status, _ in placed] == [201, 201, 201]
    assert max(seconds for _, seconds in placed) < SLOWEST_ORDER_SECONDS, placed
    assert Order.objects.filter(customer=user).count() == 4
    assert ready_status == 503
    assert ready_seconds < READYZ_LIMIT_SECONDS + 1
    wait_until(lambda: request(f"{web.url}/readyz")[0] == 200, timeout=30, what="ready again once Redis is back")
