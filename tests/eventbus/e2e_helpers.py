"""Publishing and counting helpers for the tests that run real worker processes."""

from django.db import transaction
from django.db.models import Count

from eventbus import Event, publish
from tests.busapp.models import Effect


def publish_many(events: list[tuple[Event, str]], *, per_transaction: int = 100) -> None:
    """Publish (event, key) pairs, ``per_transaction`` to a transaction, in order."""
    for start in range(0, len(events), per_transaction):
        with transaction.atomic():
            for event, key in events[start : start + per_transaction]:
                publish(event, key=key)


def effects_of(subscriber: str) -> int:
    return Effect.objects.filter(subscriber=subscriber).count()


def most_effects_of_one_event(subscriber: str) -> int:
    counts = Effect.objects.filter(subscriber=subscriber).values("event_id").annotate(n=Count("id"))
    return max((row["n"] for row in counts), default=0)
