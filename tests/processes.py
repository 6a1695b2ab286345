"""Real Celery workers, a real web server and private Redis servers for the tests that need them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connections

from chaos.servers import RedisServer, free_port
from eventbus.testing import wait_until

__all__ = ["RedisServer", "WebServer", "Worker", "database_url", "free_port", "run_django", "spawn"]

ROOT = Path(__file__).resolve().parent.parent


def run_django(code: str, env: Mapping[str, str]) -> subprocess.CompletedProcess:
    """``code`` after ``django.setup()``, in a fresh process at the project's root with exactly ``env``."""
    return subprocess.run(
        [sys.executable, "-c", f"import django\ndjango.setup()\n{code}"],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def spawn(args: list[str], *, log: Path, env: Mapping[str, str]) -> subprocess.Popen:
    """``args`` at the project's root in a process group of its own, its output in ``log``."""
    with log.open("w") as output:
        return subprocess.Popen(
            args, cwd=ROOT, env=dict(env), stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )


def database_url(alias: str = "default") -> str:
    """The URL of a database the test process uses, for worker processes to open."""
    s = connections[alias].settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    user = s["USER"] or "postgres"
    return f"postgres://{user}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@dataclass
class Worker:
    """``celery -A config worker`` (optionally with embedded beat) in its own process group."""

    log: Path
    env: dict[str, str]
    concurrency: int = 2
    beat: bool = True
    queues: str = "eventbus"
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> Worker:
        args = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-l",
            "info",
            "-Q",
            self.queues,
            "-c",
            str(self.concurrency),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--purge",
            "-n",
            f"test-{self.log.stem}@%h",
        ]
        if self.beat:
            args += ["-B"]
        self.process = spawn(args, log=self.log, env=self.env)
        wait_until(self._ready, timeout=60, what=f"worker ready (log {self.log})")
        return self

    def _ready(self) -> bool:
        if self.process and self.process.poll() is not None:
            raise AssertionError(f"worker exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
        return " ready." in self.log.read_text()

    def tasks_succeeded(self, task_name: str) -> int:
        """How many ``task_name`` tasks this worker reports as finished (Celery logs each at INFO)."""
        return sum(
            1 for line in self.log.read_text().splitlines() if f"Task {task_name}[" in line and "succeeded" in line
        )

    def stop(self) -> None:
        """Kill the whole process group: the bus must cope with that anyway, and it is quick."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@dataclass
class WebServer:
    """``gunicorn config.wsgi`` on a free port, as deployed."""

    log: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> WebServer:
        args = [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{self.port}", "-w", "1"]
        self.process = spawn(args, log=self.log, env=self.env)
        wait_until(self._answers, timeout=60, what=f"web server answering (log {self.log})")
        return self

    def _answers(self) -> bool:
        if self.process and self.process.poll() is not None:
            raise AssertionError(f"web server exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
