"""Fixtures shared by the whole suite: worker processes, private Redis servers, the backend in use."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings

from chaos.servers import RabbitNode
from eventbus import publish
from eventbus.models import Delivery
from eventbus.testing import run_pending
from eventbus.topology.subscribers import subscribe, unsubscribe
from orders.events import OrderCancelled
from orders.models import Order
from tests.busapp.events import Fanout
from tests.busapp.handlers import audit_cancellation
from tests.busapp.models import Switch
from tests.processes import RedisServer, Worker, database_url, free_port
from tests.saga.factories import place_order


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On the embedded default, tests marked ``postgres`` are deselected (reported), not skipped."""
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    kept = [item for item in items if item.get_closest_marker("postgres") is None]
    deselected = [item for item in items if item.get_closest_marker("postgres") is not None]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


@pytest.fixture
def worker_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a worker process: this test's database, broker and quick bus timings."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "EVENTBUS_DOORBELL_REDIS_URL": settings.EVENTBUS_DOORBELL_REDIS_URL,
        "EVENTBUS_SWEEP_SECONDS": "0.5",
        "EVENTBUS_LEASE_SECONDS": "3",
        "EVENTBUS_HANDLER_TIMEOUT": "2",
        "BUSAPP_FLAKY_LOG": str(tmp_path / "flaky.log"),
    }


@pytest.fixture
def start_worker(transactional_db: None, tmp_path: Path, worker_env: dict[str, str]) -> Iterator[Callable[..., Worker]]:
    """Start real ``celery worker`` processes (with beat by default); all are stopped afterwards."""
    started: list[Worker] = []

    def start(*, concurrency: int = 2, beat: bool = True, queues: str = "eventbus", **env: str) -> Worker:
        log = tmp_path / f"worker-{len(started)}.log"
        worker = Worker(log=log, env={**worker_env, **env}, concurrency=concurrency, beat=beat, queues=queues)
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(port=free_port(), directory=tmp_path).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def private_rabbit() -> Iterator[RabbitNode]:
    """A RabbitMQ node of the session's own (~5 s to start); a test that stops one starts its own."""
    # Not under pytest's own temporary directory: the node runs as the rabbitmq user, who may not enter it.
    node = RabbitNode(Path(tempfile.mkdtemp(prefix="eventbus-rabbit-"))).start()
    yield node
    node.remove()


@pytest.fixture
def audit_subscriber() -> Iterator[str]:
    """Subscribe ``busapp.audit_cancellation`` to OrderCancelled (one attempt) for this test only."""
    subscriber_id = "busapp.audit_cancellation"
    subscribe(OrderCancelled, id=subscriber_id, max_attempts=1)(audit_cancellation)
    yield subscriber_id
    unsubscribe(subscriber_id)


@pytest.fixture
def compensated_order(audit_subscriber: str) -> Order:
    """Paid, unshippable, refunded, cancelled; one subscriber of its cancellation dead-lettered."""
    Switch.objects.create(name="audit-broken")
    order = place_order(country="AQ")
    run_pending()
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == ("cancelled", "shipping_failed")
    return order


@pytest.fixture
def dead_letter() -> Delivery:
    """A delivery of busapp.Fanout to busapp.fail_until_fixed, dead with the error "boom"."""
    publish(Fanout(n=1), key="k")
    run_pending()
    Delivery.objects.filter(subscriber="busapp.fail_until_fixed").update(state=Delivery.State.DEAD, last_error="boom")
    return Delivery.objects.get(subscriber="busapp.fail_until_fixed")
