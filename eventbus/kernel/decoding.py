"""Reading a stored envelope back as the current version of the event class a subscriber expects."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError

from eventbus.kernel import sensitive, upcasting
from eventbus.kernel.envelope import Envelope
from eventbus.kernel.event import Event
from eventbus.kernel.sensitive import FieldCipher


class UndecodableEvent(Exception):
    """A stored event that cannot become the class its subscriber expects; never worth a retry."""


def decode(envelope: Envelope, wanted: type[Event], *, keys: Callable[[], FieldCipher] | None = None) -> Event:
    """The stored payload as the current version of ``wanted`` (the subscriber's event class).

    An older stored version goes through its upcasters first; a newer one than this process
    knows, another type, or a payload that does not validate cannot be read, and never will be.
    Sealed fields are opened with the cipher ``keys`` gives (asked for only when ``wanted`` has some).
    """
    if envelope.type != wanted.event_type:
        raise UndecodableEvent(f"stored {envelope.type} cannot be read as {wanted.event_type}")
    stored, current = envelope.dataversion, wanted.event_version
    if stored > current:
        raise UndecodableEvent(f"stored {envelope.type} v{stored} is newer than v{current}, the newest this code reads")
    try:
        data = upcasting.upcast(envelope.type, envelope.data, from_version=stored, to_version=current)
    except upcasting.NoUpcaster as error:
        raise UndecodableEvent(f"stored {envelope.type} v{stored} cannot be read as v{current}: {error}") from None
    context = sensitive.sealing(keys()) if keys is not None and sensitive.has_sensitive_fields(wanted) else None
    try:
        return wanted.model_validate(data, context=context)
    except ValidationError as error:
        raise UndecodableEvent(f"stored {envelope.type} v{stored} does not parse: {error}") from None
