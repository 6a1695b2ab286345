"""Stuck sagas, per saga state: found with why, since when and where to look (orders.stuck, manage.py stuck_sagas)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from eventbus import PermanentError, operations
from eventbus.models import Delivery
from eventbus.testing import run_pending
from orders import services as orders_services
from orders import stuck
from orders.models import Order
from shipping.carrier import FakeCarrier
from tests.saga.factories import place_order

pytestmark = pytest.mark.django_db
OPERATOR = operations.Operator("tests", via="cli", reason="the parcel cannot go")
Reason = stuck.Reason
Status = Order.Status


@pytest.fixture
def carrier_refuses(monkeypatch):
    """The carrier refuses every parcel for good: book_shipment is dead-lettered at its first attempt."""

    def refuse(self, **kwargs):
        raise PermanentError("carrier refuses the parcel")

    monkeypatch.setattr(FakeCarrier, "book", refuse)


@pytest.fixture
def carrier_down(monkeypatch):
    """The carrier answers nothing but errors: book_shipment keeps retrying."""

    def unreachable(self, **kwargs):
        raise ConnectionError("carrier down")

    monkeypatch.setattr(FakeCarrier, "book", unreachable)


def later(seconds: float):
    return timezone.now() + timedelta(seconds=seconds + 1)


def found(now=None) -> dict:
    return {saga.order.id: saga for saga in stuck.stuck_sagas(now)}


def booking() -> Delivery:
    return Delivery.objects.get(subscriber="shipping.book_shipment")


def test_a_paid_order_whose_booking_is_dead_is_stuck_with_a_link_to_the_dead_delivery(carrier_refuses):
    order = place_order()
    run_pending()
    order.refresh_from_db()
    assert order.status == Status.PAID

    saga = found()[order.id]

    dead = booking()
    assert saga.reason == Reason.DEAD_LETTER
    finding = saga.findings[0]
    assert "shipping.book_shipment dead after 1 attempt(s)" in finding.why
    assert "carrier refuses the parcel" in finding.why
    assert finding.since == dead.finished_at
    assert finding.link == reverse("admin:eventbus_delivery_change", args=[dead.id])


def test_a_discarded_booking_leaves_the_paid_order_stuck_and_so_does_a_dead_letter_on_an_ended_saga(carrier_refuses):
    order = place_order()
    run_pending()
    operations.discard(Delivery.objects.filter(subscriber="shipping.book_shipment"), by=OPERATOR)

    saga = found()[order.id]

    assert [finding.reason for finding in saga.findings] == [Reason.STEP_DISCARDED]
    assert "nothing will run this step" in saga.findings[0].why
    assert saga.findings[0].link == reverse("admin:eventbus_delivery_change", args=[booking().id])


def test_a_discarded_step_of_a_saga_that_ended_well_is_not_stuck():
    order = place_order()
    run_pending()
    order.refresh_from_db()
    assert order.status == Status.CONFIRMED
    prepared = Delivery.objects.filter(subscriber="shipping.prepare_shipment")
    prepared.update(state=Delivery.State.DEAD)
    assert found()[order.id].reason == Reason.DEAD_LETTER  # a dead letter counts in any state
    operations.discard(prepared, by=OPERATOR)

    assert order.id not in found()


def test_a_pending_order_past_its_payment_deadline_and_the_grace_is_stuck(settings):
    order = place_order()  # nothing handled: the payment deadline's event never runs
    grace = settings.ORDERS_STUCK_PENDING_SECONDS

    assert order.id not in found(later(settings.ORDERS_PAYMENT_DEADLINE_SECONDS))
    saga = found(later(settings.ORDERS_PAYMENT_DEADLINE_SECONDS + grace))[order.id]

    assert saga.reason == Reason.PAYMENT_OVERDUE
    assert saga.findings[0].since == order.payment_due_by
    assert saga.findings[0].link == reverse("admin:orders_order_change", args=[order.id])
    assert "past its payment deadline" in saga.findings[0].why


def test_the_thresholds_come_from_settings(settings):
    order = place_order()
    settings.ORDERS_STUCK_PENDING_SECONDS = 7 * 86400
    assert order.id not in found(later(settings.ORDERS_PAYMENT_DEADLINE_SECONDS + 86400))
    settings.ORDERS_STUCK_PENDING_SECONDS = 0
    assert order.id in found(later(settings.ORDERS_PAYMENT_DEADLINE_SECONDS))


def test_a_paid_order_without_shipment_news_past_its_threshold_is_stuck(carrier_down, settings):
    order = place_order()
    run_pending()
    order.refresh_from_db()
    assert order.status == Status.PAID
    assert order.id not in found()  # booking is being retried: not stuck yet

    saga = found(later(settings.ORDERS_STUCK_PAID_SECONDS))[order.id]

    assert saga.reason == Reason.PAID_WITHOUT_NEWS
    assert "paid, no shipment news for" in saga.findings[0].why


def test_a_cancellation_shipping_never_answers_is_stuck_before_its_deadline_even_runs(settings):
    order = place_order()
    run_pending()
    operations.pause("shipping.answer_cancellation_request", by=OPERATOR)
    orders_services.order_cancel(order_id=order.id)

    saga = found(later(settings.ORDERS_STUCK_CANCELLING_SECONDS))[order.id]

    assert saga.reason == Reason.CANCELLATION_UNANSWERED
    order.refresh_from_db()
    assert saga.findings[0].since == order.cancel_requested_at


def test_a_stall_is_stuck_once_and_not_twice(settings, carrier_down):
    settings.ORDERS_PAID_DEADLINE_ACTION = "operator"
    order = place_order()
    run_pending()
    run_pending(now=later(settings.ORDERS_PAID_DEADLINE_SECONDS))
    order.refresh_from_db()
    assert order.stalled_reason == "not_booked_by_deadline"

    saga = found(later(settings.ORDERS_STUCK_PAID_SECONDS * 2))[order.id]

    assert [finding.reason for finding in saga.findings] == [Reason.STALLED]
    assert saga.findings[0].why == "stalled (not_booked_by_deadline): paid, not booked by its deadline"


def test_orders_on_their_way_are_not_stuck_and_a_retry_is_only_flagged(carrier_down):
    placed = place_order()
    run_pending()
    retrying = Order.objects.get(id=placed.id)  # paid, its booking retrying (the carrier is down)

    assert found() == {}
    flags = stuck.flags([retrying])
    flag = flags[retrying.id]
    assert flag.attention == stuck.Attention.RETRYING
    assert re.fullmatch(r"shipping\.book_shipment: attempt \d+ of 20 failed, (next in \d+ s|due now)", flag.short)
    assert flag.why == flag.short
    assert flag.link == reverse("admin:eventbus_delivery_change", args=[booking().id])


def test_the_command_lists_why_since_when_and_where_and_fails_on_request(carrier_refuses):
    order = place_order()
    run_pending()
    out = StringIO()
    call_command("stuck_sagas", stdout=out)
    text = out.getvalue()
    assert str(order.id) in text
    assert "dead_letter" in text
    assert reverse("admin:eventbus_delivery_change", args=[booking().id]) in text
    assert "1 stuck saga(s)" in text

    with pytest.raises(SystemExit) as exited:
        call_command("stuck_sagas", "--fail", stdout=StringIO())
    assert exited.value.code == 1


def test_the_command_answers_json(carrier_refuses):
    order = place_order()
    run_pending()
    out = StringIO()
    call_command("stuck_sagas", "--json", stdout=out)

    [saga] = json.loads(out.getvalue())

    assert (saga["order"], saga["status"], saga["reason"]) == (str(order.id), "paid", "dead_letter")
    assert saga["findings"][0]["link"] == reverse("admin:eventbus_delivery_change", args=[booking().id])


def test_the_command_says_so_when_nothing_is_stuck_and_then_passes_fail():
    out = StringIO()
    call_command("stuck_sagas", "--fail", stdout=out)
    assert out.getvalue().strip() == "No stuck sagas."
    out = StringIO()
    call_command("stuck_sagas", "--json", stdout=out)
    assert json.loads(out.getvalue()) == []


def test_finding_them_costs_two_queries_however_many_are_stuck(carrier_refuses, django_assert_num_queries):
    for who in ("a", "b", "c"):
        place_order(who=who)
    run_pending()
    with django_assert_num_queries(2):  # the bus's troubled deliveries, then the candidate orders
        assert len(stuck.stuck_sagas()) == 3
