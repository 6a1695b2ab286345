"""A transactional outbox with Celery delivery and effectively-once handlers.

The public API, the only part of the bus a context imports:

- to declare events (``events.py``): ``Event``, ``upcaster`` — also importable from the Django-free
  ``eventbus.kernel``, which is what an ``events`` module uses;
- to react (``handlers.py``): ``subscribe``, ``Backoff``, ``current_envelope``, and what a handler
  may raise: ``PermanentError``, ``RetryAfter``;
- in services: ``publish``; in reads: ``timeline`` (a saga's story), ``TimelineEvent`` and its ``Progress``,
  ``in_time_order`` (its table's order), ``saga_health`` (its dead letters, retries and total time: a
  ``SagaHealth``, each retry a ``Retrying`` that says itself in words), ``saga_chart`` (its picture's
  geometry), and ``troubled_deliveries`` (which correlations have a dead, discarded or retrying
  delivery: each a ``TroubledDelivery``);
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
    from eventbus.operations.saga_chart import saga_chart
    from eventbus.operations.story import Retrying, SagaHealth, in_time_order, saga_health, timeline
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
    "Retrying",
    "SagaHealth",
    "TimelineEvent",
    "TroubledDelivery",
    "audit",
    "current_envelope",
    "in_time_order",
    "publish",
    "saga_chart",
    "saga_health",
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
    if name in ("timeline", "saga_health", "in_time_order", "SagaHealth", "Retrying"):
        from eventbus.operations import story

        return getattr(story, name)
    if name == "saga_chart":
        from eventbus.operations.saga_chart import saga_chart

        return saga_chart
    if name in ("TimelineEvent", "Progress"):
        from eventbus.store import history

        return getattr(history, name)
    if name in ("troubled_deliveries", "TroubledDelivery"):
        from eventbus.store import troubles

        return getattr(troubles, name)
    raise AttributeError(name)
