"""Celery tasks: thin doorbells into eventbus.worker. Messages carry no work, only a wake-up."""

from celery import shared_task

from . import worker


@shared_task(name="eventbus.pump", ignore_result=True)
def pump() -> int:
    return worker.drain()


@shared_task(name="eventbus.sweep", ignore_result=True)
def sweep() -> bool:
    return worker.sweep()


@shared_task(name="eventbus.deliver", ignore_result=True)
def deliver(delivery_ids: list[int]) -> int:
    return worker.deliver_now(delivery_ids)
