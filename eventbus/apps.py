"""Wires the bus into Django: finds every installed app's handlers module, and writes the topology on migrate."""

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.module_loading import autodiscover_modules


class EventbusConfig(AppConfig):
    name = "eventbus"
    verbose_name = "Event bus"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        autodiscover_modules("handlers")
        from eventbus.engine import worker_setup  # noqa: F401 - connects the Celery worker signals
        from eventbus.transport import checks  # noqa: F401 - registers the start-up checks

        post_migrate.connect(_write_topology, sender=self)


def _write_topology(using: str = "default", **kwargs: Any) -> None:
    from eventbus.engine.routing import local_subscribers
    from eventbus.store import subscriptions

    subscriptions.sync(local_subscribers(), authoritative=True)
