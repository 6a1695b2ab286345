"""A peer measured as the bus is: throughput of a burst, then latency at a steady rate.

Each run starts on an empty outbox. Start stamps, CPU per process group and tasks run are read
by the bench's own ``measure``; an item is handed over when the publisher's COMMIT returned.
"""

from __future__ import annotations

from ..latency import Latency
from ..measuring import STALL_ALLOWANCE, Measured, measure
from .processes import Peer


def throughput(peer: Peer, run: str, items: int) -> Measured:
    peer.publisher.ask("reset")
    send = lambda: peer.publisher.ask(f"burst {run} {items}")  # noqa: E731
    return measure(peer.workers, run, items, send, timeout=STALL_ALLOWANCE + items / 50, groups=peer.groups)


def paced(peer: Peer, run: str, *, rate: float, seconds: float) -> Latency:
    peer.publisher.ask("reset")
    items = round(rate * seconds)
    answers: dict = {}

    def send() -> None:
        answers.update(peer.publisher.ask(f"paced {run} {items} {rate}"))

    measured = measure(peer.workers, run, items, send, timeout=STALL_ALLOWANCE + seconds, groups=peer.groups)
    return Latency.of(measured, {int(n): at for n, at in answers["handed_over"].items()})
