"""What a worker does when the doorbell rings: relay, claim, handle, until nothing is due."""

from __future__ import annotations

import time

from django.utils import timezone

from . import conf, doorbell
from .claims import claim_deliveries
from .handling import process_claim
from .leases import release_expired_leases
from .models import Delivery, OutboxEvent
from .relay import relay_batch


def drain() -> int:
    """Work until nothing is due or the time budget is spent; returns how many handlers ran.

    A full batch rings the doorbell again so another worker joins in; a spent budget hands the
    rest to a fresh task, so one busy worker never hogs its process.
    """
    doorbell.open_gate()
    batch = conf.batch_size()
    deadline = time.monotonic() + conf.pump_seconds()
    handled = 0
    while time.monotonic() < deadline:
        relayed = relay_batch(batch)
        claim = claim_deliveries(batch)
        if claim is None:
            if relayed == 0:
                return handled
            continue
        if relayed == batch or len(claim.delivery_ids) == batch:
            doorbell.ring()
        processed = process_claim(claim)
        handled += processed.handled
        if processed.soonest_retry is not None:
            doorbell.kick(countdown=max((processed.soonest_retry - timezone.now()).total_seconds(), 0))
    doorbell.kick()
    return handled


def deliver_now(delivery_ids: list[int]) -> int:
    """Handle these deliveries if they are due; those done, leased or blocked are left alone."""
    claim = claim_deliveries(len(delivery_ids), ids=delivery_ids)
    return process_claim(claim).handled if claim else 0


def sweep() -> bool:
    """Re-drive expired leases and ring while anything is due; returns whether it rang."""
    release_expired_leases()
    if work_is_due():
        return doorbell.kick()
    return False


def work_is_due() -> bool:
    now = timezone.now()
    return (
        OutboxEvent.objects.filter(dispatched_at__isnull=True, deliver_at__lte=now).exists()
        or Delivery.objects.filter(state=Delivery.State.PENDING, available_at__lte=now).exists()
    )
