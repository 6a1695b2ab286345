"""The kernel: what an event is, its envelope, versions and errors. No Django, so a context's
``events`` module (and a schema package made of it) needs nothing else of the bus.
"""

from eventbus.kernel.backoff import Backoff
from eventbus.kernel.context import current_envelope
from eventbus.kernel.envelope import Envelope
from eventbus.kernel.errors import PermanentError, RetryAfter
from eventbus.kernel.event import Event
from eventbus.kernel.sensitive import SensitiveStr
from eventbus.kernel.upcasting import upcaster

__all__ = [
    "Backoff",
    "Envelope",
    "Event",
    "PermanentError",
    "RetryAfter",
    "SensitiveStr",
    "current_envelope",
    "upcaster",
]
