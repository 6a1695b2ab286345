"""Topology as data: fan-out from the Subscription table, retired subscribers, replay, the map."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from eventbus import publish, store, subscribe
from eventbus.kernel.errors import UndeclaredPublish
from eventbus.models import Delivery, OutboxEvent, Subscription
from eventbus.operations.flow import choreography
from eventbus.operations.graph import mermaid
from eventbus.store import subscriptions
from eventbus.testing import relay, run_pending
from eventbus.topology.subscribers import all_subscribers, unsubscribe
from tests.busapp.events import Ping
from tests.busapp.models import Effect

pytestmark = pytest.mark.django_db
State = Delivery.State


def another_release_subscribes(subscriber: str) -> None:
    """A subscription of Ping that this process's code does not have, as another release would write it."""
    Subscription.objects.create(
        id=subscriber,
        event_type="busapp.Ping",
        queue=subscriber.split(".")[0],
        max_attempts=3,
        timeout_seconds=30,
        registered_at=timezone.now(),
    )


def test_migrate_writes_every_declared_subscriber_with_its_options():
    row = Subscription.objects.get(id="busapp.fail_until_fixed")
    assert (row.event_type, row.queue, row.max_attempts, row.retired_at) == ("busapp.Fanout", "busapp", 4, None)
    assert Subscription.objects.get(id="payments.charge_order").publishes == [
        "payments.PaymentFailed",
        "payments.PaymentRefunded",
        "payments.PaymentSucceeded",
    ]


def test_fan_out_follows_the_table_not_the_relaying_process():
    another_release_subscribes("elsewhere.audit_ping")
    publish(Ping(n=1), key="k")
    store.relay(10, now=timezone.now())  # this process has no elsewhere.audit_ping: its delivery is made all the same
    assert set(Delivery.objects.values_list("subscriber", flat=True)) == {"busapp.record_ping", "elsewhere.audit_ping"}
    run_pending()
    assert Delivery.objects.get(subscriber="elsewhere.audit_ping").state == State.PENDING


def test_a_subscriber_gone_from_the_code_is_retired_and_reported_not_dropped(capsys):
    @subscribe(Ping, id="tests.short_lived")
    def short_lived(event: Ping) -> None:
        raise RuntimeError("not yet")

    try:
        publish(Ping(n=1), key="k")
        run_pending()
    finally:
        unsubscribe("tests.short_lived")
    subscriptions.sync(all_subscribers(), authoritative=True)
    assert Subscription.objects.get(id="tests.short_lived").retired_at is not None
    assert Delivery.objects.get(subscriber="tests.short_lived").state == State.PENDING
    call_command("eventbus", "status")
    assert "RETIRED" in capsys.readouterr().out
    publish(Ping(n=2), key="k")
    relay()
    assert Delivery.objects.filter(subscriber="tests.short_lived").count() == 1


def test_a_worker_adds_its_subscribers_but_never_rewrites_or_retires():
    Subscription.objects.filter(id="busapp.record_ping").update(max_attempts=99)
    another_release_subscribes("newer.release_only")
    Subscription.objects.filter(id="busapp.record_fanout").delete()
    subscriptions.sync(all_subscribers(), authoritative=False)
    assert Subscription.objects.get(id="busapp.record_ping").max_attempts == 99
    assert Subscription.objects.get(id="newer.release_only").retired_at is None
    assert Subscription.objects.filter(id="busapp.record_fanout").exists()


def test_backfill_gives_a_new_subscriber_the_events_it_never_got_once():
    for n in range(3):
        publish(Ping(n=n), key="k")
    run_pending()

    @subscribe(Ping, id="tests.late_comer")
    def late_comer(event: Ping) -> None:
        Effect.objects.create(subscriber="tests.late_comer", event_id=OutboxEvent.objects.first().event_id, key="", n=0)

    try:
        run_pending()
        assert not Delivery.objects.filter(subscriber="tests.late_comer").exists()
        since = (timezone.now() - timedelta(hours=1)).isoformat()
        call_command("eventbus", "replay", "--subscriber", "tests.late_comer", "--since", since)
        call_command("eventbus", "replay", "--subscriber", "tests.late_comer", "--since", since)
        run_pending()
    finally:
        unsubscribe("tests.late_comer")
    assert Effect.objects.filter(subscriber="tests.late_comer").count() == 3


def test_replay_runs_a_chosen_delivery_again():
    envelope = publish(Ping(n=1), key="k")
    run_pending()
    call_command("eventbus", "replay", "--event", str(envelope.id))
    assert Delivery.objects.get().state == State.PENDING
    run_pending()
    assert Effect.objects.filter(subscriber="busapp.record_ping").count() == 2


def test_a_handler_that_publishes_what_it_did_not_declare_fails():
    @subscribe(Ping, id="tests.sneaky")
    def sneaky(event: Ping) -> None:
        if event.n == 1:
            publish(Ping(n=2), key="k")

    try:
        publish(Ping(n=1), key="k")
        run_pending()
    finally:
        unsubscribe("tests.sneaky")
    failed = Delivery.objects.get(subscriber="tests.sneaky")
    assert failed.state == State.PENDING
    assert UndeclaredPublish.__name__ in failed.last_error
    assert not OutboxEvent.objects.filter(data={"n": 2}).exists()


def test_the_map_walks_the_saga_from_order_to_confirmation():
    edges = mermaid(choreography())
    for edge in [
        "event_orders_OrderCreated --> payments_charge_order",
        "payments_charge_order -.-> event_payments_PaymentSucceeded",
        "event_payments_PaymentSucceeded --> shipping_book_shipment",
        "shipping_book_shipment -.-> event_shipping_ShipmentCreated",
        "event_shipping_ShipmentCreated --> orders_confirm_order",
        "orders_confirm_order -.-> event_orders_OrderConfirmed",
        "shipping_book_shipment -.-> event_shipping_ShipmentFailed",
        "event_shipping_ShipmentFailed --> payments_refund_unshippable_order",
        "payments_refund_unshippable_order -.-> event_payments_PaymentRefunded",
        "event_payments_PaymentRefunded --> orders_cancel_refunded_order",
        "orders_cancel_refunded_order -.-> event_orders_OrderCancelled",
    ]:
        assert edge in edges
