"""The subscriber registry of this process: who reacts to which event, what it may publish, and how.

The registry is what this process's code declares; ``eventbus.topology`` writes it to the
``Subscription`` table, which is what every process sees and what the relay fans out from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from eventbus.kernel.backoff import Backoff
from eventbus.kernel.envelope import Envelope
from eventbus.kernel.errors import NotAnEvent, SubscriptionError
from eventbus.kernel.event import Event

Handler = Callable[..., None]
Prepare = Callable[[Any], Any]
SendMany = Callable[[Sequence[Envelope]], Sequence[BaseException | None]]
H = TypeVar("H", bound=Handler)


@dataclass(frozen=True)
class Subscriber:
    """One reaction: ``handler(event)`` runs in the delivery's transaction.

    With ``prepare``, ``prepare(event)`` runs first, outside any transaction (the call to the outside
    world), and the handler receives its result: ``handler(event, prepared)``.
    """

    id: str
    event_class: type[Event]
    handler: Handler
    max_attempts: int | None = None
    backoff: Backoff | None = None
    ordered: bool = False
    publishes: tuple[type[Event], ...] = ()
    queue: str = ""
    timeout: float | None = None
    prepare: Prepare | None = field(default=None, compare=False)
    context: str = ""
    """The context (Django app label) that declared it: where it runs when the deployment is split."""
    forward_to: tuple[str, ...] = ()
    """Set on the bus's own forwarding subscribers: the services it sends the event to."""
    send_many: SendMany | None = field(default=None, compare=False)
    """Set on the bus's own forwarding subscribers: sends a claim's events out of this database at
    once and returns each one's error, or None once it went; ``handler`` is then never called."""

    @property
    def event_type(self) -> str:
        return self.event_class.event_type

    @property
    def publishes_types(self) -> list[str]:
        return sorted({event_class.event_type for event_class in self.publishes})


_by_id: dict[str, Subscriber] = {}
_by_type: dict[str, list[Subscriber]] = {}


def subscribe(
    event_class: type[Event],
    *,
    publishes: Iterable[type[Event]] = (),
    id: str | None = None,
    queue: str | None = None,
    max_attempts: int | None = None,
    backoff: Backoff | None = None,
    timeout: float | None = None,
    ordered: bool = False,
    prepare: Prepare | None = None,
) -> Callable[[H], H]:
    """Declare the decorated function a subscriber of ``event_class``.

    ``publishes`` lists the events the reaction may publish (the map's handler → event edges).
    The id defaults to ``<app label>.<function name>`` (``payments.charge_order``) and must stay
    stable: deliveries are recorded under it. ``queue`` (default: the app label) names the worker
    queue that runs it; ``timeout`` (seconds, default ``EVENTBUS_HANDLER_TIMEOUT``) ends a hung
    attempt as a failed one; ``ordered`` asks for per-key publish order; ``prepare`` is the
    reaction's call to the outside world, made before its transaction.
    """
    if not (isinstance(event_class, type) and issubclass(event_class, Event)):
        raise NotAnEvent(f"subscribe() takes an Event subclass, not {event_class!r}")
    published = tuple(publishes)
    for published_class in published:
        if not (isinstance(published_class, type) and issubclass(published_class, Event)):
            raise NotAnEvent(f"publishes= takes Event subclasses, not {published_class!r}")
    if max_attempts is not None and max_attempts < 1:
        raise SubscriptionError("max_attempts must be at least 1")
    if timeout is not None and timeout <= 0:
        raise SubscriptionError("timeout must be positive")
    if backoff is not None and not isinstance(backoff, Backoff):
        raise SubscriptionError("backoff must be an eventbus.Backoff")

    def register(handler: H) -> H:
        owner = _owner(handler.__module__)
        subscriber_id = id or f"{owner}.{handler.__name__}"
        _add(
            Subscriber(
                subscriber_id,
                event_class,
                handler,
                max_attempts,
                backoff,
                ordered,
                published,
                queue or owner,
                timeout,
                prepare,
                owner,
            )
        )
        return handler

    return register


def _add(subscriber: Subscriber) -> None:
    known = _by_id.get(subscriber.id)
    if known is not None:
        if _same_function(known.handler, subscriber.handler):
            return
        raise SubscriptionError(
            f"subscriber id {subscriber.id!r} is taken by {_describe(known.handler)}; "
            f"{_describe(subscriber.handler)} needs another id"
        )
    _by_id[subscriber.id] = subscriber
    _by_type.setdefault(subscriber.event_type, []).append(subscriber)


def unsubscribe(subscriber_id: str) -> None:
    """Remove a subscriber from this process (for tests that register handlers of their own)."""
    subscriber = _by_id.pop(subscriber_id)
    _by_type[subscriber.event_type].remove(subscriber)


def replace(current: Subscriber, replacement: Subscriber) -> None:
    """Put ``replacement`` where ``current`` is registered (same id): the fault kit's hook."""
    _by_id[current.id] = replacement
    siblings = _by_type[current.event_type]
    siblings[siblings.index(current)] = replacement


def subscribers_of(event_type: str) -> list[Subscriber]:
    return _by_type.get(event_type, [])


def all_subscribers() -> list[Subscriber]:
    return sorted(_by_id.values(), key=lambda found: found.id)


def subscriber(subscriber_id: str) -> Subscriber | None:
    return _by_id.get(subscriber_id)


def _owner(module: str) -> str:
    """The Django app label that holds ``module``, else its top-level package."""
    from django.apps import apps

    app = apps.get_containing_app_config(module) if apps.apps_ready else None
    return app.label if app else module.split(".")[0]


def _same_function(a: Handler, b: Handler) -> bool:
    return _describe(a) == _describe(b)


def _describe(handler: Handler) -> str:
    return f"{handler.__module__}.{getattr(handler, '__qualname__', handler)}"
