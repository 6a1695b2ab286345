"""The envelope being handled right now, so events published by a handler inherit its saga."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from .envelope import Envelope

_current: ContextVar[Envelope | None] = ContextVar("eventbus_current_envelope", default=None)


def current_envelope() -> Envelope | None:
    """The envelope of the event whose handler is running, or None outside a handler."""
    return _current.get()


@contextmanager
def handling(envelope: Envelope) -> Iterator[None]:
    token = _current.set(envelope)
    try:
        yield
    finally:
        _current.reset(token)
