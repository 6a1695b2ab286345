"""``{% bus_health as health %}``: the bus's health in four figures, for the admin index's card."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.utils import timezone

from eventbus.kernel.durations import age_label
from eventbus.store import flow_counts, workers

register = template.Library()


@dataclass(frozen=True)
class BusHealth:
    dead: int
    retrying: int
    oldest_due_seconds: float | None
    """How long the oldest due work (an outbox row or a delivery) has waited; None: nothing is due."""
    workers_up: int

    @property
    def oldest_due(self) -> str:
        return "none" if self.oldest_due_seconds is None else age_label(self.oldest_due_seconds)

    @property
    def late(self) -> bool:
        """Due work has waited over a minute: workers are behind, stopped, or missing."""
        return (self.oldest_due_seconds or 0) > 60


@register.simple_tag
def bus_health() -> BusHealth:
    now = timezone.now()
    found = flow_counts.health(now)
    waited = found.oldest_age_seconds(now) if found.oldest_due else None
    return BusHealth(found.dead, found.retrying, waited, workers.up_count(now))
