"""A Celery worker's start-up: which queues it consumes, and its subscribers written to the topology.

``celery worker`` with no ``-Q`` (or ``-Q`` naming only ``EVENTBUS_QUEUE``) is the default worker:
it relays and runs every queue of the subscribers in its code. ``-Q payments`` runs only the
``payments`` queue's deliveries; ``-Q eventbus,orders`` relays and runs ``orders``.
"""

from __future__ import annotations

from typing import Any

from celery.signals import celeryd_after_setup, worker_ready

from eventbus import conf
from eventbus.store import subscriptions
from eventbus.topology.subscribers import all_subscribers


@celeryd_after_setup.connect
def consume_every_queue_by_default(sender: str, instance: Any, **kwargs: Any) -> None:
    queues = instance.app.amqp.queues
    if set(queues.consume_from) != {conf.current().queue}:
        return
    for queue in sorted({found.queue for found in all_subscribers()}):
        queues.select_add(queue)


@worker_ready.connect
def add_subscribers_to_topology(**kwargs: Any) -> None:
    subscriptions.sync(authoritative=False)
