"""Start-up checks of the transport: a broker Redis that may evict Celery's messages; a split
deployment without the RabbitMQ that carries its events between services."""

from __future__ import annotations

from typing import Any

import redis
from celery import current_app
from django.core import checks

from eventbus import conf

# Celery's queues are lists without a TTL: only an allkeys-* policy can evict them.
EVICTING = ("allkeys-lru", "allkeys-lfu", "allkeys-random")


def broker_eviction_policy(url: str) -> str | None:
    """The broker Redis' ``maxmemory-policy``, or None when it is no Redis or does not say."""
    if not url.startswith(("redis://", "rediss://")):
        return None
    try:
        client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        return str(client.config_get("maxmemory-policy").get("maxmemory-policy") or "") or None
    except redis.RedisError:  # unreachable, or CONFIG disabled: /readyz reports the former
        return None


def eviction_warning(url: str) -> str | None:
    policy = broker_eviction_policy(url)
    if policy not in EVICTING:
        return None
    return (
        f"the broker Redis evicts keys (maxmemory-policy {policy}): under memory pressure it can drop "
        "Celery's messages. No work is lost (it waits in the database, and the sweep wakes it), but "
        "wake-ups and other Celery tasks are; set maxmemory-policy noeviction (or a volatile-* policy)"
    )


def broker_eviction_warning() -> str | None:
    """The warning for this process' Celery broker, if it is a Redis that evicts keys."""
    return eviction_warning(str(current_app.conf.broker_url or ""))


@checks.register("eventbus")
def check_broker_eviction(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``manage.py check`` and ``migrate`` warn (eventbus.W001); a worker logs it at start-up."""
    found = broker_eviction_warning()
    return [checks.Warning(found, id="eventbus.W001")] if found else []


@checks.register("eventbus")
def check_split_broker(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A process of a split deployment (``EVENTBUS_SERVICE`` set) needs ``EVENTBUS_BROKER_URL`` (eventbus.E001)."""
    settings = conf.current()
    if settings.deployment.split and not settings.broker_url:
        return [
            checks.Error(
                f"EVENTBUS_SERVICE is {settings.service!r} but EVENTBUS_BROKER_URL is empty: "
                "events between services could not leave nor arrive",
                id="eventbus.E001",
            )
        ]
    return []
