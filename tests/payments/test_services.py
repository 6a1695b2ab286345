"""Charging and refunding, whatever order the news arrives in: never twice, never on a cancelled order."""

from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from django.db import transaction
from django.utils import timezone

from eventbus import RetryAfter
from eventbus.testing import capture_published
from payments import services
from payments.gateway import ProviderUnavailable, gateway
from payments.models import Payment

pytestmark = pytest.mark.django_db
Status = Payment.Status


def charge(order_id, token: str = "tok_ok") -> Payment | None:
    return services.payment_charge(
        order_id=order_id,
        customer_id=1,
        amount=Decimal("10.00"),
        currency="EUR",
        token=token,
        pay_before=timezone.now() + timedelta(minutes=5),
    )


def test_a_charge_captures_once_and_announces_it():
    order_id = uuid4()
    with capture_published() as published:
        charge(order_id)
        assert charge(order_id) is None
    assert Payment.objects.get(order_id=order_id).status == Status.CAPTURED
    assert published.types() == ["payments.PaymentSucceeded"]
    assert gateway().captures(services.charge_key(order_id)) == [Decimal("10.00")]


def test_a_declined_card_fails_the_payment():
    order_id = uuid4()
    with capture_published() as published:
        charge(order_id, "tok_declined")
    assert Payment.objects.get(order_id=order_id).status == Status.FAILED
    assert published.types() == ["payments.PaymentFailed"]


def test_a_transient_provider_failure_leaves_the_charge_in_flight_for_the_retry():
    order_id = uuid4()
    for _ in range(2):
        with pytest.raises(ProviderUnavailable):
            charge(order_id, "tok_flaky")
        assert Payment.objects.get(order_id=order_id).status == Status.CHARGING
    with capture_published() as published:
        charge(order_id, "tok_flaky")
    assert Payment.objects.get(order_id=order_id).status == Status.CAPTURED
    assert published.types() == ["payments.PaymentSucceeded"]
    assert gateway().captures(services.charge_key(order_id)) == [Decimal("10.00")]


def test_a_cancellation_that_finds_a_charge_in_flight_is_refunded_by_the_charge_once_captured():
    """The cancellation does not wait: it may come long before the provider answers (an outage past
    the payment deadline), and a wait that spent its attempts would leave the capture unrefunded."""
    order_id = uuid4()
    with pytest.raises(ProviderUnavailable):
        charge(order_id, "tok_flaky")
    with capture_published() as published:
        assert services.payment_refund(order_id=order_id, reason="order_cancelled").status == Status.CHARGING
    assert published == []
    with pytest.raises(ProviderUnavailable):
        charge(order_id, "tok_flaky")

    with capture_published() as published:
        payment = charge(order_id, "tok_flaky")

    assert payment is not None
    assert payment.status == Status.REFUNDED
    assert published.types() == ["payments.PaymentSucceeded", "payments.PaymentRefunded"]
    assert [refund.reason for refund in payment.refunds.all()] == ["order_cancelled"]
    assert gateway().refunded(payment.provider_charge_id) == [Decimal("10.00")]


def test_a_cancellation_that_lands_while_the_provider_is_asked_is_refunded_on_the_next_attempt():
    order_id = uuid4()
    answer = services.payment_call_provider(
        order_id=order_id,
        customer_id=1,
        amount=Decimal("10.00"),
        currency="EUR",
        token="tok_ok",
        pay_before=timezone.now() + timedelta(minutes=5),
    )
    services.payment_refund(order_id=order_id, reason="order_cancelled")
    with (
        pytest.raises(RetryAfter, match="next attempt"),
        transaction.atomic(),
    ):  # as the bus runs a handler, in a transaction
        services.payment_record_charge(order_id=order_id, answer=answer)
    assert Payment.objects.get(order_id=order_id).status == Status.CHARGING

    payment = charge(order_id)

    assert payment is not None
    assert payment.status == Status.REFUNDED
    assert gateway().captures(services.charge_key(order_id)) == [Decimal("10.00")]
    assert gateway().refunded(payment.provider_charge_id) == [Decimal("10.00")]


def test_a_capture_recorded_after_the_refund_was_prepared_is_refunded_on_the_next_attempt():
    order_id = uuid4()
    refund_id = services.payment_call_refund(order_id=order_id)
    charge(order_id)
    with (
        pytest.raises(RetryAfter, match="next attempt"),
        transaction.atomic(),
    ):  # as the bus runs a handler, in a transaction
        services.payment_record_refund(order_id=order_id, reason="order_cancelled", refund_id=refund_id)
    assert services.payment_refund(order_id=order_id, reason="order_cancelled").status == Status.REFUNDED


def test_a_cancellation_that_arrives_first_voids_the_payment_and_the_charge_never_happens():
    order_id = uuid4()
    with capture_published() as published:
        services.payment_refund(order_id=order_id, reason="order_cancelled")
        assert charge(order_id) is None
    assert Payment.objects.get(order_id=order_id).status == Status.VOIDED
    assert published == []
    assert gateway().captures(services.charge_key(order_id)) == []


def test_a_captured_payment_is_refunded_once():
    order_id = uuid4()
    charge(order_id)
    with capture_published() as published:
        services.payment_refund(order_id=order_id, reason="shipping_failed")
        services.payment_refund(order_id=order_id, reason="order_cancelled")
    payment = Payment.objects.get(order_id=order_id)
    assert payment.status == Status.REFUNDED
    assert [refund.reason for refund in payment.refunds.all()] == ["shipping_failed"]
    assert published.types() == ["payments.PaymentRefunded"]
    assert gateway().refunded(payment.provider_charge_id) == [Decimal("10.00")]
