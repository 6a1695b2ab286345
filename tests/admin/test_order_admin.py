"""Django admin over the saga: orders with their timeline, payments, shipments, the flow page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from eventbus.models import Delivery
from eventbus.testing import run_pending
from orders.models import Order
from tests.busapp.models import Switch
from tests.saga.factories import place_order

pytestmark = pytest.mark.django_db
CONFIRMED = {"confirm": "yes", "reason": "the audit service is back"}
State = Delivery.State
RELOADS = '<meta http-equiv="refresh" content="2">'


def order_page(client, order: Order):
    return client.get(reverse("admin:orders_order_change", args=[order.id]))


def test_the_order_page_shows_every_step_of_its_saga(admin_client, compensated_order):
    page = order_page(admin_client, compensated_order).content.decode()
    for step in [
        "orders.OrderCreated",
        "payments.PaymentSucceeded",
        "shipping.ShipmentFailed",
        "payments.PaymentRefunded",
        "orders.OrderCancelled",
        "payments.charge_order",
        "shipping.book_shipment",
        "orders.cancel_refunded_order",
    ]:
        assert step in page, step
    assert 'data-state="dead"' in page
    assert "audit trail unavailable" in page
    assert f"?order_id={compensated_order.id}" in page
    assert reverse("eventbus-flow") in page


def test_the_timeline_lists_causes_before_effects(admin_client, compensated_order):
    page = order_page(admin_client, compensated_order).content.decode()
    positions = [
        page.index(f'class="event-row" data-type="{t}"')
        for t in [
            "orders.OrderCreated",
            "payments.PaymentSucceeded",
            "shipping.ShipmentFailed",
            "payments.PaymentRefunded",
            "orders.OrderCancelled",
        ]
    ]
    assert positions == sorted(positions)


def test_a_dead_letter_is_retried_from_the_timeline_and_then_done(admin_client, compensated_order):
    dead = Delivery.objects.get(subscriber="busapp.audit_cancellation")
    assert dead.state == State.DEAD
    back = reverse("admin:orders_order_change", args=[compensated_order.id])
    asked = admin_client.post(reverse("admin:eventbus_delivery_retry", args=[dead.id]), {"next": back})
    assert asked.status_code == 200  # first, what it will do and why
    dead.refresh_from_db()
    assert dead.state == State.DEAD
    response = admin_client.post(reverse("admin:eventbus_delivery_retry", args=[dead.id]), {"next": back, **CONFIRMED})
    assert (response.status_code, response["Location"]) == (302, back)
    assert RELOADS in admin_client.get(back).content.decode(), "back on the saga, it reloads while the retry is due"
    Switch.objects.filter(name="audit-broken").delete()
    run_pending()
    dead.refresh_from_db()
    assert (dead.state, dead.attempts) == (State.DONE, 1)
    assert RELOADS not in admin_client.get(back).content.decode(), "settled: no more reloading"


def test_a_settled_saga_page_does_not_reload(admin_client, compensated_order):
    assert RELOADS not in order_page(admin_client, compensated_order).content.decode()


def test_a_step_due_long_ago_and_not_taken_stops_the_reloading(admin_client, compensated_order):
    """Its subscriber paused, or no worker up: reloading would not change the page."""
    dead = Delivery.objects.get(subscriber="busapp.audit_cancellation")
    Delivery.objects.filter(id=dead.id).update(state=State.PENDING, attempts=0)
    assert RELOADS in order_page(admin_client, compensated_order).content.decode()

    Delivery.objects.filter(id=dead.id).update(available_at=timezone.now() - timedelta(minutes=1))
    assert RELOADS not in order_page(admin_client, compensated_order).content.decode()


def test_retry_refuses_to_send_the_browser_elsewhere(admin_client, compensated_order):
    dead = Delivery.objects.get(subscriber="busapp.audit_cancellation")
    response = admin_client.post(
        reverse("admin:eventbus_delivery_retry", args=[dead.id]), {"next": "https://evil.example/", **CONFIRMED}
    )
    assert response["Location"] == reverse("admin:eventbus_delivery_change", args=[dead.id])


def test_retry_is_post_only(admin_client, compensated_order):
    dead = Delivery.objects.get(subscriber="busapp.audit_cancellation")
    assert admin_client.get(reverse("admin:eventbus_delivery_retry", args=[dead.id])).status_code == 405


def test_orders_filter_by_status_and_reason_and_search_by_id_and_customer(admin_client, compensated_order):
    other = place_order(who="someone-else")
    changelist = reverse("admin:orders_order_changelist")

    def listed(**params: str) -> set[str]:
        page = admin_client.get(changelist, params).content.decode()
        return {str(order.id) for order in (compensated_order, other) if str(order.id) in page}

    assert listed(cancel_reason="shipping_failed") == {str(compensated_order.id)}
    assert listed(status__exact="pending") == {str(other.id)}
    assert listed(q=str(other.id)) == {str(other.id)}
    assert listed(q="someone-else") == {str(other.id)}
    assert admin_client.get(changelist, {"q": "not-a-uuid"}).status_code == 200


def test_admin_cannot_change_an_order_but_through_the_services(admin_client):
    order = place_order()
    url = reverse("admin:orders_order_change", args=[order.id])
    response = admin_client.post(url, {"status": "confirmed", "total": "0.01", "cancel_reason": "x"})
    assert response.status_code == 403
    order.refresh_from_db()
    assert (order.status, str(order.total)) == ("pending", "19.80")
    assert admin_client.get(reverse("admin:orders_order_add")).status_code == 403
    assert admin_client.post(reverse("admin:orders_order_delete", args=[order.id]), {"post": "yes"}).status_code == 403
    assert Order.objects.filter(id=order.id).exists()


def test_the_cancel_action_asks_shipping_and_is_recorded_as_the_operators(admin_client):
    order = place_order()
    admin_client.post(
        reverse("admin:orders_order_changelist"), {"action": "request_cancellation", "_selected_action": [order.id]}
    )
    run_pending()
    order.refresh_from_db()
    assert (order.status, order.cancel_reason, order.cancel_requested_by) == (
        "cancelled",
        "operator_cancelled",
        "admin",
    )


@pytest.mark.parametrize("model", ["payments:payment", "shipping:shipment"])
def test_payment_and_shipment_pages_find_an_orders_records(admin_client, compensated_order, model):
    app, name = model.split(":")
    page = admin_client.get(reverse(f"admin:{app}_{name}_changelist"), {"order_id": str(compensated_order.id)})
    assert page.status_code == 200
    assert str(compensated_order.id) in page.content.decode()


def test_the_flow_page_maps_publishers_to_reactions_with_last_hour_counts(admin_client, compensated_order):
    page = admin_client.get(reverse("eventbus-flow")).content.decode()
    assert 'data-event="orders.OrderCreated" data-subscriber="payments.charge_order"' in page
    row = page[
        page.index('<tr class="edge" data-event="orders.OrderCancelled" data-subscriber="busapp.audit_cancellation"') :
    ]
    row = row[: row.index("</tr>")]
    assert re.search(r'<td class="count dead nonzero"><a href="[^"]+">1</a></td>', row)


def test_admin_pages_are_for_staff_only(client, compensated_order):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_user("customer-only", password="pw"))
    for url in [reverse("eventbus-flow"), reverse("admin:orders_order_change", args=[compensated_order.id])]:
        response = client.get(url)
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


def test_a_dead_letter_is_discarded_from_the_timeline(admin_client, compensated_order):
    dead = Delivery.objects.get(subscriber="busapp.audit_cancellation")
    back = reverse("admin:orders_order_change", args=[compensated_order.id])
    admin_client.post(reverse("admin:eventbus_delivery_discard", args=[dead.id]), {"next": back, **CONFIRMED})
    dead.refresh_from_db()
    assert dead.state == State.DISCARDED
    assert 'data-state="discarded"' in order_page(admin_client, compensated_order).content.decode()


@pytest.fixture
def staff_without_permissions(client):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_order", "view_delivery"]))
    client.force_login(user)
    return client


def test_staff_who_may_only_view_can_neither_retry_nor_cancel(
    staff_without_permissions, compensated_order, admin_client
):
    client = staff_without_permissions
    dead = Delivery.objects.get(subscriber="busapp.audit_cancellation")
    assert client.post(reverse("admin:eventbus_delivery_retry", args=[dead.id])).status_code == 403
    dead.refresh_from_db()
    assert dead.state == State.DEAD
    page = order_page(client, compensated_order).content.decode()
    assert "audit trail unavailable" in page
    retry_url = reverse("admin:eventbus_delivery_retry", args=[dead.id])
    assert retry_url not in page, "no button the viewer may not press"
    assert retry_url in order_page(admin_client, compensated_order).content.decode()
    changelist = client.get(reverse("admin:orders_order_changelist")).content.decode()
    assert "request_cancellation" not in changelist
