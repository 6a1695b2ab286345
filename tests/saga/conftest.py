"""The saga's end-to-end tests run on both topologies: the monolith, and payments as its own service."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chaos.invariants import assert_saga_invariants
from chaos.servers import RabbitNode
from eventbus.testing import is_idle
from tests.processes import Worker
from tests.split import SplitTopology, payments_elsewhere


@dataclass
class Monolith:
    def idle(self, correlation_id: str) -> bool:
        return is_idle(correlation_id=correlation_id)

    def assert_invariants(self) -> None:
        assert_saga_invariants()


@dataclass
class Split:
    topology: SplitTopology

    def idle(self, correlation_id: str) -> bool:
        return self.topology.idle(correlation_id)

    def assert_invariants(self) -> None:
        assert_saga_invariants(databases=("default", "payments"))


@pytest.fixture(params=["monolith", "split"])
def saga(
    request: pytest.FixtureRequest,
    start_worker: Callable[..., Worker],
    worker_env: dict[str, str],
    tmp_path: Path,
) -> Iterator[Monolith | Split]:
    """Workers running the saga: one monolith worker, or the shop and a payments service over RabbitMQ."""
    if request.param == "monolith":
        start_worker()
        yield Monolith()
        return
    rabbit: RabbitNode = request.getfixturevalue("private_rabbit")
    topology = SplitTopology.start(rabbit, start_worker, worker_env, tmp_path)
    with payments_elsewhere():
        yield Split(topology)
    topology.stop()
