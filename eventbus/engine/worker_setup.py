"""A Celery worker's start-up (which queues it consumes, its subscribers written to the topology, its
heartbeat started), its database connections checked before every task, and its heartbeat row
removed when it shuts down.

``celery worker`` with no ``-Q`` (or ``-Q`` naming only ``EVENTBUS_QUEUE``) is the default worker:
it relays and runs every queue of the subscribers in its code. ``-Q payments`` runs only the
``payments`` queue's deliveries; ``-Q eventbus,orders`` relays and runs ``orders``.
"""

from __future__ import annotations

import logging
from typing import Any

from celery.signals import celeryd_after_setup, task_prerun, worker_ready, worker_shutdown
from celery.worker import state
from django.db import close_old_connections

from eventbus import conf
from eventbus.engine import heartbeat
from eventbus.engine.routing import local_subscribers
from eventbus.store import subscriptions
from eventbus.transport import checks

log = logging.getLogger(__name__)


@celeryd_after_setup.connect
def consume_every_queue_by_default(sender: str, instance: Any, **kwargs: Any) -> None:
    queues = instance.app.amqp.queues
    if set(queues.consume_from) != {conf.current().queue}:
        return
    for queue in sorted({found.queue for found in local_subscribers()}):
        queues.select_add(queue)


@worker_ready.connect
def add_subscribers_to_topology(**kwargs: Any) -> None:
    subscriptions.sync(local_subscribers(), authoritative=False)
    warning = checks.broker_eviction_warning()
    if warning:
        log.warning("%s", warning)


_heartbeat: list[heartbeat.Heartbeat] = []


@worker_ready.connect
def start_heartbeat(sender: Any = None, **kwargs: Any) -> None:
    """The worker's heartbeat row: its node name, the queues it consumes, the tasks it took."""
    queues = sender.app.amqp.queues.consume_from.keys()
    _heartbeat.append(heartbeat.start(sender.hostname, queues, processed=lambda: state.all_total_count[0]))


@worker_shutdown.connect
def stop_heartbeat(**kwargs: Any) -> None:
    while _heartbeat:
        _heartbeat.pop().stop()


@task_prerun.connect
def drop_broken_database_connections(task: Any = None, **kwargs: Any) -> None:
    """Before every task, as Django does before every request: close a connection that failed
    (killed by the server, a failover, a pooler) or outlived ``CONN_MAX_AGE``, so the task opens a
    fresh one. Celery's Django fixup does so only every ``CELERY_DB_REUSE_MAX`` tasks. An eager
    task runs inside its caller's transaction, whose connection is not this task's to close.
    """
    if getattr(getattr(task, "request", None), "is_eager", False):
        return
    close_old_connections()
