"""Every retry, discard, replay, backfill, pause, resume, purge, key rotation and operator cancel, from
the admin, the command line or the API, leaves an audit record (who, when, through which door, what,
why) that staff with the view permission read in admin and nobody changes."""

import getpass
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone

from eventbus import operations, publish, store
from eventbus.models import Delivery, OperatorAction, OutboxEvent, Subscription
from eventbus.testing import run_pending
from orders.models import Order
from tests.busapp.events import Ping
from tests.security.conftest import ApiUser

pytestmark = pytest.mark.django_db
CLI = f"cli:{getpass.getuser()}"
CONFIRMED = {"confirm": "yes", "reason": "checked the order"}


def only_record() -> OperatorAction:
    [record] = OperatorAction.objects.all()
    return record


@pytest.mark.parametrize("action", ["retry_deliveries", "discard_deliveries"])
def test_an_admin_bulk_action_is_recorded_with_the_user(admin_client, dead_letter, action):
    chosen = {"action": action, "_selected_action": [dead_letter.id], **CONFIRMED}
    admin_client.post(reverse("admin:eventbus_deadletter_changelist"), chosen)

    record = only_record()
    assert (record.operator, record.via, record.count, record.reason) == ("admin", "admin", 1, CONFIRMED["reason"])
    assert record.action == action.removesuffix("_deliveries")
    assert record.target == f"deliveries {dead_letter.id}"


def test_the_discard_button_on_a_saga_is_recorded(admin_client, dead_letter):
    admin_client.post(reverse("admin:eventbus_delivery_discard", args=[dead_letter.id]), CONFIRMED)
    assert (only_record().action, only_record().target) == ("discard", f"deliveries {dead_letter.id}")


def test_an_action_that_changed_nothing_still_says_so(admin_client, dead_letter):
    Delivery.objects.filter(id=dead_letter.id).update(state=Delivery.State.DONE)
    admin_client.post(reverse("admin:eventbus_delivery_retry", args=[dead_letter.id]), CONFIRMED)
    assert only_record().count == 0


def test_a_command_line_discard_keeps_the_reason_and_who_ran_it(dead_letter):
    call_command(
        "eventbus", "dlq", "discard", str(dead_letter.id), "--reason", "duplicate of #7", "--operator", "alice"
    )

    record = only_record()
    assert (record.operator, record.via, record.action) == (f"alice ({CLI})", "cli", "discard")
    assert record.reason == "duplicate of #7"
    assert record.at is not None


@pytest.mark.parametrize(
    ("arguments", "action", "target"),
    [
        (["pause", "busapp.record_ping", "--reason", "provider down"], "pause", "subscriber busapp.record_ping"),
        (["resume", "busapp.record_ping"], "resume", "subscriber busapp.record_ping"),
        (["replay", "--delivery", "0"], "replay", "deliveries "),
        (
            ["replay", "--subscriber", "busapp.record_ping", "--since", "1h"],
            "backfill",
            "subscriber busapp.record_ping",
        ),
        (["purge", "--older-than", "7d"], "purge", "finished events before "),
        (["rotate-keys"], "rotate field keys", "outbox rows of orders.OrderCreated"),
    ],
)
def test_every_acting_command_is_recorded(arguments, action, target):
    if action == "resume":
        call_command("eventbus", "pause", "busapp.record_ping")
        OperatorAction.objects.all().delete()
    call_command("eventbus", *arguments)
    record = only_record()
    assert (record.operator, record.via, record.action) == (CLI, "cli", action)
    assert record.target.startswith(target)


def test_an_operator_cancel_through_the_api_is_recorded_with_its_reason(alice, staff):
    order_id = alice.place().json()["id"]
    staff.user.user_permissions.add(Permission.objects.get(codename="cancel_order"))

    answer = staff.client.post(f"/api/orders/{order_id}/cancel/", {"reason": "fraud suspected"}, format="json")

    assert answer.status_code == 202
    record = only_record()
    assert (record.operator, record.via, record.action) == ("operator", "api", "cancel order")
    assert (record.target, record.reason) == (f"order {order_id}", "fraud suspected")


def test_an_operator_cancel_in_admin_is_recorded(admin_client, alice):
    order_id = alice.place().json()["id"]
    admin_client.post(
        reverse("admin:orders_order_changelist"), {"action": "request_cancellation", "_selected_action": [order_id]}
    )
    assert Order.objects.get(id=order_id).cancel_requested_by == "admin"
    assert (only_record().via, only_record().target) == ("admin", f"order {order_id}")


def test_a_customer_cancelling_their_own_order_is_no_operator_action(alice):
    order_id = alice.place().json()["id"]
    assert alice.client.post(f"/api/orders/{order_id}/cancel/").status_code == 202
    run_pending()
    assert not OperatorAction.objects.exists()


def test_staff_with_the_view_permission_read_the_trail(client, dead_letter):
    call_command("eventbus", "dlq", "retry", str(dead_letter.id), "--reason", "provider is back")
    auditor = ApiUser("auditor", staff=True).user
    auditor.user_permissions.add(Permission.objects.get(codename="view_operatoraction"))
    client.force_login(auditor)

    listing = client.get(reverse("admin:eventbus_operatoraction_changelist")).content.decode()
    assert "provider is back" in listing


def test_not_even_a_superuser_changes_or_deletes_a_record(admin_client, dead_letter):
    call_command("eventbus", "dlq", "retry", str(dead_letter.id), "--reason", "provider is back")
    record = only_record()
    change = admin_client.post(reverse("admin:eventbus_operatoraction_change", args=[record.id]), {"reason": "none"})
    delete = admin_client.post(reverse("admin:eventbus_operatoraction_delete", args=[record.id]), {"post": "yes"})
    assert (change.status_code, delete.status_code) == (403, 403)
    record.refresh_from_db()
    assert record.reason == "provider is back"


def test_an_operator_cancel_of_an_order_already_being_cancelled_records_nothing(alice, staff):
    order_id = alice.place().json()["id"]
    assert alice.client.post(f"/api/orders/{order_id}/cancel/").status_code == 202
    staff.user.user_permissions.add(Permission.objects.get(codename="cancel_order"))

    assert staff.client.post(f"/api/orders/{order_id}/cancel/", {"reason": "late"}, format="json").status_code == 202

    assert not OperatorAction.objects.exists()
    assert Order.objects.get(id=order_id).cancel_requested_reason == "customer_cancelled"


def test_pausing_a_paused_subscriber_changes_and_records_nothing():
    call_command("eventbus", "pause", "busapp.record_ping", "--reason", "first")
    call_command("eventbus", "pause", "busapp.record_ping", "--reason", "second")
    assert only_record().reason == "first"
    assert Subscription.objects.get(id="busapp.record_ping").paused_reason == "first"


def test_a_purge_in_chunks_counts_exactly_what_its_committed_chunks_removed(monkeypatch):
    for n in range(3):
        with transaction.atomic():
            publish(Ping(n=n), key=f"k{n}")
    run_pending()
    OutboxEvent.objects.update(time=timezone.now() - timedelta(days=30))
    counted = store.audit_more
    chunks = iter(range(3))

    def second_chunk_fails(record_id: int, count: int) -> None:
        if next(chunks) == 0:
            raise DatabaseError("connection lost")  # inside the second chunk's transaction
        counted(record_id, count)

    monkeypatch.setattr(store, "audit_more", second_chunk_fails)
    with pytest.raises(DatabaseError):
        operations.purge(timedelta(days=7), by=operations.Operator("tests", via="cli"), chunk=1)

    assert OutboxEvent.objects.count() == 2  # the first chunk committed, the second rolled back
    assert only_record().count == 1
