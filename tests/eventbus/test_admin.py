"""The bus's admin pages: readable by staff, dead letters retried and discarded from there."""

import pytest
from django.urls import reverse

from eventbus.models import Delivery

pytestmark = pytest.mark.django_db
State = Delivery.State


@pytest.mark.parametrize("page", ["outboxevent", "delivery", "deadletter"])
def test_staff_see_the_bus_pages(admin_client, dead_letter, page):
    response = admin_client.get(reverse(f"admin:eventbus_{page}_changelist"))
    assert response.status_code == 200
    assert b"busapp.Fanout" in response.content


def test_the_dead_letter_page_lists_only_dead_deliveries(admin_client, dead_letter):
    response = admin_client.get(reverse("admin:eventbus_deadletter_changelist"))
    assert b"boom" in response.content
    assert b"busapp.record_fanout" not in response.content


@pytest.mark.parametrize(
    ("action", "state"), [("retry_deliveries", State.PENDING), ("discard_deliveries", State.DISCARDED)]
)
def test_a_dead_letter_is_retried_or_discarded_from_admin_once_confirmed(admin_client, dead_letter, action, state):
    changelist = reverse("admin:eventbus_deadletter_changelist")
    chosen = {"action": action, "_selected_action": [dead_letter.id]}

    asked = admin_client.post(changelist, chosen)
    assert asked.status_code == 200
    assert b'name="reason"' in asked.content
    dead_letter.refresh_from_db()
    assert dead_letter.state == State.DEAD

    response = admin_client.post(changelist, {**chosen, "confirm": "yes", "reason": "provider is back"})
    assert response.status_code == 302
    dead_letter.refresh_from_db()
    assert dead_letter.state == state


def test_discarding_says_what_it_leaves_behind_and_needs_a_reason(admin_client, dead_letter):
    changelist = reverse("admin:eventbus_deadletter_changelist")
    chosen = {"action": "discard_deliveries", "_selected_action": [dead_letter.id], "confirm": "yes"}

    refused = admin_client.post(changelist, chosen)

    assert refused.status_code == 200
    assert b"This field is required" in refused.content
    assert b"stays where it is" in refused.content
    dead_letter.refresh_from_db()
    assert dead_letter.state == State.DEAD


def test_non_staff_are_sent_to_the_login_page(client, django_user_model, dead_letter):
    client.force_login(django_user_model.objects.create_user("customer", password="x"))
    response = client.get(reverse("admin:eventbus_delivery_changelist"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]
