"""The system under fault, as deployed: gunicorn, two Celery workers and beat, each its own process group."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from eventbus.testing import wait_until

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Process:
    """A long-running child in its own session, so a signal can reach it and all of its children."""

    name: str
    args: list[str]
    log: Path
    ready: str  # a line the process logs once it is ready ("" for a web server: it answers /healthz)
    port: int = 0
    clock_offset: str = ""  # e.g. "+30s": run under libfaketime (Debian's faketime) with that skew
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> Process:
        prefix = ["faketime", "-f", self.clock_offset] if self.clock_offset else []
        with self.log.open("a") as output:
            output.write(f"--- start {' '.join(prefix + self.args)}\n")
            output.flush()
            self._started_at = output.tell()  # readiness is looked for in this start's lines only
            self.process = subprocess.Popen(
                prefix + self.args, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_until(self._is_ready, timeout=60, what=f"{self.name} ready (log: {self.log})", interval=0.1)
        return self

    def _is_ready(self) -> bool:
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")
        if self.port:
            return _healthy(self.port)
        with self.log.open() as log:
            log.seek(self._started_at)
            return self.ready in log.read()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def children(self) -> list[int]:
        """The pool processes of a worker (the main process's children)."""
        found = subprocess.run(["pgrep", "-P", str(self.pid)], capture_output=True, text=True)
        return [int(pid) for pid in found.stdout.split()]

    def kill_main(self) -> None:
        """``kill -9`` of the main process alone, as the OOM killer would."""
        os.kill(self.pid, signal.SIGKILL)
        assert self.process is not None
        self.process.wait(timeout=10)

    def terminate(self) -> None:
        """SIGTERM, then wait for the warm shutdown (running tasks finish first)."""
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=60)

    def stop(self) -> None:
        """Kill the whole group, pool processes included, even when the main is already gone."""
        if self.process is not None:
            _kill_group(self.pid)
            self.process.wait(timeout=10)


def _kill_group(group: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


def _healthy(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False


def worker(name: str, directory: Path, *, clock_offset: str = "") -> Process:
    args = [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "info", "-Q", "eventbus"]
    args += ["-c", "2", "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    return Process(name, args, directory / f"{name}.log", ready=" ready.", clock_offset=clock_offset)


def beat(directory: Path) -> Process:
    args = [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "info"]
    args += ["-s", str(directory / "beat-schedule")]
    return Process("beat", args, directory / "beat.log", ready="beat: Starting")


def web(directory: Path, port: int) -> Process:
    args = [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2"]
    args += ["--timeout", "30", "--graceful-timeout", "5"]
    return Process("web", args, directory / "web.log", ready="", port=port)


@dataclass
class System:
    """Everything a row runs against; a row may kill a part and must start it again."""

    web: Process
    workers: list[Process]
    beat: Process

    def all(self) -> list[Process]:
        return [self.web, *self.workers, self.beat]

    def start(self) -> System:
        for part in self.all():
            part.start()
        return self

    def stop(self) -> None:
        for part in self.all():
            part.stop()
