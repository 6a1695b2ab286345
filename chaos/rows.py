"""The fault matrix: one row per fault, each injected while orders and probe events flow.

A row's ``inject`` runs once the load is under way and returns when the fault is over (the server
or process it broke is back, as a supervisor would bring it back); it returns the problems it saw
itself. ``may_dead_letter`` names the dead letters the fault is expected to leave (a participant
down past its retries, a poison event); every other delivery must end done.
"""

from __future__ import annotations

import os
import random
import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common import outages
from config.celery import app
from eventbus import conf, publish
from eventbus.models import Delivery, OutboxEvent

from .load import Load, publish_probe
from .probe.events import ProbeSent, ProcessKiller
from .processes import System
from .servers import PostgresCluster, RedisServer

Problems = list[str]


@dataclass
class Target:
    """What a fault can reach: the servers, the processes, the load running."""

    postgres: PostgresCluster
    redis: RedisServer
    system: System
    load: Load
    scale: float  # 1 for the full matrix, less in CI: fewer repetitions, shorter outages
    expected_dead: set[uuid.UUID] = field(default_factory=set)  # events injected to be dead-lettered
    facts: dict = field(default_factory=dict)  # what the row measured beside the invariants


@dataclass(frozen=True)
class Row:
    name: str
    fault: str
    inject: Callable[[Target], Problems]
    in_ci: bool = False
    customers_unharmed: bool = False  # every answer 2xx, none slower than SLOW_REQUEST_MS
    dead_letters_from: frozenset[str] = frozenset()  # subscribers a fault may leave dead-lettered
    orders: bool = True


def may_dead_letter(row: Row, target: Target) -> Callable[[Delivery], bool]:
    return lambda d: d.subscriber in row.dead_letters_from or d.event.event_id in target.expected_dead


def _hold(seconds: float) -> None:
    """The fault lasts this long: a duration injected, not a wait for a condition."""
    time.sleep(seconds)


def _repeat(times: int, every: float, action: Callable[[], object]) -> None:
    for _ in range(times):
        action()
        _hold(every)


def kill_pool_children(t: Target) -> Problems:
    victim = t.system.workers[0]

    def kill_one() -> None:
        children = victim.children()
        if children:
            os.kill(random.choice(children), signal.SIGKILL)

    _repeat(max(1, round(3 * t.scale)), 4, kill_one)
    return []


def kill_worker_main(t: Target) -> Problems:
    victim = t.system.workers[0]
    children = victim.children()
    victim.kill_main()
    _hold(2)
    orphans = [pid for pid in children if _alive(pid)]
    victim.stop()
    victim.start()
    return [f"pool processes {orphans} outlived their worker's kill -9"] if orphans else []


def sigterm_bounces(t: Target) -> Problems:
    victim = t.system.workers[0]

    def bounce() -> None:
        victim.terminate()
        victim.start()

    _repeat(max(1, round(3 * t.scale)), 3, bounce)
    return []


def redis_crash(t: Target) -> Problems:
    t.redis.kill()
    _hold(10 * t.scale)
    t.redis.start()
    return []


def redis_hang(t: Target) -> Problems:
    t.redis.signal(signal.SIGSTOP)
    _hold(20 * t.scale)
    t.redis.signal(signal.SIGCONT)
    return []


def redis_out_of_memory(t: Target) -> Problems:
    broker = redis.Redis.from_url(t.redis.url)
    broker.config_set("maxmemory-policy", "noeviction")
    broker.config_set("maxmemory", 1)
    _hold(20 * t.scale)
    broker.config_set("maxmemory", 0)
    return []


def kill_database_connections(t: Target) -> Problems:
    killed = []
    _repeat(max(2, round(8 * t.scale)), 2, lambda: killed.append(t.postgres.terminate_backends()))
    t.facts["sessions_killed"] = sum(killed)
    return []


def restart_postgres(t: Target) -> Problems:
    t.postgres.stop("immediate")
    _hold(5 * t.scale)
    t.postgres.start()
    return []


def carrier_down(t: Target) -> Problems:
    """Longer than book_shipment's 20 attempts: the paid deadline must end those sagas."""
    seconds = 100 * t.scale
    outages.begin(Path(settings.SHIPPING_FAKE_CARRIER_LEDGER), seconds)
    _hold(seconds)
    return []


def provider_down(t: Target) -> Problems:
    """Longer than the charge's 10 attempts: the payment deadline must end those sagas."""
    seconds = 60 * t.scale
    outages.begin(Path(settings.PAYMENTS_FAKE_PROVIDER_LEDGER), seconds)
    _hold(seconds)
    return []


def poison_events(t: Target) -> Problems:
    """Events no handler can take, committed straight into the outbox (as a bug or an old release would)."""
    rows: list[tuple[str, int, dict, bool]] = [
        ("orders.OrderCreated", 2, {"order_id": "not-a-uuid"}, True),  # a payload of the wrong schema
        ("orders.OrderCreated", 99, {}, True),  # a version from the future
        ("chaos.NeverHeardOf", 1, {"x": 1}, False),  # nobody subscribes: relayed to no one
        ("payments.PaymentSucceeded", 1, _payment_for_no_order(), True),
    ]
    with transaction.atomic():
        for kind, version, data, dead in rows:
            event_id = _raw_event(kind, version, data)
            if dead:
                t.expected_dead.add(event_id)
        killer = publish(ProcessKiller(n=0), key="killer")
    t.expected_dead.add(killer.id)
    t.facts["poison"] = [str(id) for id in sorted(t.expected_dead, key=str)]
    return []


def slow_handlers(t: Target) -> Problems:
    """Probes whose first attempt outlives the handler time limit: each must still take effect once."""
    seconds = conf.current().handler_timeout + 10
    for n in range(max(3, round(6 * t.scale))):  # one subscriber: its deliveries run one after another
        t.load.probes[-1 - n] = publish_probe(ProbeSent(n=-1 - n, slow_seconds=seconds))
    return []


def duplicate_wakeups(t: Target) -> Problems:
    """Every wake-up sent many times over: the claims, not the messages, decide who handles what."""
    relay_queue = conf.current().queue
    sent = 0
    until = time.monotonic() + 20 * t.scale
    while time.monotonic() < until:
        app.send_task("eventbus.relay", queue=relay_queue)
        for queue in ("orders", "payments", "shipping"):
            app.send_task("eventbus.deliver", args=(queue,), queue=queue)
        sent += 4
        _hold(0.04)
    t.facts["duplicate_wakeups_sent"] = sent
    return []


def skewed_clock(t: Target) -> Problems:
    """One worker's clock runs 20 s ahead: it claims retries early and sees leases expire early."""
    skewed = t.system.workers[1]
    skewed.stop()
    skewed.clock_offset = "+20s"
    skewed.start()
    _hold(30 * t.scale)
    skewed.stop()
    skewed.clock_offset = ""
    skewed.start()
    return []


def many_events(t: Target) -> Problems:
    """``VOLUME`` probe events (scaled) committed in batches of 1,000, through the two workers."""
    count = round(100_000 * t.scale)
    started = time.monotonic()
    for first in range(0, count, 1000):
        with transaction.atomic():
            for n in range(first, min(first + 1000, count)):
                t.load.probes[1_000_000 + n] = publish(ProbeSent(n=1_000_000 + n), key=f"bulk-{n}").id
    t.facts["volume_events"] = count
    t.facts["volume_published_s"] = round(time.monotonic() - started, 1)
    return []


ROWS = [
    Row("worker-child-kill", "kill -9 of a pool process, 3 times", kill_pool_children, in_ci=True),
    Row("worker-main-kill", "kill -9 of a worker's main process, then started again", kill_worker_main, in_ci=True),
    Row("worker-sigterm", "SIGTERM (warm shutdown) and start, 3 bounces", sigterm_bounces),
    Row("redis-crash", "Redis kill -9, back empty after 10 s", redis_crash, in_ci=True, customers_unharmed=True),
    Row("redis-hang", "Redis SIGSTOP for 20 s", redis_hang, in_ci=True, customers_unharmed=True),
    Row("redis-oom", "Redis maxmemory 1 byte (noeviction) for 20 s", redis_out_of_memory, customers_unharmed=True),
    Row("pg-connection-kill", "pg_terminate_backend of every session, 8 times", kill_database_connections, in_ci=True),
    Row("pg-restart", "PostgreSQL stop -m immediate, started 5 s later", restart_postgres, in_ci=True),
    Row(
        "carrier-down",
        "the carrier unreachable for 100 s, past book_shipment's retries",
        carrier_down,
        dead_letters_from=frozenset({"shipping.book_shipment"}),
    ),
    Row(
        "provider-down",
        "the payment provider unreachable for 60 s, past the charge's retries",
        provider_down,
        dead_letters_from=frozenset({"payments.charge_order"}),
    ),
    Row(
        "poison",
        "wrong schema, future version, unknown type, no such order, a handler that kills its process",
        poison_events,
        in_ci=True,
    ),
    Row("slow-handler", "6 probes whose first attempt outlives the handler time limit", slow_handlers),
    Row("duplicate-wakeups", "a relay and three deliver wake-ups every 40 ms for 20 s", duplicate_wakeups),
    Row("clock-skew", "one worker's clock 20 s ahead (faketime) for 30 s", skewed_clock),
    Row("volume", "100,000 events through two workers", many_events, orders=False),
]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _raw_event(kind: str, version: int, data: dict) -> uuid.UUID:
    event_id = uuid.uuid4()
    now = timezone.now()
    OutboxEvent.objects.create(
        event_id=event_id,
        source="/chaos",
        type=kind,
        version=version,
        key=str(event_id),
        time=now,
        data=data,
        correlation_id=f"poison-{event_id}",
        deliver_at=now,
    )
    return event_id


def _payment_for_no_order() -> dict:
    return {"order_id": str(uuid.uuid4()), "amount": "9.90", "currency": "EUR"}
