"""publish(): one outbox row in the caller's transaction, a clear error anywhere else."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from pydantic import ValidationError

from eventbus import publish
from eventbus.kernel.errors import NotAnEvent, NotInTransaction
from eventbus.models import OutboxEvent, Subscription
from eventbus.store import subscriptions
from eventbus.testing import capture_published, run_pending
from eventbus.topology.subscribers import all_subscribers
from eventbus.transport import doorbell
from tests.busapp.events import Ping
from tests.busapp.models import Effect


@pytest.mark.django_db(transaction=True)
def test_publish_outside_a_transaction_is_refused_and_writes_nothing():
    with pytest.raises(NotInTransaction, match=r"transaction\.atomic"):
        publish(Ping(n=1), key="k")
    assert OutboxEvent.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_an_event_published_in_a_rolled_back_transaction_leaves_no_row():
    with pytest.raises(RuntimeError), transaction.atomic():
        publish(Ping(n=1), key="k")
        raise RuntimeError("the state change failed")
    assert OutboxEvent.objects.count() == 0


@pytest.mark.django_db
def test_publishing_something_that_is_not_an_event_raises_at_the_call_site():
    with pytest.raises(NotAnEvent):
        publish({"n": 1}, key="k")  # type: ignore[arg-type]


def test_an_invalid_event_cannot_be_built():
    with pytest.raises(ValidationError):
        Ping(n=-1)


def test_events_are_immutable():
    with pytest.raises(ValidationError):
        Ping(n=1).n = 2  # type: ignore[misc]


@pytest.mark.django_db
def test_publish_records_a_cloudevents_envelope():
    with capture_published() as published:
        envelope = publish(Ping(n=7), key="order-1")
    assert published == [envelope]
    event = envelope.to_cloudevent()
    assert event["specversion"] == "1.0"
    assert event["type"] == "busapp.Ping"
    assert event["subject"] == "order-1"
    assert event["data"] == {"n": 7}
    assert event["correlationid"] == "order-1"
    assert envelope.id.version == 7
    assert published.of(Ping) == [Ping(n=7)]


@pytest.mark.django_db
def test_event_ids_are_time_ordered():
    first = publish(Ping(n=1), key="k")
    second = publish(Ping(n=2), key="k")
    assert first.id < second.id


@pytest.mark.django_db
def test_a_delayed_event_is_not_delivered_before_its_time():
    deliver_at = timezone.now() + timedelta(minutes=15)
    publish(Ping(n=1), key="k", deliver_at=deliver_at)
    assert run_pending() == 0
    assert run_pending(now=deliver_at + timedelta(seconds=1)) == 1
    assert Effect.objects.count() == 1


@pytest.mark.django_db
def test_deliver_at_must_be_timezone_aware():
    with pytest.raises(ValueError, match="timezone-aware"):
        publish(Ping(n=1), key="k", deliver_at=timezone.now().replace(tzinfo=None))


@pytest.mark.django_db
def test_a_transaction_rings_the_doorbell_once_however_many_events_it_publishes(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for n in range(5):
            publish(Ping(n=n), key="k")
    assert len(callbacks) == 1


@pytest.fixture
def rings(monkeypatch) -> list[frozenset[str | None]]:
    """What commits ask the doorbell thread to ring, with a fresh copy of the subscriptions' queues."""
    asked: list[frozenset[str | None]] = []
    monkeypatch.setattr(doorbell, "_subscribed_queues", doorbell._SubscribedQueues())
    monkeypatch.setattr(doorbell._ringer, "ring", asked.append)
    return asked


@pytest.mark.django_db
def test_a_delayed_event_sends_no_broker_message_while_it_waits(django_capture_on_commit_callbacks, rings):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        publish(Ping(n=1), key="k", deliver_at=timezone.now() + timedelta(minutes=15))
    assert rings == []


@pytest.mark.django_db
def test_an_event_due_now_rings_its_subscribers_queues_after_commit(django_capture_on_commit_callbacks, rings):
    subscriptions.sync(all_subscribers(), authoritative=True)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        publish(Ping(n=1), key="k", deliver_at=timezone.now() + timedelta(minutes=15))
        publish(Ping(n=2), key="k")
    assert rings == [frozenset({"busapp"})]


@pytest.mark.django_db
def test_an_event_type_no_subscription_names_rings_nothing(django_capture_on_commit_callbacks, rings):
    subscriptions.sync(all_subscribers(), authoritative=True)
    Subscription.objects.filter(event_type=Ping.event_type).update(retired_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        publish(Ping(n=1), key="k")
    assert rings == []


@pytest.mark.django_db
def test_without_any_subscription_to_go_by_a_commit_rings_the_relay(django_capture_on_commit_callbacks, rings):
    Subscription.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        publish(Ping(n=1), key="k")
    assert rings == [frozenset({None})]


@pytest.mark.django_db
def test_when_the_subscriptions_cannot_be_read_a_commit_rings_the_relay(
    django_capture_on_commit_callbacks, rings, monkeypatch
):
    subscriptions.sync(all_subscribers(), authoritative=True)
    monkeypatch.setattr(doorbell.store, "subscribed_queues", lambda: 1 / 0)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        publish(Ping(n=1), key="k")
    assert rings == [frozenset({None})]
