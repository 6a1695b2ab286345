"""The dead-letter groups page: groups by subscriber and error, Retry all and Discard all through the confirmation."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from eventbus.models import Delivery, OperatorAction
from tests.admin.dead_letters import BOOKING, stuck_at_booking

pytestmark = pytest.mark.django_db
State = Delivery.State
REASON = {"confirm": "yes", "reason": "carrier is back"}
GROUPS = reverse("admin:eventbus_deadletter_groups")


@pytest.fixture
def two_groups():
    """Three bookings dead: two on a carrier timeout (other orders, other numbers), one refused."""
    timeouts = [stuck_at_booking(f"CarrierDown: no answer after {s} s")[1] for s in (30, 45)]
    refused = stuck_at_booking("CarrierRefused: unknown depot 17")[1]
    return timeouts, refused


def group_of(timeouts: list[Delivery]) -> dict[str, str]:
    return {"subscriber": BOOKING, "fingerprint": "CarrierDown: no answer after <n> s", "up_to": str(timeouts[-1].id)}


def test_the_dead_letter_list_links_to_its_groups(admin_client, two_groups):
    listing = admin_client.get(reverse("admin:eventbus_deadletter_changelist")).content.decode()
    assert f'href="{GROUPS}"' in listing


def test_the_groups_page_lists_each_group_with_its_count_and_a_sample(admin_client, two_groups):
    timeouts, _ = two_groups

    page = admin_client.get(GROUPS).content.decode()

    rows = page.split('<tr class="group"')[1:]
    assert len(rows) == 2
    assert 'data-count="2"' in rows[0]
    assert "CarrierDown: no answer after &lt;n&gt; s" in rows[0]
    assert "CarrierDown: no answer after 30 s" in rows[0]
    assert reverse("admin:eventbus_delivery_change", args=[timeouts[0].id]) in rows[0]
    assert f'name="up_to" value="{timeouts[1].id}"' in rows[0]
    assert "CarrierRefused: unknown depot &lt;n&gt;" in rows[1]
    assert "Retry all" in rows[0]
    assert "Discard all" in rows[0]


def test_retry_all_asks_then_retries_the_group_alone(admin_client, two_groups):
    timeouts, refused = two_groups
    retry_all = reverse("admin:eventbus_deadletter_groups_retry")

    asked = admin_client.post(retry_all, group_of(timeouts))
    assert 'name="reason"' in asked.content.decode()
    assert Delivery.objects.filter(state=State.DEAD).count() == 3

    done = admin_client.post(retry_all, {**group_of(timeouts), **REASON})

    assert done["Location"] == GROUPS
    assert {d.id: d.state for d in Delivery.objects.filter(subscriber=BOOKING)} == {
        timeouts[0].id: State.PENDING,
        timeouts[1].id: State.PENDING,
        refused.id: State.DEAD,
    }
    record = OperatorAction.objects.get()
    assert (record.action, record.count, record.reason) == ("retry", 2, "carrier is back")


def test_discard_all_says_what_it_leaves_behind_for_every_saga_of_the_group(admin_client, two_groups):
    timeouts, refused = two_groups
    discard_all = reverse("admin:eventbus_deadletter_groups_discard")

    asked = admin_client.post(discard_all, group_of(timeouts)).content.decode()

    assert "these 2 sagas" in asked
    assert "<code>orders.confirm_order</code>" in asked
    for timeout in timeouts:
        assert timeout.event.correlation_id in asked
    assert refused.event.correlation_id not in asked
    assert Delivery.objects.filter(state=State.DEAD).count() == 3

    admin_client.post(discard_all, {**group_of(timeouts), "confirm": "yes"})
    assert Delivery.objects.filter(state=State.DEAD).count() == 3

    admin_client.post(discard_all, {**group_of(timeouts), **REASON})
    assert set(Delivery.objects.filter(state=State.DISCARDED).values_list("id", flat=True)) == {t.id for t in timeouts}


def test_a_group_action_leaves_dead_letters_newer_than_those_seen(admin_client, two_groups):
    timeouts, _ = two_groups
    seen = {**group_of(timeouts), "up_to": str(timeouts[0].id)}

    admin_client.post(reverse("admin:eventbus_deadletter_groups_retry"), {**seen, **REASON})

    assert Delivery.objects.get(id=timeouts[1].id).state == State.DEAD


def test_a_view_only_user_sees_the_groups_and_acts_on_none(client, django_user_model, two_groups):
    timeouts, _ = two_groups
    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_delivery"))
    client.force_login(viewer)

    page = client.get(GROUPS)
    refused = client.post(reverse("admin:eventbus_deadletter_groups_retry"), {**group_of(timeouts), **REASON})

    assert page.status_code == 200
    assert "Retry all" not in page.content.decode()
    assert refused.status_code == 403
    assert Delivery.objects.filter(state=State.DEAD).count() == 3


def test_the_dead_letters_own_change_permission_does_not_let_anyone_act_on_deliveries(
    client, django_user_model, two_groups
):
    timeouts, _ = two_groups
    holder = django_user_model.objects.create_user("holder", password="x", is_staff=True)
    holder.user_permissions.add(*Permission.objects.filter(codename__in=["view_deadletter", "change_deadletter"]))
    client.force_login(holder)

    refused = client.post(reverse("admin:eventbus_deadletter_groups_discard"), {**group_of(timeouts), **REASON})

    assert refused.status_code == 403
    assert Delivery.objects.filter(state=State.DEAD).count() == 3
