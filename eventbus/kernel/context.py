"""The envelope being handled right now (and by whom), so events published by a handler inherit its
saga and log lines written inside it say which event and subscriber they belong to."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from eventbus.kernel.envelope import Envelope

_current: ContextVar[Envelope | None] = ContextVar("eventbus_current_envelope", default=None)
_subscriber: ContextVar[str] = ContextVar("eventbus_current_subscriber", default="")


def current_envelope() -> Envelope | None:
    """The envelope of the event whose handler is running, or None outside a handler."""
    return _current.get()


def current_subscriber() -> str:
    """The id of the subscriber whose handler is running, or "" outside a handler."""
    return _subscriber.get()


@contextmanager
def handling(envelope: Envelope, subscriber: str = "") -> Iterator[None]:
    token, subscriber_token = _current.set(envelope), _subscriber.set(subscriber)
    try:
        yield
    finally:
        _current.reset(token)
        _subscriber.reset(subscriber_token)
