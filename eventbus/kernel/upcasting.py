"""Upcasters: registered functions that turn a stored payload of version N into version N+1.

A handler always receives its event class's current version: a payload stored under an older
version is passed through the chain N → N+1 → … → current before it is validated. The functions
work on plain JSON data, so a context's ``events`` module declares them without Django.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventbus.kernel.errors import SubscriptionError

Data = dict[str, Any]
Upcaster = Callable[[Data], Data]

_upcasters: dict[tuple[str, int], Upcaster] = {}


class NoUpcaster(LookupError):
    """A stored version has no way up to the version its consumer reads."""


def upcaster(event_type: str, *, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Declare ``function`` the step from ``from_version`` to ``from_version + 1`` of ``event_type``."""
    if from_version < 1:
        raise SubscriptionError("versions start at 1")

    def register(function: Upcaster) -> Upcaster:
        known = _upcasters.get((event_type, from_version))
        if known is not None and known.__qualname__ != function.__qualname__:
            raise SubscriptionError(f"{event_type} v{from_version} already has an upcaster: {known.__qualname__}")
        _upcasters[(event_type, from_version)] = function
        return function

    return register


def upcast(event_type: str, data: Data, *, from_version: int, to_version: int) -> Data:
    """``data`` of ``from_version`` as ``to_version``, one registered step at a time."""
    for version in range(from_version, to_version):
        step = _upcasters.get((event_type, version))
        if step is None:
            raise NoUpcaster(f"no upcaster from {event_type} v{version} to v{version + 1}")
        data = step(data)
    return data


def has_path(event_type: str, *, from_version: int, to_version: int) -> bool:
    return all((event_type, version) in _upcasters for version in range(from_version, to_version))
