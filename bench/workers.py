"""The real ``celery -A config worker -c 2`` the bench measures, run as a child process group."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import redis

from config.celery import app
from eventbus import conf
from eventbus.models import Subscription
from eventbus.testing import wait_until

from .noop.stamps import stamp_dir

ROOT = Path(__file__).resolve().parent.parent
HOSTNAME = "bench@%h"


@dataclass
class Workers:
    """One worker with ``concurrency`` prefork processes and the beat sweep, logging warnings only.

    Logging every task at INFO costs the main process more than a no-op task does, and would
    weigh on the baseline (one message per task) far more than on the bus (one per batch).
    """

    log: Path
    concurrency: int = 2
    extra_env: dict[str, str] = field(default_factory=dict)
    hostname: str = HOSTNAME
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> Workers:
        env = {**os.environ, "BENCH_STAMP_DIR": str(stamp_dir()), "LOG_LEVEL": "WARNING", **self.environment()}
        with self.log.open("w") as output:
            self.process = subprocess.Popen(
                self.command(), cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_until(self._answers, timeout=60, what=f"the celery worker to answer (log: {self.log})", interval=0.2)
        return self

    def command(self) -> list[str]:
        return [
            *(sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "eventbus"),
            *self.pool_options(),
            "--beat",  # the sweep, as deployed: it re-drives what a lost kick or an expired lease left
        ]

    def pool_options(self) -> list[str]:
        """What every measured worker shares: its pool, its name, logging at WARNING, no chatter."""
        return [
            *("-l", "warning", "-c", str(self.concurrency), "-n", self.hostname),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ]

    def environment(self) -> dict[str, str]:
        return {"DJANGO_SETTINGS_MODULE": "bench.settings", **self.extra_env}

    def _answers(self) -> bool:
        self.check_alive()
        if "BENCH_BROKER_URL" in self.extra_env:
            return True  # a remote service's worker, on a broker of its own: its first run waits for it
        return bool(app.control.ping(timeout=0.5))

    @property
    def group(self) -> int:
        """The process group: the worker's main process and its pool children."""
        assert self.process is not None
        return self.process.pid

    def check_alive(self) -> None:
        if self.process is None or self.process.poll() is not None:
            tail = self.log.read_text()[-3000:] if self.log.exists() else ""
            raise RuntimeError(f"the celery worker exited:\n{tail}")

    def tasks_run(self) -> dict[str, int]:
        """Tasks executed so far, by name, as the worker itself counts them (remote control)."""
        replies = app.control.inspect(timeout=2.0).stats() or {}
        if len(replies) != 1:
            raise RuntimeError(f"expected one worker to answer, got {sorted(replies)}")
        return dict(next(iter(replies.values())).get("total", {}))

    def idle(self) -> bool:
        """Nothing queued and nothing in flight (late acks: a running task is still unacknowledged).

        A task the worker holds for a later ETA (a wake-up at the end of a retry's backoff) is
        unacknowledged too, but it is not running.
        """
        broker = redis.Redis.from_url(app.conf.broker_url)
        queues = {conf.current().queue, *Subscription.objects.values_list("queue", flat=True)}
        if any(broker.llen(queue) for queue in queues):
            return False
        now = datetime.now(UTC)
        return not any(_running(json.loads(raw)[0], now) for raw in broker.hvals("unacked"))

    def stop(self) -> None:
        """Kill the whole group: quick, and the bus must cope with that anyway."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def _running(message: dict, now: datetime) -> bool:
    eta = message.get("headers", {}).get("eta")
    return eta is None or datetime.fromisoformat(eta) <= now
