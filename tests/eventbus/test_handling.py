"""Handling deliveries inline: effects and 'done' together, retries, dead letters, stale claims."""

from datetime import timedelta

import pytest
from django.utils import timezone

from eventbus import publish
from eventbus.engine.handling import process_claim
from eventbus.models import Delivery, OutboxEvent
from eventbus.store import release_expired_leases
from eventbus.testing import claim, relay, run_pending
from tests.busapp.events import Fanout, Ping
from tests.busapp.models import Effect, Switch

pytestmark = pytest.mark.django_db
State = Delivery.State


def delivery_of(subscriber: str) -> Delivery:
    return Delivery.objects.get(subscriber=subscriber)


def test_one_delivery_per_subscriber_and_each_handled_once():
    publish(Fanout(n=1), key="k")
    Switch.objects.create(name="fixed")
    assert run_pending() == 2
    assert sorted(Effect.objects.values_list("subscriber", flat=True)) == [
        "busapp.fail_until_fixed",
        "busapp.record_fanout",
    ]
    assert set(Delivery.objects.values_list("state", flat=True)) == {State.DONE}
    assert run_pending() == 0


def test_a_failing_subscriber_does_not_hold_up_the_other():
    publish(Fanout(n=1), key="k")
    run_pending()
    assert delivery_of("busapp.record_fanout").state == State.DONE
    failing = delivery_of("busapp.fail_until_fixed")
    assert failing.state == State.PENDING
    assert failing.attempts == 1
    assert "broken handler refuses event 1" in failing.last_error
    assert failing.available_at > timezone.now()


def test_a_failed_handler_leaves_no_effect_behind():
    publish(Fanout(n=1), key="k")
    run_pending()
    assert not Effect.objects.filter(subscriber="busapp.fail_until_fixed").exists()


def test_after_its_last_attempt_a_delivery_is_dead_with_its_traceback():
    publish(Fanout(n=1), key="k")
    later = timezone.now()
    for _ in range(4):
        later += timedelta(seconds=30)
        run_pending(now=later)
    failing = delivery_of("busapp.fail_until_fixed")
    assert failing.state == State.DEAD
    assert failing.attempts == 4
    assert "Traceback" in failing.last_traceback
    assert "RuntimeError: broken handler refuses event 1" in failing.last_traceback
    assert run_pending(now=later + timedelta(hours=1)) == 0


def test_a_stored_event_of_an_unknown_version_is_dead_lettered_with_the_reason():
    publish(Ping(n=1), key="k")
    OutboxEvent.objects.update(version=99)
    run_pending()
    dead = delivery_of("busapp.record_ping")
    assert dead.state == State.DEAD
    assert "busapp.Ping" in dead.last_error
    assert "99" in dead.last_error
    assert not Effect.objects.exists()


def test_a_stored_payload_that_no_longer_parses_is_dead_lettered():
    publish(Ping(n=1), key="k")
    OutboxEvent.objects.update(data={"n": "not a number"})
    run_pending()
    dead = delivery_of("busapp.record_ping")
    assert dead.state == State.DEAD
    assert "does not parse" in dead.last_error


def test_a_delivery_for_a_subscriber_this_process_lacks_waits_for_one_that_has_it():
    publish(Ping(n=1), key="k")
    relay(10)
    Delivery.objects.update(subscriber="busapp.removed_handler")
    run_pending()
    waiting = delivery_of("busapp.removed_handler")
    assert (waiting.state, waiting.attempts) == (State.PENDING, 0)
    assert not Effect.objects.exists()


def test_a_claim_handled_twice_has_one_effect():
    publish(Ping(n=1), key="k")
    relay(10)
    claimed = claim(10)
    assert process_claim(claimed).handled == 1
    assert process_claim(claimed).handled == 0
    assert Effect.objects.count() == 1


def test_a_stale_claim_whose_lease_was_re_driven_is_skipped():
    publish(Ping(n=1), key="k")
    relay(10)
    stale = claim(10)
    later = timezone.now() + timedelta(hours=1)
    assert release_expired_leases(now=later) == 1
    fresh = claim(10, now=later)
    assert process_claim(stale).handled == 0
    assert process_claim(fresh).handled == 1
    assert Effect.objects.count() == 1
    assert delivery_of("busapp.record_ping").attempts == 2


def test_a_lease_that_expires_on_the_last_attempt_dead_letters_the_delivery():
    publish(Fanout(n=1), key="k")
    relay(10)
    Delivery.objects.filter(subscriber="busapp.fail_until_fixed").update(attempts=3)
    claim(10)
    release_expired_leases(now=timezone.now() + timedelta(hours=1))
    dead = delivery_of("busapp.fail_until_fixed")
    assert dead.state == State.DEAD
    assert "worker was lost" in dead.last_error
    assert delivery_of("busapp.record_fanout").state == State.PENDING


def test_a_handler_publishing_inherits_correlation_and_causation():
    from eventbus import subscribe
    from eventbus.topology.subscribers import unsubscribe

    @subscribe(Ping, id="tests.echo", publishes=[Ping])
    def echo(event: Ping) -> None:
        if event.n == 1:
            publish(Ping(n=2), key="other")

    try:
        first = publish(Ping(n=1), key="k", correlation_id="saga-1")
        run_pending()
    finally:
        unsubscribe("tests.echo")
    second = OutboxEvent.objects.get(data={"n": 2})
    assert second.correlation_id == "saga-1"
    assert second.causation_id == first.id
