"""The order saga end to end, happy path: orders placed by the bench, confirmed by the real worker.

Each order is one ``order_place()`` call (its own transaction), token ``tok_ok``, country ``DE``:
payments charges through its fake provider, shipping books through its fake carrier, orders
confirms. An order counts as confirmed when its row says so: the bench polls the orders of the
run's own customer (10 count queries a second) and takes ``updated_at``, set by the confirming
save just before its COMMIT, as the confirm time. A subscriber to OrderConfirmed would have added
a delivery to every saga; polling adds nothing to the work measured.
"""

from __future__ import annotations

import statistics
import time
from uuid import UUID

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection

from orders import events as orders_events
from orders import services as orders_services
from orders.models import Order

from .latency import Latency
from .measuring import STALL_ALLOWANCE, Measured, measure
from .workers import Workers

LINES = [orders_services.Wanted(sku="SKU-1", quantity=2)]
ADDRESS = orders_events.ShippingAddress(name="Ada", line1="1 Main St", city="Berlin", postal_code="10115", country="DE")
SLOWEST_SAGAS_PER_S = 10  # waits allow this pace at worst, beyond the stall allowance


class Confirmations:
    """The run's confirmed orders, numbered in the order the bench placed them (see ``Stamps``)."""

    def __init__(self, customer: AbstractBaseUser, numbers: dict[UUID, int]) -> None:
        self.orders = Order.objects.filter(customer=customer, status=Order.Status.CONFIRMED)
        self.numbers = numbers

    def count(self) -> int:
        return self.orders.count()

    def read(self) -> dict[int, float]:
        return {self.numbers[id]: at.timestamp() for id, at in self.orders.values_list("id", "updated_at")}


def customer(run: str) -> AbstractBaseUser:
    """One customer per run: its orders are the run's."""
    return get_user_model().objects.create_user(username=f"bench-{run}")


def place(buyer: AbstractBaseUser) -> Order:
    return orders_services.order_place(customer=buyer, lines=LINES, shipping_address=ADDRESS, payment_token="tok_ok")


def throughput(workers: Workers, run: str, orders: int) -> Measured:
    """Place ``orders`` orders as fast as one process can; the run ends when the last is confirmed."""
    buyer = customer(run)
    numbers: dict[UUID, int] = {}

    def send() -> None:
        for n in range(orders):
            numbers[place(buyer).id] = n

    timeout = STALL_ALLOWANCE + orders / SLOWEST_SAGAS_PER_S
    return measure(workers, run, orders, send, timeout=timeout, stamps=Confirmations(buyer, numbers))


def paced(workers: Workers, run: str, *, rate: float, seconds: float) -> tuple[Latency, dict[str, float]]:
    """Orders placed at a steady ``rate``; placed is when ``order_place()`` returned (committed).

    Also returns where the time went: the median stage of each saga event (see ``stages``).
    """
    buyer = customer(run)
    items = round(rate * seconds)
    placed: dict[int, float] = {}
    numbers: dict[UUID, int] = {}

    def send() -> None:
        begin = time.monotonic() + 0.05
        for n in range(items):
            delay = begin + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            order = place(buyer)
            placed[n] = time.time()
            numbers[order.id] = n

    timeout = STALL_ALLOWANCE + seconds + items / SLOWEST_SAGAS_PER_S
    measured = measure(workers, run, items, send, timeout=timeout, stamps=Confirmations(buyer, numbers))
    keys = {str(id): n for id, n in numbers.items()}
    return Latency.of(measured, placed), stages(placed, measured.starts, keys)


def stages(placed: dict[int, float], confirmed: dict[int, float], keys: dict[str, int]) -> dict[str, float]:
    """Median milliseconds from placed to each saga event's publish (its ``time``), and to confirmed."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, type, extract(epoch FROM time) FROM eventbus_outbox")
        rows = [(keys[key], kind, float(at)) for key, kind, at in cursor.fetchall() if key in keys]
    after: dict[str, list[float]] = {}
    for n, kind, at in rows:
        after.setdefault(kind, []).append(at - placed[n])
    after["confirmed (row saved)"] = [confirmed[n] - placed[n] for n in placed]
    return {kind: round(1000 * statistics.median(spans), 2) for kind, spans in sorted(after.items())}


def handling() -> dict[str, dict[str, float]]:
    """Per subscriber, median milliseconds relay → claim and claim → handled, and attempts per delivery."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT subscriber,
                      percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - created_at)),
                      percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at)),
                      avg(attempts), count(*)
               FROM eventbus_delivery WHERE finished_at IS NOT NULL GROUP BY subscriber ORDER BY subscriber"""
        )
        return {
            subscriber: {
                "relay_to_claim_ms": round(1000 * float(wait), 2),
                "claim_to_done_ms": round(1000 * float(work), 2),
                "attempts": round(float(attempts), 3),
                "deliveries": count,
            }
            for subscriber, wait, work, attempts, count in cursor.fetchall()
        }
