"""make run: the Procfile's processes side by side, where to go next once the web server is up, and
a clean stop on Ctrl-C.

Each process runs in a session of its own, so the terminal's Ctrl-C reaches only this supervisor,
which then sends SIGTERM to each process itself, not to its process group: a Celery worker lets its
tasks finish and stops its pool (a pool process signalled too would die mid-task, logged as an
error); runserver and beat stop at once. A process still running after STOP_SECONDS, or when
Ctrl-C is pressed again, is killed with its group. A process that exits on its own stops the
others, and its status is this one's; a stop that was asked for is status 0.

Each output line is prefixed with its process's name only: the application's log lines carry
their own time.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO

# Longer than a handler's time limit (EVENTBUS_HANDLER_TIMEOUT, 30 s) plus the worker's own wind-down.
STOP_SECONDS = 45.0
COLOURS = ["36", "33", "32", "35", "34", "31"]
DEFAULT_SITE = "http://127.0.0.1:8000"


def procfile(path: Path) -> dict[str, str]:
    """The ``name: command`` lines of a Procfile, in order."""
    entries = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            entries[name.strip()] = command.strip()
    return entries


class Output:
    """The lines of every process, each behind its name, never two mixed up."""

    def __init__(self, names: list[str], stream: IO[str]) -> None:
        width = max(len(name) for name in names)
        colour = stream.isatty() and "NO_COLOR" not in os.environ
        self.prefixes = {
            name: f"\033[{COLOURS[i % len(COLOURS)]}m{name:<{width}} |\033[0m " if colour else f"{name:<{width}} | "
            for i, name in enumerate(names)
        }
        self.stream = stream
        self.lock = threading.Lock()

    def line(self, name: str, text: str) -> None:
        self.say(self.prefixes[name] + text)

    def say(self, text: str) -> None:
        with self.lock:
            self.stream.write(text + "\n")
            self.stream.flush()


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    reader: threading.Thread

    @classmethod
    def start(cls, name: str, command: str, output: Output, env: dict[str, str]) -> Process:
        popen = subprocess.Popen(
            ["/bin/sh", "-c", f"exec {command}"],  # exec: the pid is the program's, which SIGTERM must reach
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        reader = threading.Thread(target=_copy, args=(name, popen, output), daemon=True)
        reader.start()
        return cls(name, popen, reader)

    def running(self) -> bool:
        return self.popen.poll() is None

    def outcome(self) -> str:
        code = self.popen.returncode
        return f"killed by {signal.Signals(-code).name}" if code < 0 else f"status {code}"

    def exit_status(self) -> int:
        """As a shell tells it: 128 + the signal that killed it; 1 for one that ended 'successfully'."""
        code = self.popen.returncode
        return 128 - code if code < 0 else code or 1

    def signal(self, signum: int, *, group: bool = False) -> None:
        try:
            if group:
                os.killpg(self.popen.pid, signum)
            else:
                self.popen.send_signal(signum)
        except ProcessLookupError:
            pass


def _copy(name: str, popen: subprocess.Popen[bytes], output: Output) -> None:
    for raw in popen.stdout or []:
        output.line(name, raw.decode(errors="replace").rstrip("\n"))


class Stop:
    """What the signals asked: to stop, and (Ctrl-C again) to kill what is still running."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.hurry = threading.Event()

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.asked.is_set() and signum == signal.SIGINT:
            self.hurry.set()
        self.asked.set()


def run(entries: dict[str, str], output: Output, stop: Stop, env: dict[str, str]) -> int:
    processes = [Process.start(name, command, output, env) for name, command in entries.items()]
    failed = _first_to_exit(processes, stop)
    if failed is None:
        output.say(f"stopping {', '.join(p.name for p in processes if p.running())} (Ctrl-C again to kill at once)")
    else:
        output.say(f"{failed.name} exited ({failed.outcome()}): stopping the others")
    _stop(processes, output, stop)
    return 0 if failed is None else failed.exit_status()


def _first_to_exit(processes: list[Process], stop: Stop) -> Process | None:
    """The first process to exit on its own; None once a stop is asked for."""
    while not stop.asked.wait(0.1):
        for process in processes:
            if not process.running():
                return process
    return None


def _stop(processes: list[Process], output: Output, stop: Stop) -> None:
    waiting = [p for p in processes if p.running()]
    for process in waiting:
        process.signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    while waiting and time.monotonic() < deadline and not stop.hurry.is_set():
        time.sleep(0.1)
        for process in [p for p in waiting if not p.running()]:
            waiting.remove(process)
            output.say(f"{process.name} stopped" + (f" ({process.outcome()})" if process.popen.returncode else ""))
    for process in waiting:
        output.say(f"{process.name} did not stop: killed")
        process.signal(signal.SIGKILL, group=True)
    for process in processes:
        process.popen.wait()
        process.signal(signal.SIGKILL, group=True)  # anything it left behind in its group
        process.reader.join(timeout=2)


def listening(address: tuple[str, int]) -> bool:
    try:
        socket.create_connection(address, timeout=0.5).close()
    except OSError:
        return False
    return True


def announce_when_listening(address: tuple[str, int], text: str, output: Output, stop: Stop) -> None:
    """Say ``text`` once something accepts connections at ``address``: the web server is up."""
    while not stop.asked.wait(0.2):
        if listening(address):
            output.say(text)
            return


def where_to_go(site: str) -> str:
    here = Path(sys.executable)
    python = os.path.relpath(here) if here.is_relative_to(Path.cwd()) else str(here)
    seed_demo = "seed_demo" if site == DEFAULT_SITE else f"seed_demo --site {site}"  # for the links it prints
    commands = {
        f"{python} manage.py {seed_demo}": "demo products, an operator login, an API token, one order per saga path",
        f"{python} manage.py eventbus status": "deliveries by subscriber and state",
    }
    width = max(map(len, commands))
    return f"""
  The shop runs at {site}/ (web, worker and beat). In another terminal:

{"".join(f"    {command:<{width}}   {what}\n" for command, what in commands.items())}
  Admin          {site}/admin/        log in as operator / operator-password (after seed_demo)
  Event flow     {site}/admin/flow/
  API            {site}/api/docs/     Swagger UI; docs/api.md has curl examples
  Stop with Ctrl-C.
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("procfile", type=Path)
    parser.add_argument("--port", type=int, default=8000, help="the web server's (PORT in the Procfile)")
    args = parser.parse_args()
    address = ("127.0.0.1", args.port)
    if listening(address):
        print(f"Port {args.port} is taken (another make run?): stop that, or run make run PORT=8001", file=sys.stderr)
        return 1
    entries = procfile(args.procfile)
    output = Output(list(entries), sys.stdout)
    stop = Stop()
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    text = where_to_go(f"http://{address[0]}:{address[1]}")
    threading.Thread(target=announce_when_listening, args=(address, text, output, stop), daemon=True).start()
    return run(entries, output, stop, env={**os.environ, "PYTHONUNBUFFERED": "1", "PORT": str(args.port)})


if __name__ == "__main__":
    sys.exit(main())
