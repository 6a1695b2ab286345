"""Dead letters in admin: a discard confirmed with what it leaves behind, the actions as buttons on a row's page
(which offers no Save), the dead letters grouped by subscriber and error, and back to the saga after."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from eventbus.models import Delivery, OperatorAction, Subscription
from orders.models import Order
from tests.admin.dead_letters import BOOKING, stuck_at_booking

pytestmark = pytest.mark.django_db
State = Delivery.State
REASON = {"confirm": "yes", "reason": "carrier account closed; refunding by hand"}


def order_page(order: Order) -> str:
    return reverse("admin:orders_order_change", args=[order.id])


def test_a_discard_from_the_saga_asks_first_and_says_what_it_leaves_behind(admin_client):
    order, booking = stuck_at_booking()

    asked = admin_client.post(
        reverse("admin:eventbus_delivery_discard", args=[booking.id]), {"next": order_page(order)}
    )

    assert asked.status_code == 200
    page = asked.content.decode()
    left_behind = page[page.index('class="left-behind"') : page.index("</section>")]
    assert f"<code>{BOOKING}</code> will never handle <code>payments.PaymentSucceeded</code>" in left_behind
    assert "<code>shipping.ShipmentCreated</code>, <code>shipping.ShipmentFailed</code>" in left_behind
    not_run = left_behind[left_behind.index('class="not-run"') : left_behind.index('class="further"')]
    for subscriber in ("orders.confirm_order", "orders.note_shipment_failure", "payments.refund_unshippable_order"):
        assert f"<code>{subscriber}</code>" in not_run, subscriber
    assert "<code>orders.cancel_refunded_order</code>" in left_behind[left_behind.index('class="further"') :]
    assert "The saga will stay where it is until an operator acts." in left_behind
    assert str(order.id) in left_behind
    assert f'href="{order_page(order)}">Back to the saga' in page
    assert 'class="confirm-destructive"' in page
    booking.refresh_from_db()
    assert booking.state == State.DEAD
    assert not OperatorAction.objects.exists()


def test_a_discard_needs_a_reason(admin_client):
    order, booking = stuck_at_booking()

    refused = admin_client.post(
        reverse("admin:eventbus_delivery_discard", args=[booking.id]), {"next": order_page(order), "confirm": "yes"}
    )

    assert refused.status_code == 200
    assert "This field is required" in refused.content.decode()
    booking.refresh_from_db()
    assert booking.state == State.DEAD


def test_a_confirmed_discard_is_audited_and_goes_back_to_the_saga_with_a_message(admin_client):
    order, booking = stuck_at_booking()

    done = admin_client.post(
        reverse("admin:eventbus_delivery_discard", args=[booking.id]), {"next": order_page(order), **REASON}
    )

    assert (done.status_code, done["Location"]) == (302, order_page(order))
    booking.refresh_from_db()
    assert booking.state == State.DISCARDED
    record = OperatorAction.objects.get()
    assert (record.action, record.target, record.reason, record.via) == (
        "discard",
        f"deliveries {booking.id}",
        REASON["reason"],
        "admin",
    )
    messages = admin_client.get(order_page(order)).content.decode()
    assert f"Delivery {booking.id}: discard done" in messages


def test_next_off_this_site_is_not_followed(admin_client):
    _, booking = stuck_at_booking()

    done = admin_client.post(
        reverse("admin:eventbus_delivery_retry", args=[booking.id]), {"next": "https://evil.example/", **REASON}
    )

    assert done["Location"] == reverse("admin:eventbus_delivery_change", args=[booking.id])


@pytest.mark.parametrize("page", ["delivery", "deadletter"])
def test_a_dead_letters_page_has_its_actions_as_buttons_and_no_save_or_delete(admin_client, page):
    _, booking = stuck_at_booking()

    shown = admin_client.get(reverse(f"admin:eventbus_{page}_change", args=[booking.id])).content.decode()

    actions = shown[shown.index('id="bus-actions"') :]
    for verb in ("retry", "discard"):
        assert f'action="{reverse(f"admin:eventbus_delivery_{verb}", args=[booking.id])}"' in actions
    assert f'action="{reverse("admin:eventbus_subscription_pause", args=[BOOKING])}"' in actions
    assert 'class="discard"' in actions
    for save in ('name="_save"', 'name="_continue"', 'name="_addanother"', 'class="deletelink"'):
        assert save not in shown, save


def test_a_row_page_refuses_a_save(admin_client):
    _, booking = stuck_at_booking()

    answer = admin_client.post(reverse("admin:eventbus_delivery_change", args=[booking.id]), {"_save": "Save"})

    assert answer.status_code == 403


def test_a_done_delivery_offers_to_run_again_and_a_view_only_user_sees_no_button(
    client, admin_client, django_user_model
):
    order, _ = stuck_at_booking()
    charged = Delivery.objects.get(subscriber="payments.charge_order", key=str(order.id))
    shown = admin_client.get(reverse("admin:eventbus_delivery_change", args=[charged.id])).content.decode()
    assert reverse("admin:eventbus_delivery_replay", args=[charged.id]) in shown
    assert reverse("admin:eventbus_delivery_discard", args=[charged.id]) not in shown

    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_delivery"))
    client.force_login(viewer)
    seen = client.get(reverse("admin:eventbus_delivery_change", args=[charged.id])).content.decode()
    assert 'id="bus-actions"' not in seen


def test_run_again_and_pause_from_a_rows_page_go_through_the_same_confirmation(admin_client):
    order, _ = stuck_at_booking()
    charged = Delivery.objects.get(subscriber="payments.charge_order", key=str(order.id))
    own_page = reverse("admin:eventbus_delivery_change", args=[charged.id])

    asked = admin_client.post(reverse("admin:eventbus_delivery_replay", args=[charged.id]), {"next": own_page})
    assert 'name="reason"' in asked.content.decode()
    admin_client.post(reverse("admin:eventbus_delivery_replay", args=[charged.id]), {"next": own_page, **REASON})
    charged.refresh_from_db()
    assert charged.state == State.PENDING

    paused = admin_client.post(
        reverse("admin:eventbus_subscription_pause", args=[BOOKING]), {"next": own_page, **REASON}
    )
    assert paused["Location"] == own_page
    assert Subscription.objects.get(id=BOOKING).paused_at is not None
    assert list(OperatorAction.objects.order_by("id").values_list("action", flat=True)) == ["replay", "pause"]


@pytest.mark.parametrize("page", ["subscription", "outboxevent", "operatoraction"])
def test_other_bus_rows_offer_no_save_either(admin_client, page):
    _, booking = stuck_at_booking()
    admin_client.post(reverse("admin:eventbus_delivery_retry", args=[booking.id]), REASON)
    row = {"subscription": BOOKING, "outboxevent": booking.event_id, "operatoraction": OperatorAction.objects.get().id}

    shown = admin_client.get(reverse(f"admin:eventbus_{page}_change", args=[row[page]])).content.decode()

    for save in ('name="_save"', 'name="_continue"', 'name="_addanother"', 'class="deletelink"'):
        assert save not in shown, save
    assert 'class="closelink"' in shown
    if page == "subscription":
        assert f'action="{reverse("admin:eventbus_subscription_pause", args=[BOOKING])}"' in shown
