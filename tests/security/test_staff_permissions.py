"""Staff do what their model permissions grant, no more: a view-only user runs no bus action."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from eventbus import publish
from eventbus.models import Delivery, Subscription
from eventbus.testing import run_pending
from tests.busapp.events import Fanout

pytestmark = pytest.mark.django_db
State = Delivery.State


@pytest.fixture
def dead_letter() -> Delivery:
    publish(Fanout(n=1), key="k")
    run_pending()
    Delivery.objects.filter(subscriber="busapp.fail_until_fixed").update(state=State.DEAD, last_error="boom")
    return Delivery.objects.get(subscriber="busapp.fail_until_fixed")


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
