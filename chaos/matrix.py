"""One row of the matrix: a fresh system, the load, the fault, then the wait for recovery and the checks."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connections

from eventbus.models import Delivery
from eventbus.testing import wait_until
from orders.models import Order

from . import invariants
from .load import Load, stock_the_shop
from .processes import System
from .rows import Row, Target, may_dead_letter
from .servers import PostgresCluster, RedisServer

SLOW_REQUEST_MS = 3000.0  # while Redis hangs, no customer waits longer than this
FAULT_AFTER = 0.2  # the fault starts once this share of the load has been sent


@dataclass(frozen=True)
class Size:
    orders: int
    rate: float
    scale: float
    settle_seconds: float


@dataclass
class Outcome:
    row: Row
    problems: list[str]
    facts: dict

    @property
    def passed(self) -> bool:
        return not self.problems


def run_row(row: Row, size: Size, postgres: PostgresCluster, redis_server: RedisServer, system: System) -> Outcome:
    fresh_state(redis_server)
    system.start()
    try:
        return _under_load(row, size, postgres, redis_server, system)
    finally:
        system.stop()


def fresh_state(redis_server: RedisServer) -> None:
    """Empty tables, Redis and fake ledgers: every row starts from nothing."""
    connections.close_all()
    call_command("flush", interactive=False, verbosity=0)
    redis.Redis.from_url(redis_server.url).flushall()
    for ledger in (settings.PAYMENTS_FAKE_PROVIDER_LEDGER, settings.SHIPPING_FAKE_CARRIER_LEDGER):
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(ledger + suffix).unlink(missing_ok=True)


def _under_load(row: Row, size: Size, postgres: PostgresCluster, redis_server: RedisServer, system: System) -> Outcome:
    orders = size.orders if row.orders else 0
    stock_the_shop()
    load = Load(port=system.web.port, count=orders, rate=size.rate).start()
    target = Target(postgres, redis_server, system, load, size.scale)
    started = time.monotonic()
    wait_until(lambda: len(load.orders) >= orders * FAULT_AFTER, timeout=120, what="the load under way")
    problems = _inject(row, target)
    fault_over = time.monotonic()
    load.wait()
    recovered = _settle(size.settle_seconds)
    connections.close_all()
    problems += _check(row, target, recovered)
    facts = {
        **target.facts,
        "orders_acknowledged": len(load.orders),
        "probes_acknowledged": len(load.probes),
        "fault_seconds": round(fault_over - started, 1),
        "recovery_seconds": round(recovered - fault_over, 1) if recovered else None,
        "settled_seconds": round(recovered - started, 1) if recovered else None,
        "requests": load.requests.summary(),
        "order_outcomes": _order_outcomes(),
        "dead_letters": _dead_letters(),
    }
    return Outcome(row, problems, facts)


def _inject(row: Row, target: Target) -> list[str]:
    """Run the fault; an exception in it is a failed row, not a crashed run."""
    try:
        return row.inject(target)
    except Exception as error:
        return [f"the fault itself failed: {type(error).__name__}: {error}"]


def _settle(timeout: float) -> float | None:
    """When everything settled (monotonic), or None if it did not within ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if invariants.settled():
                return time.monotonic()
        except Exception:
            connections.close_all()
        threading.Event().wait(0.5)
    return None


def _check(row: Row, target: Target, recovered: float | None) -> list[str]:
    load = target.load
    problems = [] if recovered else ["the system did not settle: a saga or a delivery is still open"]
    problems += [f"customer could not place order {n} within the give-up time" for n in load.lost_customers]
    problems += invariants.acknowledged_problems(load.orders.values(), load.probes.values())
    problems += [p for order in Order.objects.all() for p in invariants.order_problems(order)]
    problems += invariants.bus_problems(may_dead_letter(row, target))
    return problems + _customer_problems(row, load)


def _customer_problems(row: Row, load: Load) -> list[str]:
    """A fault may make a customer retry (503, Retry-After) but never meet a 500; some faults not even that."""
    summary = load.requests.summary()
    crashes = {status: n for status, n in summary["outcomes"].items() if status.startswith("5") and status != "503"}
    problems = [f"customers met server errors other than 503: {crashes}"] if crashes else []
    if not row.customers_unharmed:
        return problems
    unanswered = {outcome: n for outcome, n in summary["outcomes"].items() if outcome not in ("200", "201")}
    if unanswered:
        problems.append(f"customers met errors or dropped connections: {unanswered}")
    if summary["max_ms"] > SLOW_REQUEST_MS:
        problems.append(f"a customer waited {summary['max_ms']:.0f} ms (limit {SLOW_REQUEST_MS:.0f})")
    return problems


def _order_outcomes() -> dict[str, int]:
    rows = Order.objects.values_list("status", "cancel_reason")
    return dict(sorted(Counter(f"{s} {r}".strip() for s, r in rows).items()))


def _dead_letters() -> dict[str, int]:
    dead = Delivery.objects.filter(state=Delivery.State.DEAD).values_list("subscriber", "last_error")
    return dict(sorted(Counter(f"{subscriber}: {error[:70]}" for subscriber, error in dead).items()))
