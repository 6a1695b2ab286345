"""The catalog of event classes by (type name, version), filled as event classes are defined."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventbus.kernel.errors import EventBusError

if TYPE_CHECKING:
    from eventbus.kernel.event import Event

_classes: dict[tuple[str, int], type[Event]] = {}


def register(event_class: type[Event]) -> None:
    """Record an event class; two different classes may not claim one type and version."""
    key = (event_class.event_type, event_class.event_version)
    known = _classes.get(key)
    if known is not None and _qualified_name(known) != _qualified_name(event_class):
        raise EventBusError(
            f"{_qualified_name(event_class)} and {_qualified_name(known)} both claim "
            f"event type {key[0]!r} version {key[1]}"
        )
    _classes[key] = event_class


def event_classes() -> list[type[Event]]:
    """Every event class defined so far, by type name and version."""
    return [_classes[key] for key in sorted(_classes)]


def _qualified_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"
