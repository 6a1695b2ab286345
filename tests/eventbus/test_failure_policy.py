"""Failure policy per subscriber: PermanentError, RetryAfter, a time limit, pause and resume."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from eventbus import Backoff, publish, subscribe
from eventbus.models import Delivery
from eventbus.testing import run_pending
from eventbus.topology.subscribers import unsubscribe
from tests.busapp.events import Ping, Verdict
from tests.busapp.models import Effect

pytestmark = pytest.mark.django_db
State = Delivery.State


def judged() -> Delivery:
    return Delivery.objects.get(subscriber="busapp.judge")


def test_a_permanent_error_dead_letters_at_once_with_its_reason():
    publish(Verdict(outcome="permanent"), key="k")
    run_pending()
    dead = judged()
    assert (dead.state, dead.attempts) == (State.DEAD, 1)
    assert "PermanentError: this event can never be handled" in dead.last_error


def test_retry_after_waits_as_long_as_it_asks_and_spends_the_attempt():
    publish(Verdict(outcome="retry-after"), key="k")
    before = timezone.now()
    run_pending()
    waiting = judged()
    assert (waiting.state, waiting.attempts) == (State.PENDING, 1)
    assert before + timedelta(seconds=119) < waiting.available_at < timezone.now() + timedelta(seconds=121)
    assert "come back in two minutes" in waiting.last_error


def test_a_handler_past_its_time_limit_fails_its_attempt_and_is_retried():
    calls = []

    # A retry a minute away: with the default jittered back-off it may fall due within the same
    # run_pending() on a busy machine, and the first assertion below would see it done already.
    @subscribe(Ping, id="tests.stuck", timeout=0.2, backoff=Backoff(base_seconds=60, max_seconds=60, jitter=False))
    def stuck(event: Ping) -> None:
        calls.append(event.n)
        if len(calls) == 1:
            timezone_sleep(5)

    try:
        publish(Ping(n=1), key="k")
        started = timezone.now()
        run_pending()
        stopped = Delivery.objects.get(subscriber="tests.stuck")
        assert timezone.now() - started < timedelta(seconds=3)
        assert stopped.state == State.PENDING
        assert "HandlerTimeout" in stopped.last_error
        run_pending(now=timezone.now() + timedelta(minutes=10))
    finally:
        unsubscribe("tests.stuck")
    assert Delivery.objects.get(subscriber="tests.stuck").state == State.DONE
    assert calls == [1, 1]


def timezone_sleep(seconds: float) -> None:
    import time

    time.sleep(seconds)


def test_a_paused_subscriber_keeps_its_deliveries_waiting_without_spending_attempts(capsys):
    run_pending()  # the topology knows busapp.record_ping
    call_command("eventbus", "pause", "busapp.record_ping", "--reason", "provider down")
    publish(Ping(n=1), key="k")
    later = timezone.now() + timedelta(minutes=5)
    run_pending(now=later)
    waiting = Delivery.objects.get(subscriber="busapp.record_ping")
    assert (waiting.state, waiting.attempts) == (State.PENDING, 0)
    call_command("eventbus", "status")
    assert "PAUSED" in capsys.readouterr().out
    call_command("eventbus", "resume", "busapp.record_ping")
    run_pending(now=later)
    assert Delivery.objects.get(subscriber="busapp.record_ping").state == State.DONE
    assert Effect.objects.filter(subscriber="busapp.record_ping").count() == 1
