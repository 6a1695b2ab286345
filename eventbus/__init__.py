"""A transactional outbox with Celery delivery and effectively-once handlers.

The public API, the only part of the bus a context imports:

- to declare events (``events.py``): ``Event``, ``upcaster`` — also importable from the Django-free
  ``eventbus.kernel``, which is what an ``events`` module uses;
- to react (``handlers.py``): ``subscribe``, ``Backoff``, ``current_envelope``, and what a handler
  may raise: ``PermanentError``, ``RetryAfter``;
- in services: ``publish``; in reads: ``timeline`` (a saga's story), ``TimelineEvent`` and its ``Progress``,
  ``troubled_deliveries`` (which correlations have a dead, discarded or retrying delivery) and its
  ``TroubledDelivery``;
- for an operator's action a context carries out (an operator's cancellation): ``audit`` and
  ``Operator``, which add it to the bus's audit trail in the caller's transaction.

``publish``, ``timeline``, ``troubled_deliveries`` and ``audit`` need Django's database, so they are
loaded on first use; everything else imports without Django.
"""

from typing import TYPE_CHECKING, Any

from eventbus.kernel import Backoff, Envelope, Event, PermanentError, RetryAfter, current_envelope, upcaster
from eventbus.topology import subscribe

if TYPE_CHECKING:
    from eventbus.engine.publishing import publish
    from eventbus.operations.actions import record as audit
    from eventbus.operations.story import timeline
    from eventbus.store.history import Progress, TimelineEvent
    from eventbus.store.operating import Operator
    from eventbus.store.troubles import TroubledDelivery, troubled_deliveries

__all__ = [
    "Backoff",
    "Envelope",
    "Event",
    "Operator",
    "PermanentError",
    "Progress",
    "RetryAfter",
    "TimelineEvent",
    "TroubledDelivery",
    "audit",
    "current_envelope",
    "publish",
    "subscribe",
    "timeline",
    "troubled_deliveries",
    "upcaster",
]


def __getattr__(name: str) -> Any:
    if name == "publish":
        from eventbus.engine.publishing import publish

        return publish
    if name == "audit":
        from eventbus.operations.actions import record

        return record
    if name == "Operator":
        from eventbus.store.operating import Operator

        return Operator
    if name == "timeline":
        from eventbus.operations.story import timeline

        return timeline
    if name in ("TimelineEvent", "Progress"):
        from eventbus.store import history

        return getattr(history, name)
    if name in ("troubled_deliveries", "TroubledDelivery"):
        from eventbus.store import troubles

        return getattr(troubles, name)
    raise AttributeError(name)
