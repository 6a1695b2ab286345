"""Staff do what their model permissions grant, no more: is_staff alone reads no customer's data, a
view-only user runs no bus action, an operator's cancellation is recorded as theirs."""

import pytest
from django.contrib.auth import backends
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.auth_backend import ModelBackend
from eventbus.models import Delivery, Subscription
from eventbus.testing import run_pending
from orders.models import Order
from tests.security.conftest import ApiUser

pytestmark = pytest.mark.django_db
State = Delivery.State


@pytest.fixture
def viewer(client, django_user_model):
    """Staff allowed to view the bus's rows, not to change them."""
    user = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    for model in ("delivery", "deadletter", "subscription"):
        user.user_permissions.add(Permission.objects.get(codename=f"view_{model}"))
    client.force_login(user)
    return client


@pytest.mark.parametrize("page", ["delivery", "deadletter"])
@pytest.mark.parametrize("action", ["retry_deliveries", "discard_deliveries", "replay_deliveries"])
def test_a_view_only_user_cannot_retry_discard_or_replay(viewer, dead_letter, page, action):
    listing = viewer.get(reverse(f"admin:eventbus_{page}_changelist"))
    assert listing.status_code == 200
    assert action.encode() not in listing.content

    viewer.post(reverse(f"admin:eventbus_{page}_changelist"), {"action": action, "_selected_action": [dead_letter.id]})

    dead_letter.refresh_from_db()
    assert dead_letter.state == State.DEAD


@pytest.mark.parametrize("action", ["pause_subscriptions", "resume_subscriptions"])
def test_a_view_only_user_cannot_pause_or_resume(viewer, dead_letter, action):
    viewer.post(
        reverse("admin:eventbus_subscription_changelist"),
        {"action": action, "_selected_action": ["busapp.fail_until_fixed"]},
    )
    assert Subscription.objects.get(id="busapp.fail_until_fixed").paused_at is None


def test_a_view_only_user_cannot_use_the_buttons_either(viewer, dead_letter):
    answer = viewer.post(reverse("admin:eventbus_delivery_retry", args=[dead_letter.id]))
    assert answer.status_code == 403
    dead_letter.refresh_from_db()
    assert dead_letter.state == State.DEAD


def grant(api_user, *permissions: str) -> None:
    for permission in permissions:
        app_label, codename = permission.split(".")
        api_user.user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


@pytest.fixture
def bare_staff(price_list):
    """Staff with no permission at all: is_staff alone."""
    return ApiUser("bare-staff", staff=True)


def test_is_staff_alone_reads_no_other_customers_data(alice, bare_staff):
    order_id = alice.place().json()["id"]

    assert bare_staff.get("/api/orders/").json()["count"] == 0
    assert bare_staff.get(f"/api/orders/{order_id}/").status_code == 404
    assert bare_staff.get("/api/payments/").json()["count"] == 0
    assert bare_staff.get("/api/shipments/").json()["count"] == 0


def test_each_view_permission_opens_its_own_model_only(alice, bare_staff):
    order_id = alice.place().json()["id"]
    run_pending()
    grant(bare_staff, "orders.view_order")

    assert bare_staff.get(f"/api/orders/{order_id}/").status_code == 200
    assert bare_staff.get("/api/payments/").json()["count"] == 0


def test_staff_who_may_read_an_order_may_not_cancel_it_without_the_cancel_permission(alice, staff):
    order_id = alice.place().json()["id"]

    answer = staff.client.post(f"/api/orders/{order_id}/cancel/")

    assert answer.status_code == 403
    assert Order.objects.get(id=order_id).cancel_requested_at is None


def test_a_staff_cancellation_is_recorded_as_the_operators_with_their_name(alice, staff):
    order_id = alice.place().json()["id"]
    grant(staff, "orders.cancel_order")

    assert staff.client.post(f"/api/orders/{order_id}/cancel/").status_code == 202

    order = Order.objects.get(id=order_id)
    assert (order.cancel_requested_reason, order.cancel_requested_by) == ("operator_cancelled", "operator")


def test_a_customer_cancelling_their_own_order_is_recorded_as_theirs(alice):
    order_id = alice.place().json()["id"]
    assert alice.client.post(f"/api/orders/{order_id}/cancel/").status_code == 202
    order = Order.objects.get(id=order_id)
    assert (order.cancel_requested_reason, order.cancel_requested_by) == ("customer_cancelled", "")


def test_permissions_are_the_users_own_and_their_groups_read_as_django_reads_them(django_user_model):
    user = django_user_model.objects.create_user("agent", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_order"))
    support = Group.objects.create(name="support")
    support.permissions.add(*Permission.objects.filter(codename__in=["view_payment", "view_order"]))
    user.groups.add(support)
    Group.objects.create(name="others").permissions.add(Permission.objects.get(codename="cancel_order"))

    fresh = django_user_model.objects.get(pk=user.pk)

    with CaptureQueriesContext(connection) as ours:
        granted = ModelBackend().get_all_permissions(fresh)

    assert granted == {"orders.view_order", "payments.view_payment"}
    assert granted == backends.ModelBackend().get_all_permissions(django_user_model.objects.get(pk=user.pk))
    assert len(ours.captured_queries) == 1
    user.is_active = False
    assert ModelBackend().get_all_permissions(user) == set()


def test_a_superuser_holds_every_permission(django_user_model):
    boss = django_user_model.objects.create_superuser("boss")

    assert ModelBackend().get_all_permissions(boss) == backends.ModelBackend().get_all_permissions(boss)
    assert len(ModelBackend().get_all_permissions(boss)) == Permission.objects.count()
