"""What a worker does when the doorbell rings: relay, claim, handle, until nothing is due."""

from __future__ import annotations

import time
from uuid import uuid4

from django.db import transaction
from django.utils import timezone

from . import conf, doorbell
from .claims import Claim, claim_deliveries
from .handling import Processed, process_claim
from .leases import release_expired_leases
from .models import Delivery, OutboxEvent
from .relay import relay_batch


def drain() -> int:
    """Work until nothing is due or the time budget is spent; returns how many handlers ran.

    While a pump works, the doorbell gate stays shut, so publishers do not send one task per
    commit: the pump's next round picks their events up, and rounds grow with the load. Once a
    round finds nothing, the pump opens the gate and looks once more, so anything that committed
    in between is either seen now or rings again. A full round kicks one more pump so another
    worker joins in; a spent budget hands the rest to a fresh task.
    """
    batch = conf.batch_size()
    deadline = time.monotonic() + conf.pump_seconds()
    handled, helped, gate_open = 0, False, False
    while time.monotonic() < deadline:
        full, processed = _round(batch)
        handled += processed.handled
        if processed.soonest_retry is not None:
            doorbell.kick(countdown=max((processed.soonest_retry - timezone.now()).total_seconds(), 0))
        if full and not helped:
            helped = doorbell.kick()
        if processed.handled or full:
            continue
        if gate_open:
            return handled
        doorbell.open_gate()
        gate_open = True
    doorbell.kick()
    return handled


def _round(batch: int) -> tuple[bool, Processed]:
    """Relay and claim in one transaction, then handle what was leased; says if either was full.

    The claim looks for pending deliveries only when the relay found nothing to lease or left
    ordered ones pending: due retries and re-driven leases have a kick of their own coming, which
    finds the outbox empty and claims them.
    """
    token = uuid4()
    with transaction.atomic():
        relayed = relay_batch(batch, lease_to=token)
        claimed = claim_deliveries(batch, token=token) if relayed.pending or not relayed.leased else None
    leased = relayed.leased + (claimed.size if claimed else 0)
    processed = process_claim(Claim(token, leased)) if leased else Processed(0, 0, None)
    return relayed.events == batch or (claimed is not None and claimed.size == batch), processed


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
