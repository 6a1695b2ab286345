"""eventbus.troubled_deliveries: which correlations have a dead, discarded or retrying delivery."""

from __future__ import annotations

import pytest

from eventbus import publish, troubled_deliveries
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
