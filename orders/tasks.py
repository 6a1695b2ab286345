"""Periodic housekeeping of the orders context."""

from celery import shared_task

from . import idempotency


@shared_task(name="orders.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Idempotency keys are kept 24 hours; beat runs this hourly."""
    return idempotency.purge_expired()
