"""The bus's settings, all under the EVENTBUS_ prefix, with their defaults."""

from django.conf import settings

from .backoff import Backoff


def source() -> str:
    return getattr(settings, "EVENTBUS_SOURCE", "/shop")


def batch_size() -> int:
    return getattr(settings, "EVENTBUS_BATCH_SIZE", 100)


def lease_seconds() -> float:
    return getattr(settings, "EVENTBUS_LEASE_SECONDS", 60.0)


def pump_seconds() -> float:
    return getattr(settings, "EVENTBUS_PUMP_SECONDS", 5.0)


def max_attempts() -> int:
    return getattr(settings, "EVENTBUS_MAX_ATTEMPTS", 8)


def backoff() -> Backoff:
    return Backoff(
        base_seconds=getattr(settings, "EVENTBUS_BACKOFF_SECONDS", 1.0),
        max_seconds=getattr(settings, "EVENTBUS_BACKOFF_MAX_SECONDS", 300.0),
    )


def doorbell_redis_url() -> str:
    return getattr(settings, "EVENTBUS_DOORBELL_REDIS_URL", "")


def queue() -> str:
    return getattr(settings, "EVENTBUS_QUEUE", "eventbus")


def handler_timeout() -> float:
    return getattr(settings, "EVENTBUS_HANDLER_TIMEOUT", 30.0)


def batch_seconds() -> float:
    """How long a worker keeps starting deliveries of one claim before it hands the rest back."""
    return getattr(settings, "EVENTBUS_BATCH_SECONDS", 1.0)


def check_publishes() -> bool:
    """Whether a handler that publishes an event it did not declare fails (DEBUG and tests)."""
    return getattr(settings, "EVENTBUS_CHECK_PUBLISHES", settings.DEBUG)
