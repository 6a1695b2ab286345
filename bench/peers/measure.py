"""A peer measured as the bus is: throughput of a burst, then latency at a steady rate.

Each run starts on an empty outbox. Start stamps, CPU per process group and tasks run are read
by the bench's own ``measure``; an item is handed over when the publisher's COMMIT returned. An
item a peer runs twice (they deliver at least once) is counted once and reported.
"""

from __future__ import annotations

from ..latency import Latency
from ..measuring import STALL_ALLOWANCE, Measured, measure
from ..noop.stamps import StampReader
from .processes import Peer


def throughput(peer: Peer, run: str, items: int) -> Measured:
    peer.publisher.ask("reset")
    send = lambda: peer.publisher.ask(f"burst {run} {items}")  # noqa: E731
    timeout = STALL_ALLOWANCE + items / 50
    return measure(peer.workers, run, items, send, timeout=timeout, stamps=_stamps(run), groups=peer.groups)


def paced(peer: Peer, run: str, *, rate: float, seconds: float) -> Latency:
    peer.publisher.ask("reset")
    items = round(rate * seconds)
    answers: dict = {}

    def send() -> None:
        answers.update(peer.publisher.ask(f"paced {run} {items} {rate}"))

    timeout = STALL_ALLOWANCE + seconds
    measured = measure(peer.workers, run, items, send, timeout=timeout, stamps=_stamps(run), groups=peer.groups)
    return Latency.of(measured, {int(n): at for n, at in answers["handed_over"].items()})


def _stamps(run: str) -> StampReader:
    """The peers promise at least once: an item run twice is counted, not an error."""
    return StampReader(run, repeats_allowed=True)
