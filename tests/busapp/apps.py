"""App config of the bus test app."""

import os
from pathlib import Path

from django.apps import AppConfig


class BusappConfig(AppConfig):
    name = "tests.busapp"
    label = "busapp"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import faults

        if marker := os.environ.get("BUSAPP_DIE_AFTER_FORWARD"):
            faults.die_once_after_forwarding(Path(marker))
        if marker := os.environ.get("BUSAPP_REFUSE_FORWARD_ONCE"):
            faults.refuse_once_to_forward(Path(marker), "busapp.Sequenced")
