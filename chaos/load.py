"""The load a row runs under: customers placing orders over HTTP, and probe events published beside them.

A customer retries a failed request with the same Idempotency-Key until the shop acknowledges it
(201, or 200 for a replay), as the API docs ask clients to; an order counts as acknowledged only
then. Probe events are published by this process in their own transactions; one counts as
acknowledged once its COMMIT returned.
"""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db import DatabaseError, InterfaceError, close_old_connections, connection, transaction
from knox.models import AuthToken

from catalog import services as catalog_services
from catalog.models import Product
from eventbus import publish
from eventbus.testing import wait_until
from orders.models import CatalogEntry

from .probe.events import ProbeSent

PRODUCTS = 7  # SKU-0 ... SKU-6, listed through the catalogue before the load starts
GIVE_UP_SECONDS = 180.0  # a customer who could not place an order for this long stops trying
REQUEST_TIMEOUT = 10.0


def stock_the_shop() -> None:
    """List the products through the catalogue and wait until orders' price list has them (the workers)."""
    for n in range(PRODUCTS):
        price = Decimal("9.90") + n
        catalog_services.product_save(Product(sku=f"SKU-{n}", name=f"Item {n}", price=price, listed=True))
    wait_until(lambda: CatalogEntry.objects.filter(listed=True).count() == PRODUCTS, timeout=60, what="the price list")


def order_body(n: int) -> dict:
    """Most orders succeed; one in ten is declined, one fails at the provider twice, one ships nowhere."""
    token = {7: "tok_declined", 8: "tok_flaky"}.get(n % 10, "tok_ok")
    country = "AQ" if n % 10 == 9 else "DE"
    return {
        "currency": "EUR",
        "lines": [{"sku": f"SKU-{n % PRODUCTS}", "quantity": 1 + n % 3}],
        "shipping_address": {"name": "Ada", "line1": "1 Main St", "city": "X", "postal_code": "1", "country": country},
        "payment_token": token,
    }


@dataclass
class Requests:
    """What the customers met: every answer's status (or error) and how long it took."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies_ms: list[float] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)

    def note(self, outcome: str, started: float) -> None:
        with self.lock:
            self.latencies_ms.append((time.monotonic() - started) * 1000)
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def summary(self) -> dict:
        latencies = sorted(self.latencies_ms) or [0.0]
        return {
            "requests": len(self.latencies_ms),
            "outcomes": dict(sorted(self.outcomes.items())),
            "p50_ms": round(statistics.median(latencies), 1),
            "max_ms": round(latencies[-1], 1),
        }


@dataclass
class Load:
    """Orders and probes at ``rate`` each per second, ``count`` of each, on background threads."""

    port: int
    count: int
    rate: float
    token: str = ""
    orders: dict[int, UUID] = field(default_factory=dict)
    probes: dict[int, UUID] = field(default_factory=dict)
    requests: Requests = field(default_factory=Requests)
    lost_customers: list[int] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Load:
        user = get_user_model().objects.create_user(username=f"chaos-{uuid.uuid4().hex[:8]}")
        self.token = AuthToken.objects.create(user=user)[1]
        begin = time.monotonic() + 0.1
        customers = 4
        for i in range(customers):
            numbers = range(i, self.count, customers)
            self.threads.append(threading.Thread(target=self._customer, args=(numbers, begin), daemon=True))
        self.threads.append(threading.Thread(target=self._prober, args=(begin,), daemon=True))
        for thread in self.threads:
            thread.start()
        return self

    @property
    def seconds(self) -> float:
        return self.count / self.rate

    def wait(self) -> None:
        for thread in self.threads:
            thread.join(timeout=self.seconds + GIVE_UP_SECONDS + 60)

    def _customer(self, numbers: range, begin: float) -> None:
        for n in numbers:
            _pause_until(begin + n / self.rate)
            order_id = self._place(n)
            if order_id is None:
                self.lost_customers.append(n)
            else:
                self.orders[n] = order_id

    def _place(self, n: int) -> UUID | None:
        body = json.dumps(order_body(n)).encode()
        headers = {
            "Authorization": f"Token {self.token}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"chaos-{uuid.uuid4()}",
        }
        give_up = time.monotonic() + GIVE_UP_SECONDS
        while time.monotonic() < give_up:
            started = time.monotonic()
            try:
                status, answer = _post(self.port, body, headers)
            except (OSError, http.client.HTTPException) as error:
                self.requests.note(type(error).__name__, started)
                time.sleep(0.5)
                continue
            self.requests.note(str(status), started)
            if status in (200, 201):
                return UUID(answer["id"])
            time.sleep(0.5)
        return None

    def _prober(self, begin: float) -> None:
        for n in range(self.count):
            _pause_until(begin + n / self.rate)
            self.probes[n] = publish_probe(ProbeSent(n=n))

    def acknowledged(self) -> tuple[int, int]:
        return len(self.orders), len(self.probes)


def publish_probe(event: ProbeSent) -> UUID:
    """Publish in a transaction of its own, retrying while the database is away; the committed id."""
    while True:
        try:
            with transaction.atomic():
                return publish(event, key=f"probe-{event.n}").id
        except (DatabaseError, InterfaceError):
            connection.close()
            close_old_connections()
            time.sleep(0.5)


def _post(port: int, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request("POST", "/api/orders/", body=body, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if response.status in (200, 201) else {}
    finally:
        connection.close()


def _pause_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)
