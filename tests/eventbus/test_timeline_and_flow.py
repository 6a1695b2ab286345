"""The bus's views of itself: one saga's timeline in causal order, and the choreography map."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from eventbus import publish
from eventbus.kernel.context import handling
from eventbus.models import Delivery, OutboxEvent
from eventbus.operations.flow import choreography
from eventbus.store.history import timeline
from eventbus.testing import run_pending
from tests.busapp.events import Fanout, Ping

pytestmark = pytest.mark.django_db


def publish_caused_by(cause, event, key="saga"):
    with transaction.atomic(), handling(cause):
        return publish(event, key=key)


def test_a_timeline_nests_effects_under_their_cause_whatever_the_publish_order():
    with transaction.atomic():
        root = publish(Ping(n=0), key="saga")
        other_root = publish(Ping(n=1), key="saga")
    child_of_second = publish_caused_by(other_root, Ping(n=2))
    child_of_first = publish_caused_by(root, Ping(n=3))
    grandchild = publish_caused_by(child_of_first, Ping(n=4))
    with transaction.atomic():
        publish(Ping(n=5), key="elsewhere")

    steps = timeline("saga")
    assert [(step.id, step.depth) for step in steps] == [
        (root.id, 0),
        (child_of_first.id, 1),
        (grandchild.id, 2),
        (other_root.id, 0),
        (child_of_second.id, 1),
    ]
    assert steps[1].causation_id == root.id


def test_an_event_whose_cause_was_purged_starts_its_own_branch():
    with transaction.atomic():
        root = publish(Ping(n=0), key="saga")
    child = publish_caused_by(root, Ping(n=1))
    OutboxEvent.objects.filter(event_id=root.id).delete()
    assert [(step.id, step.depth) for step in timeline("saga")] == [(child.id, 0)]


def test_a_timeline_carries_each_deliverys_outcome_and_duration():
    with transaction.atomic():
        publish(Fanout(n=1), key="saga")
    run_pending()
    [event] = timeline("saga")
    by_subscriber = {step.subscriber: step for step in event.deliveries}
    assert by_subscriber["busapp.record_fanout"].state == "done"
    assert by_subscriber["busapp.record_fanout"].duration_ms > 0
    failing = by_subscriber["busapp.fail_until_fixed"]
    assert (failing.state, failing.attempts) == ("pending", 1)
    assert "broken handler refuses event 1" in failing.last_error
    assert failing.duration_ms is not None


def test_the_map_names_publishers_and_reactions_and_counts_the_window_and_what_is_open_now():
    with transaction.atomic():
        publish(Fanout(n=1), key="a")
        publish(Fanout(n=2), key="b")
    run_pending()
    Delivery.objects.filter(subscriber="busapp.fail_until_fixed", key="b").update(
        state="dead", finished_at=timezone.now()
    )
    flows = {flow.event_type: flow for flow in choreography(since=timezone.now() - timedelta(hours=1))}

    fanout = flows["busapp.Fanout"]
    assert fanout.publisher == "busapp"
    counts = {reaction.subscriber: reaction.counts for reaction in fanout.reactions}
    assert (counts["busapp.record_fanout"].handled, counts["busapp.record_fanout"].retrying) == (2, 0)
    assert (counts["busapp.fail_until_fixed"].retrying, counts["busapp.fail_until_fixed"].dead) == (1, 1)
    assert {reaction.context for reaction in flows["orders.OrderCreated"].reactions} == {"payments", "shipping"}
    assert flows["orders.OrderCreated"].publisher == "orders"

    later = {flow.event_type: flow for flow in choreography(since=timezone.now() + timedelta(seconds=1))}
    later_counts = {reaction.subscriber: reaction.counts for reaction in later["busapp.Fanout"].reactions}
    assert later_counts["busapp.record_fanout"].handled == 0
    assert (later_counts["busapp.fail_until_fixed"].retrying, later_counts["busapp.fail_until_fixed"].dead) == (1, 1), (
        "what waits for a retry or an operator counts whenever it finished"
    )


def test_an_event_nobody_reacts_to_is_still_on_the_map():
    flows = {flow.event_type: flow for flow in choreography(since=timezone.now())}
    assert flows["orders.OrderConfirmed"].reactions == ()
