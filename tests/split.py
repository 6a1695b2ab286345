"""The saga on its second topology: the shop (this test process's database and workers) and payments
as its own service (its own database, Celery broker and workers), events crossing over RabbitMQ.

``SplitTopology.start`` starts the payments service's worker and inbox, the shop's worker and inbox,
and writes the shop's topology as its ``migrate`` would. While it runs, this process reads payments'
rows from the payments database (``PaymentsElsewhere``), where that service keeps them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.test import override_settings
from kombu import Connection

from chaos.servers import RabbitNode
from eventbus.engine.routing import local_subscribers, receiving_queues
from eventbus.store import subscriptions
from eventbus.testing import is_idle, wait_until
from eventbus.topology.deployment import parse
from eventbus.topology.subscribers import all_subscribers
from eventbus.transport.broker_topology import declare
from tests.processes import ROOT, Worker, database_url

SERVICES = "shop=*;payments=payments"


class PaymentsElsewhere:
    """While a split topology runs, payments' models are read and written in the payments database."""

    active = False

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        return "payments" if self.active and model._meta.app_label == "payments" else None

    db_for_write = db_for_read


@contextmanager
def payments_elsewhere() -> Iterator[None]:
    PaymentsElsewhere.active = True
    try:
        yield
    finally:
        PaymentsElsewhere.active = False


@dataclass
class Inbox:
    """``manage.py eventbus inbox`` in its own process group."""

    log: Path
    env: dict[str, str]
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> Inbox:
        with self.log.open("w") as output:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "eventbus", "inbox"],
                cwd=ROOT,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self._consuming, timeout=60, what=f"inbox consuming (log {self.log})")
        return self

    def _consuming(self) -> bool:
        if self.process and self.process.poll() is not None:
            raise AssertionError(f"inbox exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
        return "consuming" in self.log.read_text()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 9)
            self.process.wait(timeout=10)


def service_env(service: str, broker_url: str) -> dict[str, str]:
    return {"EVENTBUS_SERVICE": service, "EVENTBUS_SERVICES": SERVICES, "EVENTBUS_BROKER_URL": broker_url}


def payments_env(worker_env: dict[str, str], broker_url: str, tmp_path: Path) -> dict[str, str]:
    """What differs for payments: its database, and a Celery broker and doorbell of its own."""
    own = {"DATABASE_URL": database_url("payments"), "EVENTBUS_DOORBELL_REDIS_URL": ""}
    celery = worker_env["CELERY_BROKER_URL"]
    if celery.startswith("filesystem://"):
        own["TEST_BROKER_FOLDER"] = str(tmp_path / "payments-broker")
    else:
        own["CELERY_BROKER_URL"] = re.sub(r"/(\d+)$", lambda db: f"/{int(db[1]) + 8}", celery)
    return {**own, **service_env("payments", broker_url)}


@dataclass
class SplitTopology:
    rabbit: RabbitNode
    started: list[Worker | Inbox] = field(default_factory=list)

    @classmethod
    def start(
        cls, rabbit: RabbitNode, start_worker: Callable[..., Worker], worker_env: dict[str, str], tmp_path: Path
    ) -> SplitTopology:
        topology = cls(rabbit)
        topology.purge_queues()
        with override_settings(EVENTBUS_SERVICE="shop", EVENTBUS_SERVICES=SERVICES, EVENTBUS_BROKER_URL=rabbit.url):
            subscriptions.sync(local_subscribers(), authoritative=True)  # as the shop's migrate does
        shop, payments = service_env("shop", rabbit.url), payments_env(worker_env, rabbit.url, tmp_path)
        for name, env in (("shop", shop), ("payments", payments)):
            start_worker(**env)
            topology.started.append(Inbox(tmp_path / f"inbox-{name}.log", {**worker_env, **env}).start())
        return topology

    def purge_queues(self) -> None:
        """Messages a previous test left in flight are of orders that no longer exist."""
        queues = receiving_queues(parse("shop", SERVICES), tuple(all_subscribers()))
        with Connection(self.rabbit.url) as connection, connection.channel() as channel:
            for found in queues.values():
                declare(connection, found)
                found.inbox.bind(channel).purge()

    def in_flight(self) -> int:
        queues = receiving_queues(parse("shop", SERVICES), tuple(all_subscribers()))
        with Connection(self.rabbit.url) as connection, connection.channel() as channel:
            return sum(found.inbox.bind(channel).queue_declare(passive=True).message_count for found in queues.values())

    def idle(self, correlation_id: str) -> bool:
        return (
            is_idle(correlation_id=correlation_id)
            and is_idle(correlation_id=correlation_id, using="payments")
            and not self.in_flight()
        )

    def stop(self) -> None:
        for process in self.started:
            process.stop()
