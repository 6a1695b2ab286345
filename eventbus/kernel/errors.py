"""Errors the bus raises at the call site, so misuse fails loudly where it happens."""


class EventBusError(Exception):
    """Base of every error the bus raises."""


class NotInTransaction(EventBusError):
    """publish() was called outside transaction.atomic(): the event would float free of its state change."""


class NotAnEvent(EventBusError, TypeError):
    """Something that is not an eventbus Event was published or subscribed to."""


class SubscriptionError(EventBusError):
    """A subscription is malformed or its id is taken."""


class UndeclaredPublish(EventBusError):
    """A handler published an event type it did not list in ``publishes=`` (checked in DEBUG and tests)."""


class PermanentError(Exception):
    """Raised by a handler: this delivery can never succeed; dead-letter it now, with this reason."""


class RetryAfter(Exception):
    """Raised by a handler: try again after ``seconds`` instead of the backoff delay.

    It spends the attempt like any failure, so a reaction that keeps asking still ends.
    """

    def __init__(self, seconds: float, reason: str = "") -> None:
        super().__init__(reason or f"retry after {seconds:g}s")
        self.seconds = max(float(seconds), 0.0)


class HandlerTimeout(Exception):
    """A handler attempt ran past its subscriber's time limit; it fails like any attempt."""
