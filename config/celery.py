"""The Celery app: configured from Django settings under the CELERY_ prefix."""

import os

from celery import Celery
from celery.signals import beat_init, worker_process_init

from config import telemetry

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Celery's Django fixup closes the database connection after every task unless told to reuse it.
app.conf.CELERY_DB_REUSE_MAX = int(os.environ.get("CELERY_DB_REUSE_MAX", "1000"))
app.autodiscover_tasks()


@worker_process_init.connect
@beat_init.connect
def _set_up_telemetry(**kwargs: object) -> None:
    """In each pool process (after the fork: exporter threads do not survive one) and in beat."""
    telemetry.setup()
