"""Celery tasks: thin wake-ups into eventbus.worker. Messages carry no work, only a queue name."""

from celery import shared_task

from eventbus.engine import worker


@shared_task(name="eventbus.relay", ignore_result=True)
def relay() -> int:
    return worker.relay_outbox()


@shared_task(name="eventbus.deliver", ignore_result=True)
def deliver(queue: str) -> int:
    return worker.deliver(queue)


@shared_task(name="eventbus.sweep", ignore_result=True)
def sweep() -> int:
    return worker.sweep()
