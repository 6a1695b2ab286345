"""A customer reads their order's business steps and where each stands; handler names, attempt
counts and raw error text are for staff with the view permission."""

import json

import pytest
from django.utils import timezone

from eventbus.models import Delivery
from eventbus.testing import run_pending
from tests.api.conftest import order_body

pytestmark = pytest.mark.django_db
INTERNALS = ["payments.charge_order", "ProviderUnavailable", "attempt", "Traceback"]


def retried_once(alice) -> str:
    """An order whose charge failed once with the provider's raw error, then went through."""
    order_id = alice.place(order_body(payment_token="tok_flaky")).json()["id"]
    # At a fixed moment: the retry's jittered delay may be a few microseconds, due by the next round.
    run_pending(now=timezone.now())
    return order_id


def test_a_customer_sees_steps_and_their_status_not_the_internals(alice):
    order_id = retried_once(alice)
    timeline = alice.get(f"/api/orders/{order_id}/").json()["timeline"]

    text = json.dumps(timeline)
    for internal in INTERNALS:
        assert internal not in text
    created = timeline[0]
    assert set(created) == {"id", "type", "step", "status", "time", "deliver_at", "causation_id", "depth"}
    assert (created["step"], created["status"]) == ("Order created", "in_progress")


def test_staff_with_the_view_permission_see_every_attempt_and_error(alice, staff):
    order_id = retried_once(alice)
    created = staff.get(f"/api/orders/{order_id}/").json()["timeline"][0]

    charge = next(d for d in created["deliveries"] if d["subscriber"] == "payments.charge_order")
    assert charge["attempts"] == 1
    assert "ProviderUnavailable" in charge["last_error"]


def test_a_dead_step_is_delayed_for_the_customer(alice):
    order_id = alice.place().json()["id"]
    run_pending()
    Delivery.objects.filter(event__key=order_id, subscriber="payments.charge_order").update(
        state=Delivery.State.DEAD, last_error="ProviderUnavailable: provider unavailable (attempt 10)"
    )
    created = alice.get(f"/api/orders/{order_id}/").json()["timeline"][0]
    assert created["status"] == "delayed"
    assert "ProviderUnavailable" not in json.dumps(created)
