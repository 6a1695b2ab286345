"""App config of the bus test app."""

import os
from pathlib import Path

from django.apps import AppConfig


class BusappConfig(AppConfig):
    name = "tests.busapp"
    label = "busapp"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        marker = os.environ.get("BUSAPP_DIE_AFTER_FORWARD")
        if marker:
            from .faults import die_once_after_forwarding

            die_once_after_forwarding(Path(marker))
