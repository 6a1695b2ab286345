"""The event the bench publishes: ``run`` names the measurement, ``n`` numbers the event in it."""

from eventbus import Event


class NoopEvent(Event, type="bench.Noop"):
    run: str
    n: int
