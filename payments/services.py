"""Payment commands: charge an order once, refund it once; each publishes what happened.

One Payment row per order serialises everything that happens to its money. A charge and a refund
each have two steps: the call to the provider (``payment_call_*``, made outside the delivery's
transaction, with an idempotency key) and the record of its answer (``payment_record_*``, inside
it). A charge takes the row (``charging``) before it calls. A cancellation that finds a charge in
flight does not wait for it (the provider may answer only after a long outage): it notes the
refund on the row, and the charge refunds its own capture.

A command a handler calls joins the delivery's transaction without a savepoint
(``atomic(savepoint=False)``): whatever fails in it fails the delivery, whose transaction rolls back
whole, so a savepoint would only cost two statements. Called on its own, it is a transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from django.db import transaction

from eventbus import RetryAfter, publish

from . import events
from .gateway import Declined, gateway
from .models import Payment, Refund

log = logging.getLogger(__name__)

Status = Payment.Status


def charge_key(order_id: UUID) -> str:
    return f"order-{order_id}-charge"


def refund_key(order_id: UUID) -> str:
    return f"order-{order_id}-refund"


@dataclass(frozen=True)
class ProviderAnswer:
    """What the provider said to a charge: a charge id, or the reason it declined."""

    charge_id: str = ""
    declined: str = ""
    refund_id: str = ""  # the order was cancelled meanwhile: the capture has been refunded already


def payment_charge(
    *, order_id: UUID, customer_id: int, amount: Decimal, currency: str, token: str, pay_before: datetime
) -> Payment | None:
    """Charge an order unless it already was, or was cancelled before we got to it (both steps)."""
    answer = payment_call_provider(
        order_id=order_id, customer_id=customer_id, amount=amount, currency=currency, token=token, pay_before=pay_before
    )
    return payment_record_charge(order_id=order_id, answer=answer)


def payment_call_provider(
    *, order_id: UUID, customer_id: int, amount: Decimal, currency: str, token: str, pay_before: datetime
) -> ProviderAnswer | None:
    """Outside any long transaction: take the order's payment row, then ask the provider to charge.

    None when there is nothing to charge: charged or failed already, or voided by a cancellation
    that came first. A transient provider failure propagates, so the bus retries; the idempotency
    key makes the retry return the first charge rather than take the money twice.
    """
    with transaction.atomic(savepoint=False):
        # Insert first: a cancellation that comes now finds a charge in flight and leaves it a refund to make.
        payment, created = Payment.objects.get_or_create(
            order_id=order_id,
            defaults={"status": Status.CHARGING, "amount": amount, "currency": currency, "customer_id": customer_id},
        )
        if not created:
            _remember_customer(payment, customer_id)
            if payment.status != Status.CHARGING:
                return None
    try:
        charge = gateway().charge(
            token=token, amount=amount, currency=currency, idempotency_key=charge_key(order_id), pay_before=pay_before
        )
    except Declined as error:
        return ProviderAnswer(declined=str(error))
    return ProviderAnswer(
        charge_id=charge.charge_id, refund_id=_refund_if_cancelled(order_id, charge.charge_id, amount)
    )


def _refund_if_cancelled(order_id: UUID, charge_id: str, amount: Decimal) -> str:
    """A capture for an order cancelled while it was in flight goes straight back; its refund id, or ""."""
    if not Payment.objects.filter(order_id=order_id).exclude(refund_reason="").exists():
        return ""
    return gateway().refund(charge_id=charge_id, amount=amount, idempotency_key=refund_key(order_id))


def payment_record_charge(*, order_id: UUID, answer: ProviderAnswer | None) -> Payment | None:
    """Record the provider's answer and announce it; a no-op if it was recorded already."""
    if answer is None:
        return None
    with transaction.atomic(savepoint=False):
        payment = Payment.objects.select_for_update().get(order_id=order_id)
        if payment.status != Status.CHARGING:
            return payment
        if answer.declined:
            log.info("payment for order %s failed: %s", order_id, answer.declined)
            payment.status, payment.failure_reason = Status.FAILED, answer.declined
            payment.save(update_fields=["status", "failure_reason", "updated_at"])
            publish(events.PaymentFailed(order_id=order_id, reason=answer.declined), key=order_id)
            return payment
        if payment.refund_reason and not answer.refund_id:
            raise RetryAfter(0, "the order was cancelled while the provider was asked: refund on the next attempt")
        payment.status, payment.provider_charge_id = Status.CAPTURED, answer.charge_id
        payment.save(update_fields=["status", "provider_charge_id", "updated_at"])
        log.info(
            "payment for order %s captured: %s %s (charge %s)",
            order_id,
            payment.amount,
            payment.currency,
            answer.charge_id,
        )
        publish(
            events.PaymentSucceeded(order_id=order_id, amount=payment.amount, currency=payment.currency), key=order_id
        )
        if payment.refund_reason:
            _record_refund(payment, answer.refund_id, payment.refund_reason)
    return payment


def payment_refund(*, order_id: UUID, reason: str) -> Payment:
    """Give back a captured payment; if the order is not charged yet, make sure it never will be."""
    return payment_record_refund(order_id=order_id, reason=reason, refund_id=payment_call_refund(order_id=order_id))


def payment_call_refund(*, order_id: UUID) -> str | None:
    """Outside any transaction: refund a captured payment at the provider; its refund id, or None."""
    payment = Payment.objects.filter(order_id=order_id).first()
    if payment is None or payment.status != Status.CAPTURED:
        return None
    return gateway().refund(
        charge_id=payment.provider_charge_id, amount=payment.amount, idempotency_key=refund_key(order_id)
    )


def payment_record_refund(*, order_id: UUID, reason: str, refund_id: str | None) -> Payment:
    """Record a refund and announce it.

    With no payment yet, leave a tombstone so none is taken; with a charge in flight, note the
    refund for the charge to make once the provider answers.
    """
    with transaction.atomic(savepoint=False):
        payment, created = Payment.objects.select_for_update().get_or_create(
            order_id=order_id, defaults={"status": Status.VOIDED, "failure_reason": f"voided: {reason}"}
        )
        if created:
            return payment
        if payment.status == Status.CHARGING:
            _note_refund(payment, reason)
            return payment
        if payment.status != Status.CAPTURED:
            return payment
        if refund_id is None:
            raise RetryAfter(0, "captured after the refund was prepared: refund it on the next attempt")
        _record_refund(payment, refund_id, reason)
    return payment


def _note_refund(payment: Payment, reason: str) -> None:
    if not payment.refund_reason:
        log.info("order %s cancelled while its charge is in flight: the charge will refund it", payment.order_id)
        payment.refund_reason = reason
        payment.save(update_fields=["refund_reason", "updated_at"])


def _record_refund(payment: Payment, refund_id: str, reason: str) -> None:
    Refund.objects.create(payment=payment, amount=payment.amount, provider_refund_id=refund_id, reason=reason)
    payment.status = Status.REFUNDED
    payment.save(update_fields=["status", "updated_at"])
    log.info("payment for order %s refunded: %s %s (%s)", payment.order_id, payment.amount, payment.currency, reason)
    publish(
        events.PaymentRefunded(
            order_id=payment.order_id, amount=payment.amount, currency=payment.currency, reason=reason
        ),
        key=payment.order_id,
    )


def _remember_customer(payment: Payment, customer_id: int) -> None:
    """A cancellation's tombstone learns whose order it was once the order itself reaches us."""
    if payment.customer_id is None:
        payment.customer_id = customer_id
        payment.save(update_fields=["customer_id", "updated_at"])
