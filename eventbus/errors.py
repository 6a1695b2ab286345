"""Errors the bus raises at the call site, so misuse fails loudly where it happens."""


class EventBusError(Exception):
    """Base of every error the bus raises."""


class NotInTransaction(EventBusError):
    """publish() was called outside transaction.atomic(): the event would float free of its state change."""


class NotAnEvent(EventBusError, TypeError):
    """Something that is not an eventbus Event was published or subscribed to."""


class SubscriptionError(EventBusError):
    """A subscription is malformed or its id is taken."""
