"""Private PostgreSQL, Redis and RabbitMQ servers on free ports, which a fault may kill, pause or restart.

They never touch the machine's shared servers. Each keeps its files in the run's directory; the
PostgreSQL cluster belongs to the ``postgres`` user (``initdb`` refuses to run as root), the
RabbitMQ node's files to ``rabbitmq`` (Debian's ``rabbitmq-server`` runs as that user).
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), Path("/usr/bin"))
DATABASE = "chaos"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RedisServer:
    """``redis-server`` without persistence: a crash loses everything it held, as a cache-only Redis does."""

    port: int
    directory: Path
    options: tuple[str, ...] = ()
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return self.database(0)

    def database(self, number: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{number}"

    def start(self) -> RedisServer:
        from eventbus.testing import wait_until  # needs Django set up; choosing a port does not

        self.directory.mkdir(parents=True, exist_ok=True)
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            [*args, "--dir", str(self.directory), *self.options],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.answers, timeout=10, what=f"redis on port {self.port}")
        return self

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def signal(self, number: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(number)

    def kill(self) -> None:
        """``kill -9``: whatever it held (queued messages, the doorbell's gates) is gone."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a paused server cannot answer SIGTERM
            self.process.terminate()
            self.process.wait(timeout=10)


@dataclass
class PostgresCluster:
    """A cluster made with ``initdb``, trusting local connections, with a ``chaos`` database."""

    port: int
    directory: Path

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def create(self) -> PostgresCluster:
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True)
        postgres = pwd.getpwnam("postgres")
        os.chown(self.directory, postgres.pw_uid, postgres.pw_gid)
        self._as_postgres("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")
        self.start()
        with self.connect("postgres") as server:
            server.execute(f"CREATE DATABASE {DATABASE}")
        return self

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def start(self) -> None:
        options = f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        log = str(self.directory / "server.log")
        self._as_postgres("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """``mode="immediate"`` is a crash as far as clients see: sessions cut, recovery on start."""
        self._as_postgres("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def terminate_backends(self) -> int:
        """``pg_terminate_backend`` every other session of the chaos database; returns how many."""
        with self.connect(DATABASE) as db:
            row = db.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (DATABASE,),
            ).fetchone()
        return row[0] if row else 0

    def connect(self, dbname: str) -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=dbname, autocommit=True)

    def _as_postgres(self, program: str, *args: str) -> None:
        command = ["runuser", "-u", "postgres", "--", str(PG_BIN / program), *args]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)


@dataclass
class RabbitNode:
    """A RabbitMQ node of its own (name, AMQP and distribution ports, database and plugins), so that
    stopping or pausing it never touches the machine's node. guest/guest, from 127.0.0.1 only.
    ``directory`` must be one the ``rabbitmq`` user can reach (not under a private temporary tree)."""

    directory: Path
    port: int = field(default_factory=free_port)
    dist_port: int = field(default_factory=free_port)
    plugins: tuple[str, ...] = ("rabbitmq_consistent_hash_exchange",)
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return f"private{self.port}@localhost"

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def start(self) -> RabbitNode:
        from eventbus.testing import wait_until  # needs Django set up; choosing a port does not

        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "enabled_plugins").write_text(f"[{','.join(self.plugins)}].\n")
        rabbitmq = pwd.getpwnam("rabbitmq")
        for path in [self.directory, *self.directory.rglob("*")]:
            os.chown(path, rabbitmq.pw_uid, rabbitmq.pw_gid)
        self.process = subprocess.Popen(
            ["rabbitmq-server"],
            env={**os.environ, **self._environment()},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_until(self.started, timeout=90, interval=0.5, what=f"RabbitMQ node {self.name}")
        return self

    def started(self) -> bool:
        """Whether the node runs its broker (``await_startup`` fails at once while its VM is not up)."""
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"RabbitMQ node {self.name} exited; see {self.directory / 'log'}")
        try:
            self.ctl("await_startup", "--timeout", "5")
        except subprocess.CalledProcessError:
            return False
        return True

    def _environment(self) -> dict[str, str]:
        return {
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.directory / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.directory / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.directory / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(self.directory / "node.pid"),
            "RABBITMQ_CONFIG_FILE": str(self.directory / "rabbitmq"),  # none: the defaults
        }

    def ctl(self, *args: str) -> str:
        """``rabbitmqctl`` against this node alone."""
        done = subprocess.run(
            ["rabbitmqctl", "-n", self.name, *args], capture_output=True, text=True, timeout=120, check=True
        )
        return done.stdout

    def signal(self, number: signal.Signals) -> None:
        """Signal the whole node (the wrapper and the Erlang VM under it): SIGSTOP pauses it."""
        assert self.process is not None
        os.killpg(self.process.pid, number)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            self.ctl("stop")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=60)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
