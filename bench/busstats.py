"""What the bus's own tables say about a finished run: batch sizes, re-drives, latency stages.

The relay stamps each delivery's ``created_at`` with the time it started its batch, and a claim
stamps ``started_at``: together with the publisher's commit time and the handler's start stamp,
they split commit → handler into the doorbell (Celery), the relay and the claim.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable

from django.db import connection

from eventbus.models import Delivery, OutboxEvent


def redriven() -> int:
    """Deliveries attempted more than once: a handler failed and was retried, or a lease expired."""
    return Delivery.objects.filter(attempts__gt=1).count()


def batching() -> dict[str, float]:
    """Mean rows per relay batch and per claim (each batch shares one timestamp or one token)."""
    events = OutboxEvent.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(DISTINCT dispatched_at) FROM eventbus_outbox")
        relays = cursor.fetchone()[0]
        cursor.execute("SELECT count(DISTINCT claim_token) FROM eventbus_delivery")
        claims = cursor.fetchone()[0]
    return {
        "events_per_relay_batch": round(events / max(relays, 1), 2),
        "deliveries_per_claim": round(events / max(claims, 1), 2),
    }


def latency_stages(committed: dict[int, float], started: dict[int, float]) -> dict[str, float]:
    """Median milliseconds of commit → relay start → claim → handler start."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT (o.data->>'n')::int, extract(epoch FROM d.created_at), extract(epoch FROM d.started_at)
               FROM eventbus_delivery d JOIN eventbus_outbox o ON o.id = d.event_id"""
        )
        rows = [(n, float(relayed), float(claimed)) for n, relayed, claimed in cursor.fetchall() if n in committed]
    return {
        "commit_to_relay_ms": _median_ms(relayed - committed[n] for n, relayed, _ in rows),
        "relay_to_claim_ms": _median_ms(claimed - relayed for _, relayed, claimed in rows),
        "claim_to_handler_ms": _median_ms(started[n] - claimed for n, _, claimed in rows),
    }


def _median_ms(seconds: Iterable[float]) -> float:
    return round(1000 * statistics.median(seconds), 2)
