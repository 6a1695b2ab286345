"""A transactional outbox with Celery delivery and effectively-once handlers.

The public API: ``Event``, ``publish``, ``subscribe``, ``upcaster``, ``Backoff``, ``current_envelope``, and
what a handler may raise: ``PermanentError``, ``RetryAfter``.
Everything but ``publish`` imports without Django, so a context's ``events`` module stays free of it.
"""

from typing import Any

from .backoff import Backoff
from .context import current_envelope
from .envelope import Envelope
from .errors import PermanentError, RetryAfter
from .event import Event
from .subscribers import subscribe
from .upcasting import upcaster

__all__ = [
    "Backoff",
    "Envelope",
    "Event",
    "PermanentError",
    "RetryAfter",
    "current_envelope",
    "publish",
    "subscribe",
    "upcaster",
]


def __getattr__(name: str) -> Any:
    if name == "publish":
        from .publishing import publish

        return publish
    raise AttributeError(name)
