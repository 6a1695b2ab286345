"""eventbus.troubled_deliveries: which correlations have a dead, discarded or retrying delivery."""

from __future__ import annotations

import pytest

from eventbus import operations, publish, troubled_deliveries
from eventbus.models import Delivery
from eventbus.testing import run_pending
from tests.busapp.events import Fanout

pytestmark = pytest.mark.django_db
State = Delivery.State


@pytest.fixture
def fanout() -> None:
    """busapp.Fanout of correlation "saga-1": record_fanout done, fail_until_fixed retrying."""
    publish(Fanout(n=1), key="k", correlation_id="saga-1")
    run_pending()


def states() -> dict[str, str]:
    return {trouble.subscriber: trouble.state for trouble in troubled_deliveries()}


def test_a_retrying_delivery_is_troubled_and_a_done_one_is_not(fanout):
    [trouble] = troubled_deliveries(["saga-1"])
    assert (trouble.correlation_id, trouble.subscriber, trouble.event_type) == (
        "saga-1",
        "busapp.fail_until_fixed",
        "busapp.Fanout",
    )
    assert trouble.retrying
    assert trouble.max_attempts == 4
    assert trouble.attempts >= 1
    assert "broken handler refuses event 1" in trouble.last_error
    assert trouble.next_attempt_at is not None
    assert troubled_deliveries(["another-saga"]) == []


def test_dead_and_discarded_are_troubled_but_not_a_delivery_handed_over(fanout):
    failing = Delivery.objects.filter(subscriber="busapp.fail_until_fixed")
    failing.update(state=State.DEAD)
    assert states() == {"busapp.fail_until_fixed": "dead"}
    dead = troubled_deliveries()[0]
    assert not dead.retrying
    assert dead.next_attempt_at is None

    failing.update(state=State.DISCARDED)
    assert states() == {"busapp.fail_until_fixed": "discarded"}

    failing.update(last_error="handed over: its context runs in another service")
    assert states() == {}


def test_a_dead_letter_retried_by_an_operator_is_due_work_not_a_retry(fanout):
    failing = Delivery.objects.filter(subscriber="busapp.fail_until_fixed")
    failing.update(state=State.DEAD)
    operations.retry(failing, by=operations.Operator("tests", via="cli"))
    retried = failing.get()
    assert (retried.state, retried.attempts) == ("pending", 0)
    assert retried.last_error  # kept, as the flow, the health card and saga_health ignore it

    assert troubled_deliveries() == []


def test_kinds_choose_what_is_read_most_pressing_first_and_at_most_bounds_it():
    for n in (1, 2, 3):
        publish(Fanout(n=n), key=f"k{n}", correlation_id=f"saga-{n}")
    run_pending()
    failing = Delivery.objects.filter(subscriber="busapp.fail_until_fixed").order_by("id")
    first, _, third = failing
    failing.filter(id=third.id).update(state=State.DEAD)
    failing.filter(id=first.id).update(state=State.DISCARDED)

    assert [t.correlation_id for t in troubled_deliveries()] == ["saga-3", "saga-1", "saga-2"]
    assert [t.state for t in troubled_deliveries(kinds=["retrying"])] == ["pending"]
    assert [t.correlation_id for t in troubled_deliveries(kinds=["dead", "discarded"], at_most=1)] == ["saga-3"]
    with pytest.raises(ValueError, match="unknown kinds"):
        troubled_deliveries(kinds=["running"])
