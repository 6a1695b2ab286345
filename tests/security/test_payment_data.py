"""The card token is a sensitive event field: sealed in the outbox, masked in admin and in the event's
repr, never logged, never echoed in a payment's failure reason; keys rotate without losing a saga."""

import json
import logging
from importlib import import_module

import pytest
from cryptography.fernet import Fernet
from django.apps import apps as django_apps
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse

from eventbus import conf
from eventbus.kernel.sensitive import MASK, SEALED_PREFIX
from eventbus.models import Delivery, OperatorAction, OutboxEvent
from eventbus.testing import capture_published, run_pending
from orders import events
from orders.models import Order
from payments.models import Payment
from tests.saga.factories import place_order
from tests.security.production import production

pytestmark = pytest.mark.django_db
TOKEN = "tok_declined"  # declined: the path on which the token used to reach a log line and the API


def order_created(order: Order) -> OutboxEvent:
    return OutboxEvent.objects.get(type="orders.OrderCreated", key=str(order.id))


def test_the_card_token_is_sealed_in_the_outbox():
    row = order_created(place_order(token=TOKEN))
    assert row.data["payment_token"].startswith(SEALED_PREFIX)
    assert TOKEN not in json.dumps(row.data)


def test_the_event_object_masks_its_token_and_a_handler_reads_it_explicitly():
    with capture_published() as published:
        place_order(token=TOKEN)
    [event] = published.of(events.OrderCreated)
    assert TOKEN not in repr(event)
    assert TOKEN not in str(event)
    assert TOKEN not in json.dumps(event.model_dump(mode="json"))
    assert event.payment_token.get_secret_value() == TOKEN


def test_the_token_is_not_logged_nor_echoed_in_the_payment(caplog):
    with caplog.at_level(logging.DEBUG):
        order = place_order(token=TOKEN)
        run_pending()
    payment = Payment.objects.get(order_id=order.id)
    assert payment.status == Payment.Status.FAILED
    assert payment.failure_reason == "card declined"
    assert "declined" in caplog.text  # the decline was logged, without the token
    assert TOKEN not in caplog.text


def test_view_only_staff_see_the_outbox_payload_with_its_token_masked(client, django_user_model):
    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_outboxevent"))
    client.force_login(viewer)
    row = order_created(place_order(token=TOKEN))

    page = client.get(reverse("admin:eventbus_outboxevent_change", args=[row.pk])).content.decode()

    assert "shipping_address" in page
    assert MASK in page
    assert TOKEN not in page
    assert SEALED_PREFIX not in page


def test_a_token_stored_in_clear_before_sealing_is_masked_too_and_not_searchable(admin_client):
    row = order_created(place_order(token=TOKEN))
    OutboxEvent.objects.filter(pk=row.pk).update(version=2, data={**row.data, "payment_token": TOKEN})

    page = admin_client.get(reverse("admin:eventbus_outboxevent_change", args=[row.pk])).content.decode()
    assert MASK in page
    assert TOKEN not in page
    guess = admin_client.get(reverse("admin:eventbus_outboxevent_changelist"), {"data__payment_token": TOKEN})
    assert guess.status_code == 400


def test_rotating_the_keys_seals_what_was_stored_in_clear_and_leaves_what_is_sealed_already():
    clear, sealed = order_created(place_order(token=TOKEN)), order_created(place_order(token="tok_ok"))
    OutboxEvent.objects.filter(pk=clear.pk).update(data={**clear.data, "payment_token": TOKEN})

    call_command("eventbus", "rotate-keys")

    clear.refresh_from_db()
    assert clear.data["payment_token"].startswith(SEALED_PREFIX)
    assert OutboxEvent.objects.get(pk=sealed.pk).data == sealed.data  # the newest key sealed it already
    assert OperatorAction.objects.get().count == 1


def test_rotating_the_field_keys_keeps_every_saga_readable(settings):
    old = conf.current().field_keys
    order = place_order(token="tok_ok")
    new = Fernet.generate_key().decode()

    settings.EVENTBUS_FIELD_KEYS = f"{new},{old}"  # step 1: the new key first, the old one still opens
    call_command("eventbus", "rotate-keys")
    sealed = order_created(order).data["payment_token"]
    assert Fernet(new).decrypt(sealed.removeprefix(SEALED_PREFIX).encode()) == b"tok_ok"

    settings.EVENTBUS_FIELD_KEYS = new  # step 2: the old key dropped
    run_pending()
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED


def test_a_token_sealed_with_a_key_no_longer_held_is_a_dead_letter_naming_the_keys(settings):
    order = place_order(token="tok_ok")
    settings.EVENTBUS_FIELD_KEYS = Fernet.generate_key().decode()  # the old key dropped before rotating

    run_pending()

    letter = Delivery.objects.get(event__key=str(order.id), subscriber="payments.charge_order")
    assert letter.state == Delivery.State.DEAD
    assert "EVENTBUS_FIELD_KEYS" in letter.last_error
    assert SEALED_PREFIX not in letter.last_error  # not even the ciphertext, which pydantic would quote


def test_production_refuses_to_start_without_field_keys_or_with_a_malformed_one():
    missing = production(ALLOWED_HOSTS="shop.example.com")
    assert missing.returncode != 0
    assert "Set the EVENTBUS_FIELD_KEYS" in missing.stderr
    malformed = production(ALLOWED_HOSTS="shop.example.com", EVENTBUS_FIELD_KEYS="not-a-key")
    assert malformed.returncode != 0
    assert "EVENTBUS_FIELD_KEYS is malformed" in malformed.stderr
    given = production(ALLOWED_HOSTS="shop.example.com", EVENTBUS_FIELD_KEYS=Fernet.generate_key().decode())
    assert given.returncode == 0, given.stderr


def test_the_tokens_older_declines_quoted_are_scrubbed_from_payments_and_their_events():
    scrub = import_module("payments.migrations.0004_scrub_card_tokens").scrub
    order = place_order(token=TOKEN)
    run_pending()
    leaked = f"card declined (token {TOKEN})"
    Payment.objects.filter(order_id=order.id).update(failure_reason=leaked)
    failed = OutboxEvent.objects.get(type="payments.PaymentFailed", key=str(order.id))
    OutboxEvent.objects.filter(pk=failed.pk).update(data={**failed.data, "reason": leaked})

    scrub(django_apps, None)

    assert Payment.objects.get(order_id=order.id).failure_reason == "card declined"
    assert OutboxEvent.objects.get(pk=failed.pk).data["reason"] == "card declined"
