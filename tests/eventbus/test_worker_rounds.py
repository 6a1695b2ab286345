"""A woken worker's rounds: as few as the work needs, and none too few."""

from __future__ import annotations

import pytest

from eventbus import publish, store
from eventbus.engine import worker
from eventbus.engine.routing import local_subscriber
from tests.busapp.events import Ping, Sequenced
from tests.busapp.models import Effect

pytestmark = pytest.mark.django_db


@pytest.fixture
def claims(monkeypatch) -> list:
    """Every claim a worker makes, found or not."""
    made: list = []
    claim = store.claim

    def counted(*args, **kwargs):
        made.append(claim(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(store, "claim", counted)
    return made


def queue_of(subscriber: str) -> str:
    found = local_subscriber(subscriber)
    assert found is not None
    return found.queue


def test_a_lone_event_takes_two_rounds_its_own_and_a_last_look_after_the_gate_opens(claims):
    publish(Ping(n=1), key="p")

    assert worker.deliver(queue_of("busapp.record_ping")) == 1

    assert [claim is not None for claim in claims] == [True, False]
    assert Effect.objects.filter(subscriber="busapp.record_ping").count() == 1


def test_the_next_event_of_an_ordered_key_becomes_due_by_handling_and_is_handled_by_the_same_worker(claims):
    for n in range(3):
        publish(Sequenced(n=n), key="k")

    worker.deliver(queue_of("busapp.record_in_order"))

    assert list(Effect.objects.filter(key="k").order_by("id").values_list("n", flat=True)) == [0, 1, 2]
    assert [claim is not None for claim in claims] == [True, True, True, False]
