"""The peer's Celery app: django-celery-outbox's own class for that peer, plain Celery otherwise.

The Celery settings that matter to speed are the project's (``config/settings.py``).
"""

import os

from celery import Celery
from django_celery_outbox import OutboxCelery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.peers.settings")

app = (OutboxCelery if os.environ["BENCH_PEER"] == "celery-outbox" else Celery)("bench_peers")
app.conf.update(
    broker_url=os.environ["BENCH_PEERS_BROKER_URL"],
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    task_default_queue="peers",
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
    include=["bench.peers.tasks"],
)
