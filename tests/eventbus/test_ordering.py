"""Per-key order for ordered subscribers: only the head of each (subscriber, key) is due."""

from datetime import timedelta

import pytest
from django.utils import timezone

from eventbus import operations, publish
from eventbus.engine.handling import process_claim
from eventbus.models import Delivery
from eventbus.testing import claim, relay, run_pending
from tests.busapp.events import Sequenced
from tests.busapp.models import Effect

pytestmark = pytest.mark.django_db
State = Delivery.State


def publish_sequence(key: str, count: int) -> None:
    for n in range(count):
        publish(Sequenced(n=n), key=key)


def claimed_numbers(claim) -> list[tuple[str, int]]:
    return sorted(
        (d.key, d.event.data["n"]) for d in Delivery.objects.select_related("event").filter(claim_token=claim.token)
    )


def test_only_the_head_of_each_key_is_claimed():
    publish_sequence("a", 3)
    publish_sequence("b", 3)
    relay(100)
    claimed = claim(100)
    assert claimed_numbers(claimed) == [("a", 0), ("b", 0)]
    assert claim(100) is None
    process_claim(claimed)
    assert claimed_numbers(claim(100)) == [("a", 1), ("b", 1)]


def test_an_undispatched_earlier_event_holds_back_a_later_delivery():
    publish_sequence("a", 1)
    relay(100)
    first = Delivery.objects.get()
    Delivery.objects.all().delete()
    publish_sequence("a", 1)
    relay(100)
    from eventbus.models import OutboxEvent

    OutboxEvent.objects.filter(id=first.event_id).update(dispatched_at=None)
    assert claim(100) is None


def test_handled_in_publish_order_per_key():
    for n in range(5):
        for key in "abc":
            publish(Sequenced(n=n), key=key)
    run_pending()
    for key in "abc":
        assert list(Effect.objects.filter(key=key).order_by("id").values_list("n", flat=True)) == [0, 1, 2, 3, 4]


def test_a_dead_letter_parks_its_key_until_discarded():
    publish_sequence("a", 2)
    publish_sequence("b", 1)
    relay(100)
    head = Delivery.objects.get(key="a", event__data={"n": 0})
    head.state = State.DEAD
    head.save()
    assert claimed_numbers(claim(100)) == [("b", 0)]
    operations.discard(Delivery.objects.filter(id=head.id), by=operations.Operator("tests", via="cli"))
    assert claimed_numbers(claim(100)) == [("a", 1)]


def test_a_retry_waiting_for_its_backoff_holds_back_its_key():
    publish_sequence("a", 2)
    relay(100)
    Delivery.objects.filter(event__data={"n": 0}).update(available_at=timezone.now() + timedelta(minutes=1))
    assert claim(100) is None
