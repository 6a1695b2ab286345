"""Events across services: the bench process and its worker are the shop; the no-op subscriber runs
in a service of its own ("remote": its own PostgreSQL database, Celery broker, worker and inbox), so
every event crosses RabbitMQ: the shop's forwarder publishes it with publisher confirms, the remote
inbox stores it with its delivery, and the remote worker runs the handler.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis
from django.test import override_settings
from kombu import Connection

from eventbus.engine.routing import local_subscribers, receiving_queues
from eventbus.store import subscriptions
from eventbus.testing import wait_until
from eventbus.topology.deployment import parse
from eventbus.topology.subscribers import all_subscribers
from eventbus.transport.broker_topology import declare

from .services import recreate_database
from .workers import ROOT, Workers

SERVICES = "shop=*;remote=bench_noop"
REMOTE_DATABASE_URL = os.environ.get("BENCH_REMOTE_DATABASE_URL", "postgres://root@127.0.0.1:5432/bench_remote")
REMOTE_BROKER_URL = os.environ.get("BENCH_REMOTE_BROKER_URL", "redis://127.0.0.1:6379/4")
REMOTE_DOORBELL_URL = os.environ.get("BENCH_REMOTE_DOORBELL_URL", "redis://127.0.0.1:6379/5")
RABBITMQ_URL = os.environ.get("BENCH_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")


def service_settings(service: str) -> dict[str, str]:
    return {"EVENTBUS_SERVICE": service, "EVENTBUS_SERVICES": SERVICES, "EVENTBUS_BROKER_URL": RABBITMQ_URL}


def remote_env() -> dict[str, str]:
    return {
        **service_settings("remote"),
        "BENCH_DATABASE_URL": REMOTE_DATABASE_URL,
        "BENCH_BROKER_URL": REMOTE_BROKER_URL,
        "BENCH_DOORBELL_URL": REMOTE_DOORBELL_URL,
    }


@dataclass
class Remote:
    """The remote service's worker and inbox, and their process groups' CPU components ("remote", "inbox")."""

    workers: Workers
    inbox: subprocess.Popen
    log: Path
    groups: dict[int, str] = field(default_factory=dict)

    def stop(self) -> None:
        self.workers.stop()
        if self.inbox.poll() is None:
            os.killpg(self.inbox.pid, signal.SIGKILL)
            self.inbox.wait(timeout=10)


@contextmanager
def services(var: Path) -> Iterator[tuple[Workers, Remote]]:
    """The shop's worker and the remote service, on fresh databases, brokers and queues."""
    reset_remote()
    with override_settings(**service_settings("shop")):
        subscriptions.sync(local_subscribers(), authoritative=True)  # as the shop's migrate does
    shop = Workers(log=var / "split-shop-worker.log", extra_env=service_settings("shop")).start()
    remote = start_remote(var)
    try:
        yield shop, remote
    finally:
        shop.stop()
        remote.stop()
        subscriptions.sync(local_subscribers(), authoritative=True)  # the monolith's topology again


def reset_remote() -> None:
    """Drop, recreate and migrate the remote database; empty its Redis databases and the queues."""
    recreate_database(REMOTE_DATABASE_URL)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", **remote_env()},
        check=True,
        timeout=300,
    )
    for url in (REMOTE_BROKER_URL, REMOTE_DOORBELL_URL):
        redis.Redis.from_url(url).flushdb()
    queues = receiving_queues(parse("shop", SERVICES), tuple(all_subscribers()))
    with Connection(RABBITMQ_URL, connect_timeout=5) as connection, connection.channel() as channel:
        for found in queues.values():
            declare(connection, found)
            found.inbox.bind(channel).purge()


def start_remote(var: Path) -> Remote:
    workers = Workers(log=var / "split-remote-worker.log", extra_env=remote_env(), hostname="remote@%h").start()
    log = var / "split-remote-inbox.log"
    with log.open("w") as output:
        inbox = subprocess.Popen(
            [sys.executable, "manage.py", "eventbus", "inbox"],
            cwd=ROOT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "LOG_LEVEL": "INFO", **remote_env()},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    remote = Remote(workers, inbox, log, {workers.group: "remote", inbox.pid: "inbox"})
    wait_until(lambda: _consuming(remote), timeout=60, what=f"the remote inbox consuming (log: {log})")
    return remote


def _consuming(remote: Remote) -> bool:
    if remote.inbox.poll() is not None:
        raise RuntimeError(f"the remote inbox exited:\n{remote.log.read_text()[-3000:]}")
    return "consuming" in remote.log.read_text()
