"""The store's hand-written statements: the same rows as the ORM's definitions, and prepared on PostgreSQL."""

from datetime import timedelta
from uuid import uuid4

import pytest
from django.db import connection, transaction
from django.utils import timezone

from eventbus import operations, publish, store
from eventbus.engine.routing import local_subscribers
from eventbus.models import Delivery, OutboxEvent, Subscription
from eventbus.store import delivering, statements, subscriptions
from eventbus.testing import relay
from eventbus.topology.subscribers import all_subscribers
from tests.busapp.events import Fanout, Ping, Sequenced

pytestmark = pytest.mark.django_db
State = Delivery.State


def mixed_backlog() -> None:
    """Due, not yet due, blocked behind an open or dead earlier delivery, behind an earlier event still
    in the outbox, and of a paused subscriber."""
    for n in range(3):
        publish(Sequenced(n=n), key="open")
        publish(Sequenced(n=n), key="dead")
        publish(Fanout(n=n), key=f"fan-{n}")
        publish(Ping(n=n), key=f"ping-{n}")
    relay(100)
    head = Delivery.objects.filter(key="dead").order_by("event_id").first()
    assert head is not None
    Delivery.objects.filter(id=head.id).update(state=State.DEAD)
    later = Delivery.objects.filter(subscriber="busapp.fail_until_fixed", key="fan-2")
    later.update(available_at=timezone.now() + timedelta(minutes=5))
    publish(Sequenced(n=9), key="held")
    held = OutboxEvent.objects.get(key="held")
    publish(Sequenced(n=10), key="held")
    relay(100)
    Delivery.objects.filter(event_id=held.id).delete()
    OutboxEvent.objects.filter(id=held.id).update(dispatched_at=None)
    operations.pause("busapp.record_ping", by=operations.Operator("tests", via="cli", reason="a paused subscriber"))


@pytest.mark.postgres
def test_the_claim_statement_leases_what_the_orm_claim_leases_claim_after_claim():
    mixed_backlog()
    now = timezone.now()
    mine = [found.id for found in local_subscribers()]
    claims = 0
    while True:
        before = transaction.savepoint_create()
        by_orm = delivering._claim_with_orm(mine, 2, now=now, token=uuid4(), lease_expires_at=now)
        transaction.savepoint_rollback(before)
        found = store.claim(mine, 2, now=now, token=uuid4())
        if by_orm is None:
            assert found is None
            break
        assert found is not None
        ids, subscriber, picked = by_orm
        assert (found.ids, found.subscriber, found.more_due) == (ids, subscriber, picked > len(ids) or picked == 2)
        claims += 1
    assert claims >= 5, "the backlog took several claims of at most two"
    assert Delivery.objects.filter(subscriber="busapp.record_ping", state=State.PENDING).count() == 3


@pytest.mark.postgres
def test_the_relay_statement_fans_out_as_the_orm_relay_does():
    subscriptions.sync(all_subscribers(), authoritative=True)
    Subscription.objects.filter(id="busapp.fail_until_fixed").update(retired_at=timezone.now())
    for n in range(3):
        publish(Fanout(n=n), key=f"k{n}")
        publish(Ping(n=n), key=f"k{n}")
    now = timezone.now()
    before = transaction.savepoint_create()
    by_orm = delivering._relay_with_orm(4, now=now)
    orm_rows = sorted(Delivery.objects.values_list("event_id", "subscriber", "key", "ordered", "state"))
    transaction.savepoint_rollback(before)
    found = store.relay(4, now=now)
    assert found == by_orm
    assert sorted(Delivery.objects.values_list("event_id", "subscriber", "key", "ordered", "state")) == orm_rows
    assert {row[1] for row in orm_rows} == {"busapp.record_fanout", "busapp.record_ping"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # it closes the connection, which a test's own transaction would not survive
def test_the_hot_statements_are_prepared_on_postgresql_unless_turned_off(settings):
    def prepared_here() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%SKIP LOCKED%'")
            return cursor.fetchone()[0]

    connection.close()
    store.relay(10, now=timezone.now())
    store.claim(["busapp.record_ping"], 10, now=timezone.now(), token=uuid4())
    assert prepared_here() == 2

    settings.EVENTBUS_PREPARED_STATEMENTS = False
    connection.close()
    store.relay(10, now=timezone.now())
    store.claim(["busapp.record_ping"], 10, now=timezone.now(), token=uuid4())
    assert prepared_here() == 0


def test_durations_are_written_per_delivery():
    for n in range(3):
        publish(Ping(n=n), key=str(n))
    relay(100)
    ids = list(Delivery.objects.order_by("id").values_list("id", flat=True))
    ends = {id: timezone.now() - timedelta(seconds=index) for index, id in enumerate(ids)}
    store.record_durations({id: (ends[id], 10.5 * (index + 1)) for index, id in enumerate(ids)})
    written = dict(Delivery.objects.values_list("id", "duration_ms"))
    assert written == {id: 10.5 * (index + 1) for index, id in enumerate(ids)}
    assert dict(Delivery.objects.values_list("id", "finished_at")) == ends


def test_a_claims_deliveries_are_read_with_their_events_as_the_orm_reads_them():
    publish(Fanout(n=7), key="fan", deliver_at=timezone.now() - timedelta(seconds=1))
    publish(Ping(n=8), key="ping")
    relay(100)
    subscribers = [found.id for found in local_subscribers()]
    claim = store.claim(subscribers, 10, now=timezone.now(), token=uuid4())
    assert claim is not None
    assert len(claim.ids) == 1
    other = store.claim(subscribers, 10, now=timezone.now(), token=uuid4())
    assert other is not None

    found = store.claimed(claim)

    by_orm = Delivery.objects.select_related("event").get(id=claim.ids[0])
    [(delivery_id, delivery)] = found.items()
    assert delivery_id == by_orm.id
    assert {f.attname: getattr(delivery, f.attname) for f in Delivery._meta.concrete_fields} == {
        f.attname: getattr(by_orm, f.attname) for f in Delivery._meta.concrete_fields
    }
    assert {f.attname: getattr(delivery.event, f.attname) for f in OutboxEvent._meta.concrete_fields} == {
        f.attname: getattr(by_orm.event, f.attname) for f in OutboxEvent._meta.concrete_fields
    }
    assert isinstance(delivery.event.data, dict)
    assert delivery.event.data["n"] in (7, 8)
    assert store.claimed(other).keys() == set(other.ids)  # another claim's deliveries are its own
    Delivery.objects.filter(id__in=other.ids).update(state=State.DONE)
    assert statements.claimed(other.ids, other.token) == []  # finished meanwhile: a re-read leaves it out


def test_on_postgresql_the_claim_reads_what_it_leased_in_the_same_statement(django_assert_num_queries):
    publish(Ping(n=8), key="ping")
    relay(100)
    subscribers = [found.id for found in local_subscribers()]
    claim = store.claim(subscribers, 10, now=timezone.now(), token=uuid4())
    assert claim is not None

    with django_assert_num_queries(0 if connection.vendor == "postgresql" else 1):
        [delivery] = store.claimed(claim).values()

    assert (delivery.state, delivery.claim_token, delivery.attempts) == (State.RUNNING, claim.token, 1)
    assert delivery.event.data == {"n": 8}
