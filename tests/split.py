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
from eventbus.transport.broker_topology import ServiceQueues, declare
from tests.processes import Worker, database_url, spawn

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
        self.process = spawn([sys.executable, "manage.py", "eventbus", "inbox"], log=self.log, env=self.env)
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


@dataclass
class SplitTopology:
    """The shop and payments, each a worker (with beat) and an inbox; either can be stopped and started."""

    rabbit: RabbitNode
    start_worker: Callable[..., Worker]
    worker_env: dict[str, str]
    tmp_path: Path
    services: str = SERVICES
    extra_env: dict[str, dict[str, str]] = field(default_factory=dict)
    running: dict[str, list[Worker | Inbox]] = field(default_factory=dict)
    inboxes: list[Inbox] = field(default_factory=list)

    @classmethod
    def start(
        cls,
        rabbit: RabbitNode,
        start_worker: Callable[..., Worker],
        worker_env: dict[str, str],
        tmp_path: Path,
        *,
        services: str = SERVICES,
        extra_env: dict[str, dict[str, str]] | None = None,
    ) -> SplitTopology:
        """Both services running; ``extra_env`` adds to a service's environment (a fault to switch on)."""
        topology = cls(rabbit, start_worker, worker_env, tmp_path, services, extra_env or {})
        topology.purge_queues()
        with override_settings(**topology.settings("shop")):
            subscriptions.sync(local_subscribers(), authoritative=True)  # as the shop's migrate does
        for service in ("shop", "payments"):
            topology.start_service(service)
        return topology

    def settings(self, service: str) -> dict[str, str]:
        return {"EVENTBUS_SERVICE": service, "EVENTBUS_SERVICES": self.services, "EVENTBUS_BROKER_URL": self.rabbit.url}

    def env(self, service: str) -> dict[str, str]:
        """What differs from the shop's worker environment: payments has its own database, Celery broker
        and doorbell."""
        if service == "shop":
            return {**self.settings(service), **self.extra_env.get(service, {})}
        own = {"DATABASE_URL": database_url("payments"), "EVENTBUS_DOORBELL_REDIS_URL": ""}
        celery = self.worker_env["CELERY_BROKER_URL"]
        if celery.startswith("filesystem://"):
            own["TEST_BROKER_FOLDER"] = str(self.tmp_path / "payments-broker")
        else:
            own["CELERY_BROKER_URL"] = re.sub(r"/(\d+)$", lambda db: f"/{int(db[1]) + 8}", celery)
        return {**own, **self.settings(service), **self.extra_env.get(service, {})}

    def start_service(self, service: str) -> None:
        env = self.env(service)
        worker = self.start_worker(**env)
        self.inboxes.append(
            Inbox(self.tmp_path / f"inbox-{service}-{len(self.inboxes)}.log", {**self.worker_env, **env})
        )
        self.running[service] = [worker, self.inboxes[-1].start()]

    def inbox_log(self, service: str) -> str:
        """Everything the service's inbox processes logged so far."""
        return "".join(inbox.log.read_text() for inbox in self.inboxes if f"inbox-{service}-" in inbox.log.name)

    def stop_service(self, service: str) -> None:
        for process in self.running.pop(service, []):
            process.stop()

    def queues(self) -> list[ServiceQueues]:
        return list(receiving_queues(parse("shop", self.services), tuple(all_subscribers())).values())

    def purge_queues(self) -> None:
        """Messages a previous test left in flight are of orders that no longer exist."""
        with Connection(self.rabbit.url) as connection, connection.channel() as channel:
            for found in self.queues():
                declare(connection, found)
                found.inbox.bind(channel).purge()

    def in_flight(self) -> int:
        """Messages in the inboxes' queues, ready or held by an inbox (AMQP's own count leaves those out)."""
        listed = self.rabbit.ctl("list_queues", "name", "messages", "--no-table-headers", "--quiet")
        inboxes = {found.inbox.name for found in self.queues()}
        return sum(int(count) for name, count in (line.split() for line in listed.splitlines()) if name in inboxes)

    def idle(self, correlation_id: str | None = None) -> bool:
        """Nothing to do in either database, and nothing between them, twice over: work moves from a
        database to the broker (forwarded) and back (stored by an inbox) between any two looks."""

        def databases_idle() -> bool:
            return is_idle(correlation_id=correlation_id) and is_idle(correlation_id=correlation_id, using="payments")

        return all(look() for look in (databases_idle, lambda: not self.in_flight()) * 2)

    def stop(self) -> None:
        for service in list(self.running):
            self.stop_service(service)
