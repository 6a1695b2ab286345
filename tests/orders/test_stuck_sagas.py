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

from eventbus import PermanentError, operations, saga_health, timeline
from eventbus.models import Delivery
from eventbus.testing import run_pending
from eventbus.topology.subscribers import subscribe, unsubscribe
from orders import saga_summary, stuck
from orders import services as orders_services
from orders.models import Order
from payments.events import PaymentSucceeded
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
    return {saga.order.id: saga for saga in stuck.stuck_sagas(now).sagas}


@pytest.fixture
def payment_notifier():
    """A subscriber of PaymentSucceeded outside the shop's contexts (a notifier), that fails for good."""

    def notify_payment(event: PaymentSucceeded) -> None:
        raise PermanentError("mail server refuses the message")

    subscribe(PaymentSucceeded, id="busapp.notify_payment", max_attempts=1)(notify_payment)
    yield "busapp.notify_payment"
    unsubscribe("busapp.notify_payment")


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
    words = saga_summary.STALLED_REASONS["not_booked_by_deadline"]  # the order page's words, one dictionary
    assert saga.findings[0].why == f"stalled (not_booked_by_deadline): {words}"
    assert saga.findings[0].short == words == "paid but not booked by its deadline"


def test_orders_on_their_way_are_not_stuck_and_a_retry_is_only_flagged(carrier_down):
    placed = place_order()
    run_pending()
    retrying = Order.objects.get(id=placed.id)  # paid, its booking retrying (the carrier is down)

    assert found() == {}
    flags = stuck.flags([retrying])
    flag = flags[retrying.id]
    assert flag.attention == stuck.Attention.RETRYING
    attempts = booking().attempts
    assert re.fullmatch(
        rf"shipping\.book_shipment retrying: attempt {attempts + 1} of 20, (next in [\d.]+ (ms|s|min)|due now)",
        flag.short,
    )  # the next attempt, counted as the order page counts it
    assert flag.why.startswith(f"{flag.short}; payments.PaymentSucceeded: ")
    assert "carrier down" in flag.why
    assert flag.link == reverse("admin:eventbus_delivery_change", args=[booking().id])


def test_a_retry_is_said_in_the_words_of_the_order_page(carrier_down):
    order = place_order()
    run_pending()
    order.refresh_from_db()
    now = timezone.now()

    flag = stuck.flags([order], now=now)[order.id]
    page = saga_summary.summarize(order, saga_health(timeline(str(order.id), across_services=False)), now=now)

    assert flag.short in [badge.text for badge in page.badges]
    assert flag.short.startswith(f"shipping.book_shipment retrying: attempt {booking().attempts + 1} of 20, ")


def test_a_dead_letter_an_operator_retried_is_due_not_retrying(carrier_refuses):
    order = place_order()
    run_pending()
    operations.retry(Delivery.objects.filter(subscriber="shipping.book_shipment"), by=OPERATOR)
    retried = booking()
    assert (retried.state, retried.attempts) == ("pending", 0)
    assert "carrier refuses the parcel" in retried.last_error  # kept: it is what the retry is about

    order.refresh_from_db()
    assert stuck.flags([order]) == {}
    assert order.id not in found()
    retrying = stuck.needing_attention(Order.objects.all(), stuck.Attention.RETRYING)
    assert list(retrying) == []


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

    answer = json.loads(out.getvalue())

    assert answer["truncated"] is False
    [saga] = answer["sagas"]
    assert (saga["order"], saga["status"], saga["reason"]) == (str(order.id), "paid", "dead_letter")
    assert saga["findings"][0]["link"] == reverse("admin:eventbus_delivery_change", args=[booking().id])


def test_the_command_says_so_when_nothing_is_stuck_and_then_passes_fail():
    out = StringIO()
    call_command("stuck_sagas", "--fail", stdout=out)
    assert out.getvalue().strip() == "No stuck sagas."
    out = StringIO()
    call_command("stuck_sagas", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"sagas": [], "truncated": False}


def test_finding_them_costs_two_queries_however_many_are_stuck(carrier_refuses, django_assert_num_queries):
    for who in ("a", "b", "c"):
        place_order(who=who)
    run_pending()
    with django_assert_num_queries(2):  # the bus's troubled deliveries, then the candidate orders
        assert len(stuck.stuck_sagas().sagas) == 3


def test_the_read_is_bounded_oldest_first_and_says_when_it_was_cut(carrier_refuses, monkeypatch):
    orders = [place_order(who=who) for who in ("a", "b", "c")]
    run_pending()

    report = stuck.stuck_sagas(at_most=2)

    assert report.truncated
    assert [saga.order.id for saga in report.sagas] == [order.id for order in orders[:2]]  # the oldest
    assert report.count == "2+"
    assert (stuck.stuck_sagas(at_most=3).truncated, stuck.stuck_sagas(at_most=3).count) == (False, "3")

    monkeypatch.setattr(stuck, "READ_AT_MOST", 2)
    out = StringIO()
    call_command("stuck_sagas", stdout=out)
    assert "2+ stuck saga(s)" in out.getvalue()
    assert "Only the oldest 2 dead or discarded deliveries and candidate orders were read" in out.getvalue()
    out = StringIO()
    call_command("stuck_sagas", "--json", stdout=out)
    answer = json.loads(out.getvalue())
    assert (answer["truncated"], len(answer["sagas"])) == (True, 2)


def test_the_oldest_dead_letters_are_read_before_older_discarded_steps(carrier_refuses):
    discarded = place_order(who="discarded")
    run_pending()
    operations.discard(Delivery.objects.filter(state="dead"), by=OPERATOR)
    dead = place_order(who="dead")
    run_pending()

    report = stuck.stuck_sagas(at_most=1)

    assert [saga.order.id for saga in report.sagas] == [dead.id]  # a dead letter first, though the newer
    assert report.truncated
    assert {saga.order.id for saga in stuck.stuck_sagas().sagas} == {discarded.id, dead.id}


def test_a_discarded_step_of_a_subscriber_the_saga_does_not_wait_on_is_not_stuck(payment_notifier, carrier_down):
    order = place_order()
    run_pending()
    order.refresh_from_db()
    assert order.status == Status.PAID  # the booking retrying, the notifier dead
    assert order.id in found()  # a dead letter in the saga, whoever's
    operations.discard(Delivery.objects.filter(subscriber=payment_notifier), by=OPERATOR)

    assert order.id not in found()
    assert stuck.waits_on(order) == {"orders", "shipping"}


def test_a_discarded_step_of_the_context_a_pending_order_waits_on_leaves_it_stuck():
    operations.pause("payments.charge_order", by=OPERATOR)
    order = place_order()
    run_pending()  # the charge waits, paused
    charge = Delivery.objects.filter(event__correlation_id=str(order.id), subscriber="payments.charge_order")
    charge.update(state=Delivery.State.DEAD, last_error="PermanentError: provider refuses")
    operations.discard(charge, by=OPERATOR)

    saga = found()[order.id]

    assert stuck.waits_on(order) == {"orders", "payments"}
    assert [finding.reason for finding in saga.findings] == [Reason.STEP_DISCARDED]
    assert "payments.charge_order discarded on orders.OrderCreated" in saga.findings[0].why


def test_eventbus_replay_runs_a_discarded_step_again_and_the_saga_goes_on(monkeypatch):
    def refuse(self, **kwargs):
        raise PermanentError("carrier refuses the parcel")

    monkeypatch.setattr(FakeCarrier, "book", refuse)
    order = place_order()
    run_pending()
    operations.discard(Delivery.objects.filter(subscriber="shipping.book_shipment"), by=OPERATOR)
    assert found()[order.id].reason == Reason.STEP_DISCARDED
    monkeypatch.undo()  # the carrier takes parcels again

    out = StringIO()
    call_command("eventbus", "replay", "--delivery", str(booking().id), stdout=out)  # as docs/saga.md says
    assert "replaying 1 deliveries" in out.getvalue()
    run_pending()

    order.refresh_from_db()
    assert order.status == Status.CONFIRMED
    assert order.id not in found()
