"""A peer's processes, each a process group of its own so that its CPU is counted apart.

The worker is ``celery -A bench.peers.app worker`` with the bench worker's pool and options; the
relay is the peer's own management command; the publisher is ``bench.peers.publisher``, kept
running for the whole measurement and told what to send.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis
from django.conf import settings

from ..noop.stamps import stamp_dir
from ..services import recreate_database
from ..workers import ROOT, Workers
from . import environment
from .setups import Setup

DATABASE_URL = os.environ.get("BENCH_PEERS_DATABASE_URL", "postgres://root@127.0.0.1:5432/bench_peers")


@dataclass
class PeerWorkers(Workers):
    """The bench's worker, run from the peers' environment on the peer's app and queue."""

    hostname: str = "peer@%h"
    companions: dict[str, subprocess.Popen] = field(default_factory=dict)  # the relay and the publisher

    def check_alive(self) -> None:
        super().check_alive()
        for name, process in self.companions.items():
            if process.poll() is not None:
                raise RuntimeError(f"the peer's {name} exited with {process.returncode} (logs: {self.log.parent})")

    def command(self) -> list[str]:
        app = ("-A", "bench.peers.app", "worker", "-Q", "peers")
        return [str(environment.PYTHON), "-m", "celery", *app, *self.pool_options()]

    def environment(self) -> dict[str, str]:
        return {"DJANGO_SETTINGS_MODULE": "bench.peers.settings", **self.extra_env}


@dataclass
class Publisher:
    """The peer's publisher process: a command in, one line of JSON out."""

    process: subprocess.Popen
    log: Path

    def ask(self, command: str) -> dict:
        assert self.process.stdin
        assert self.process.stdout
        self.process.stdin.write(f"{command}\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError(f"the peer's publisher exited:\n{self.log.read_text()[-3000:]}")
        found = json.loads(answer)
        if "error" in found:
            raise RuntimeError(f"the peer's publisher: {found['error']}")
        return found


@dataclass
class Peer:
    workers: PeerWorkers  # its check_alive checks the relay and the publisher too
    publisher: Publisher
    groups: dict[int, str]  # process group → CPU component


@contextmanager
def running(setup: Setup, var: Path) -> Iterator[Peer]:
    """The peer on a fresh database and broker: worker, relay and publisher; all killed afterwards."""
    peer_env = {
        "BENCH_PEER": setup.name,
        "BENCH_PEERS_DATABASE_URL": DATABASE_URL,
        "BENCH_PEERS_BROKER_URL": settings.CELERY_BROKER_URL,
    }
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.peers.settings",
        "BENCH_STAMP_DIR": str(stamp_dir()),
        **peer_env,
    }
    _reset(env)
    started: list[subprocess.Popen] = []
    try:
        workers = PeerWorkers(log=var / f"peer-{setup.name}-worker.log", extra_env=peer_env).start()
        started.append(workers.process)  # type: ignore[arg-type]
        relay = _spawn([*("-m", "django"), *setup.relay], env, var / f"peer-{setup.name}-relay.log")
        started.append(relay)
        log = var / f"peer-{setup.name}-publisher.log"
        publisher = _spawn(["-m", "bench.peers.publisher"], env, log, talk=True)
        started.append(publisher)
        workers.companions.update(relay=relay, publisher=publisher)
        groups = {workers.group: "workers", relay.pid: "relay", publisher.pid: "publisher"}
        yield Peer(workers, Publisher(publisher, log), groups)
    finally:
        for process in started:
            _kill(process)


def _reset(env: dict[str, str]) -> None:
    """Drop, recreate and migrate the peers' database; empty the broker."""
    recreate_database(DATABASE_URL)
    python = str(environment.python())
    subprocess.run([python, "-m", "django", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300)
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()


def _spawn(args: list[str], env: dict[str, str], log: Path, *, talk: bool = False) -> subprocess.Popen:
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "text": True} if talk else {}
    with log.open("w") as output:
        return subprocess.Popen(
            [str(environment.PYTHON), *args],
            cwd=ROOT,
            env=env,
            stderr=output,
            start_new_session=True,
            **({"stdout": output} | pipes),
        )


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
