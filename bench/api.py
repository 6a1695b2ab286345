"""The REST API under a closed-loop load, beside Django's cheapest page on the same server.

One ``gunicorn config.wsgi -w 2`` on the bench database; ``CLIENTS`` threads each send a request
as soon as their previous one is answered (a new connection each time: gunicorn's sync workers do
not keep connections alive). The baseline is ``GET /healthz``, a view that touches nothing; the
figures are placing an order (``POST /api/orders/``, a fresh Idempotency-Key each, which claims
the key, writes the order, its lines, two outbox rows and the key's answer) and reading one with
its saga timeline (``GET /api/orders/{id}/`` as staff, on orders a saga run completed). The Celery
workers are stopped: only the web process and PostgreSQL work.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from knox.models import AuthToken

from eventbus.testing import wait_until
from orders.models import Order

from .workers import ROOT

CLIENTS = 4
ORDER_BODY = {
    "currency": "EUR",
    "lines": [{"sku": "SKU-1", "quantity": 2}],
    "shipping_address": {
        "name": "Ada",
        "line1": "1 Main St",
        "city": "Berlin",
        "postal_code": "10115",
        "country": "DE",
    },
    "payment_token": "tok_ok",
}


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    latencies_ms: list[float]
    statuses: dict[int, int]

    @property
    def per_s(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        return statistics.quantiles(self.latencies_ms, n=1000, method="inclusive")[int(p * 10) - 1]


Request = Callable[[int], tuple[str, str, bytes | None, dict[str, str]]]


def closed_loop(port: int, requests: int, request: Request) -> Load:
    """``requests`` requests from ``CLIENTS`` threads; request(i) gives method, path, body, headers."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    numbers = iter(range(requests))

    def client() -> None:
        while True:
            with lock:
                i = next(numbers, None)
            if i is None:
                return
            method, path, body, headers = request(i)
            started = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            connection.close()
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)
                statuses[response.status] = statuses.get(response.status, 0) + 1

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Load(requests, time.perf_counter() - started, latencies, statuses)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def server(port: int, log_path: str) -> Iterator[int]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "ALLOWED_HOSTS": "127.0.0.1",
        "API_WRITE_RATE": "1000000/minute",
        "LOG_LEVEL": "WARNING",
    }
    args = [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2"]
    with open(log_path, "w") as log:
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: _answers(port, process), timeout=30, what=f"gunicorn to answer (log: {log_path})")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def _answers(port: int, process: subprocess.Popen) -> bool:
    if process.poll() is not None:
        raise RuntimeError(f"gunicorn exited with {process.returncode}")
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False


def tokens() -> tuple[str, str]:
    """(a customer's token, a token of staff who may view every order)."""
    users = get_user_model().objects
    customer = users.create_user(username=f"api-customer-{uuid.uuid4().hex[:8]}")
    staff = users.create_user(username=f"api-staff-{uuid.uuid4().hex[:8]}", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(content_type__app_label="orders", codename="view_order"))
    return AuthToken.objects.create(user=customer)[1], AuthToken.objects.create(user=staff)[1]


def healthz(i: int) -> tuple[str, str, bytes | None, dict[str, str]]:
    return "GET", "/healthz", None, {}


def placing(token: str) -> Request:
    body = json.dumps(ORDER_BODY).encode()
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    return lambda i: ("POST", "/api/orders/", body, {**headers, "Idempotency-Key": str(uuid.uuid4())})


def reading(token: str) -> Request:
    confirmed = list(Order.objects.filter(status=Order.Status.CONFIRMED).values_list("id", flat=True)[:500])
    if not confirmed:
        raise RuntimeError("no confirmed orders to read: run the saga measurements first")
    headers = {"Authorization": f"Token {token}"}
    return lambda i: ("GET", f"/api/orders/{confirmed[i % len(confirmed)]}/", None, headers)
