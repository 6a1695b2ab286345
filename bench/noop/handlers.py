"""The no-op subscriber: it only notes when it started, for the bench to read."""

from eventbus import subscribe

from .events import NoopEvent
from .stamps import stamp


@subscribe(NoopEvent, id="bench.noop")
def noop(event: NoopEvent) -> None:
    stamp(event.run, event.n)
