"""make run's supervisor (scripts/run_dev.py): where to go once the web server is up, and Ctrl-C ends cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from eventbus.testing import wait_until
from tests.processes import ROOT, free_port

# A process that stops as a Celery worker does: on SIGTERM, it winds its own child down and exits 0.
# Its child (in its process group, as a pool process is) says so if a SIGTERM reaches it directly.
WORKER = """
import os, signal, sys, time
child = os.fork()
if child == 0:
    signal.signal(signal.SIGTERM, lambda *a: (print("child got SIGTERM", flush=True), os._exit(1)))
    while True:
        time.sleep(1)
def stop(*args):
    time.sleep(0.5)
    os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)
    print("worker wound down", flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
print("worker ready", flush=True)
while True:
    time.sleep(1)
"""
SERVER = "import http.server, os; http.server.test(port=int(os.environ['PORT']), bind='127.0.0.1')"


@dataclass
class Supervisor:
    popen: subprocess.Popen[str]
    log: Path

    def output(self) -> str:
        return self.log.read_text()

    def wait_for(self, text: str) -> None:
        wait_until(lambda: text in self.output(), timeout=20, what=f"{text!r} in the output")

    def interrupt(self) -> int:
        """Ctrl-C: SIGINT to the foreground process group, which the supervisor leads here."""
        os.killpg(self.popen.pid, signal.SIGINT)
        return self.popen.wait(timeout=30)


@pytest.fixture
def supervise(tmp_path: Path) -> Iterator:
    started: list[Supervisor] = []

    def start(programs: dict[str, str], *, port: int) -> Supervisor:
        """Run each Python program of ``programs`` as a Procfile process of its name."""
        for name, code in programs.items():
            (tmp_path / f"{name}.py").write_text(code)
        procfile = "".join(f"{name}: {sys.executable} {tmp_path / name}.py\n" for name in programs)
        (tmp_path / "Procfile").write_text(procfile)
        log = tmp_path / "out.log"
        with log.open("w") as out:
            popen = subprocess.Popen(
                [sys.executable, str(ROOT / "scripts" / "run_dev.py"), str(tmp_path / "Procfile"), "--port", str(port)],
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
        started.append(Supervisor(popen, log))
        return started[-1]

    yield start
    for supervisor in started:
        if supervisor.popen.poll() is None:
            os.killpg(supervisor.popen.pid, signal.SIGKILL)
            supervisor.popen.wait()


def test_it_says_where_to_go_once_the_web_server_listens_and_ctrl_c_stops_everything_with_status_0(supervise):
    port = free_port()
    supervisor = supervise({"web": SERVER, "worker": WORKER}, port=port)
    supervisor.wait_for("Stop with Ctrl-C.")
    supervisor.wait_for("worker | worker ready")
    assert f"http://127.0.0.1:{port}/admin/" in supervisor.output()
    assert f"manage.py seed_demo --site http://127.0.0.1:{port}" in supervisor.output()

    assert supervisor.interrupt() == 0

    output = supervisor.output()
    assert "worker | worker wound down" in output  # it was asked, and had the time, to stop on its own
    assert "child got SIGTERM" not in output  # the signal went to the worker, not to its process group
    assert "web stopped" in output
    assert "worker stopped" in output
    assert "Traceback" not in output
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_a_process_that_exits_stops_the_others_and_gives_its_status(supervise):
    supervisor = supervise({"worker": WORKER, "web": "import sys; sys.exit(3)"}, port=free_port())

    assert supervisor.popen.wait(timeout=30) == 3

    output = supervisor.output()
    assert "web exited (status 3): stopping the others" in output
    assert "worker stopped" in output


def test_ctrl_c_again_kills_a_process_that_takes_its_time(supervise):
    stubborn = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print(1, flush=True); time.sleep(60)"
    )
    supervisor = supervise({"stubborn": stubborn}, port=free_port())
    supervisor.wait_for("stubborn | 1")
    os.killpg(supervisor.popen.pid, signal.SIGINT)
    supervisor.wait_for("Ctrl-C again")

    assert supervisor.interrupt() == 0

    assert "stubborn did not stop: killed" in supervisor.output()


def test_a_port_already_taken_is_said_before_anything_starts(supervise):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        supervisor = supervise({"web": SERVER}, port=taken.getsockname()[1])
        assert supervisor.popen.wait(timeout=30) == 1
    assert "is taken (another make run?)" in supervisor.output()
