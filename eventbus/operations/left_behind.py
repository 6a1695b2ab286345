"""What discarding dead letters leaves behind, read off the choreography as data (the subscriptions and the
events each declares it may publish): the reactions that will not happen, and the sagas left where they are."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from eventbus import store
from eventbus.models import Delivery

SAGAS_SHOWN = 20


@dataclass(frozen=True)
class Reaction:
    """A subscriber reacting to an event type: one edge of the choreography."""

    subscriber: str
    event_type: str


@dataclass(frozen=True)
class LeftBehind:
    """Discarding ``subscriber``'s deliveries of ``event_type``: its ``unpublished`` events (those it declares
    it may publish) are not published for these sagas, so the ``not_run`` reactions to them do not run, nor,
    unless another step publishes their events, the ``further`` ones downstream of those."""

    subscriber: str
    event_type: str
    unpublished: tuple[str, ...]
    not_run: tuple[Reaction, ...]
    further: tuple[Reaction, ...]
    sagas: tuple[str, ...]
    saga_count: int


def left_behind(deliveries: QuerySet[Delivery]) -> list[LeftBehind]:
    """For each (subscriber, event type) among the dead ``deliveries`` (only those are discarded): what
    discarding them leaves behind."""
    graph = _Choreography(store.reactions())
    return [
        graph.left_behind(subscriber, event_type, sagas)
        for (subscriber, event_type), sagas in store.steps_of(deliveries.filter(state=store.State.DEAD)).items()
    ]


class _Choreography:
    def __init__(self, reactions: list[tuple[str, str, list[str]]]) -> None:
        self.publishes = {subscriber: tuple(sorted(published)) for subscriber, _, published in reactions}
        self.subscribers_of: dict[str, list[str]] = {}
        for subscriber, event_type, _ in reactions:
            self.subscribers_of.setdefault(event_type, []).append(subscriber)

    def left_behind(self, subscriber: str, event_type: str, sagas: list[str]) -> LeftBehind:
        unpublished = self.publishes.get(subscriber, ())
        not_run = self._reactions_to(unpublished, skip={subscriber})
        further = self._downstream(not_run, skip={subscriber} | {r.subscriber for r in not_run})
        return LeftBehind(subscriber, event_type, unpublished, not_run, further, tuple(sagas[:SAGAS_SHOWN]), len(sagas))

    def _reactions_to(self, event_types: tuple[str, ...], *, skip: set[str]) -> tuple[Reaction, ...]:
        return tuple(
            Reaction(subscriber, event_type)
            for event_type in event_types
            for subscriber in sorted(self.subscribers_of.get(event_type, []))
            if subscriber not in skip
        )

    def _downstream(self, start: tuple[Reaction, ...], *, skip: set[str]) -> tuple[Reaction, ...]:
        """Breadth first from ``start``: each subscriber once, the whole graph at most."""
        found: list[Reaction] = []
        frontier = list(start)
        while frontier:
            published = tuple(sorted({e for reaction in frontier for e in self.publishes.get(reaction.subscriber, ())}))
            frontier = list(self._reactions_to(published, skip=skip))
            skip |= {reaction.subscriber for reaction in frontier}
            found += frontier
        return tuple(found)
