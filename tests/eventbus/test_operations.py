"""Operating the bus: status, dead-letter retry and discard, purge of finished rows."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from eventbus import publish
from eventbus.models import Delivery, OutboxEvent
from eventbus.testing import run_pending
from tests.busapp.events import Fanout, Ping
from tests.busapp.models import Effect, Switch

pytestmark = pytest.mark.django_db
State = Delivery.State


def eventbus(*args: str) -> str:
    out = StringIO()
    call_command("eventbus", *args, stdout=out)
    return out.getvalue()


def kill_flaky_delivery() -> Delivery:
    publish(Fanout(n=1), key="k")
    run_pending()
    Delivery.objects.filter(subscriber="busapp.fail_until_fixed").update(state=State.DEAD, last_error="boom")
    return Delivery.objects.get(subscriber="busapp.fail_until_fixed")


def test_status_counts_by_subscriber_and_state():
    publish(Ping(n=1), key="k")
    publish(Ping(n=2), key="k", deliver_at=timezone.now() + timedelta(hours=1))
    output = eventbus("status")
    assert "outbox undispatched: 1 (scheduled for later: 1)" in output
    run_pending()
    row = next(line for line in eventbus("status").splitlines() if line.startswith("busapp.record_ping"))
    assert row.split()[1:] == ["0", "0", "1", "0", "0"]


def test_dlq_list_shows_the_dead_letter_and_its_error():
    dead = kill_flaky_delivery()
    output = eventbus("dlq", "list")
    assert str(dead.id) in output
    assert "busapp.fail_until_fixed" in output
    assert "boom" in output


def test_dlq_list_says_when_there_is_no_dead_letter():
    publish(Ping(n=1), key="k")
    run_pending()

    assert eventbus("dlq", "list") == "no dead letters\n"
    assert eventbus("dlq", "list", "--subscriber", "busapp.record_ping") == "no dead letters of busapp.record_ping\n"


def test_dlq_retry_after_a_fix_makes_the_delivery_done():
    dead = kill_flaky_delivery()
    Switch.objects.create(name="fixed")
    assert "retry: 1 delivery" in eventbus("dlq", "retry", str(dead.id))
    run_pending()
    dead.refresh_from_db()
    assert dead.state == State.DONE
    assert Effect.objects.filter(subscriber="busapp.fail_until_fixed").count() == 1


def test_dlq_discard_needs_ids_or_all():
    kill_flaky_delivery()
    with pytest.raises(CommandError, match="--all"):
        eventbus("dlq", "discard")
    eventbus("dlq", "discard", "--all")
    assert Delivery.objects.filter(state=State.DISCARDED).count() == 1


def test_purge_removes_only_old_events_whose_deliveries_all_finished():
    publish(Ping(n=1), key="old")
    kill_flaky_delivery()
    run_pending()
    OutboxEvent.objects.update(time=timezone.now() - timedelta(days=8))
    publish(Ping(n=2), key="new")
    run_pending()
    assert "purged 1 finished events" in eventbus("purge", "--older-than", "7d")
    assert sorted(OutboxEvent.objects.values_list("key", flat=True)) == ["k", "new"]


def test_purge_rejects_a_malformed_duration():
    with pytest.raises(CommandError, match="7d"):
        eventbus("purge", "--older-than", "a week")
