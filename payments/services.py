"""Payment commands: charge an order once, refund it once; each publishes what happened.

One Payment row per order is the lock that serialises everything that happens to its money: a
charge and a cancellation that race are applied one after the other, whatever order they arrive in.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from django.db import transaction

from eventbus import publish

from . import events
from .gateway import Declined, gateway
from .models import Payment, Refund

log = logging.getLogger(__name__)

Status = Payment.Status


def charge_key(order_id: UUID) -> str:
    return f"order-{order_id}-charge"


def refund_key(order_id: UUID) -> str:
    return f"order-{order_id}-refund"


def payment_charge(
    *, order_id: UUID, customer_id: int, amount: Decimal, currency: str, token: str, pay_before: datetime
) -> Payment | None:
    """Charge an order unless it already was, or was cancelled before we got to it.

    A transient provider failure propagates, so the bus retries; the idempotency key makes the
    retry return the first charge rather than take the money twice.
    """
    with transaction.atomic():
        # Insert first: a cancellation racing us waits on this row, or we wait on its tombstone.
        payment, created = Payment.objects.select_for_update().get_or_create(
            order_id=order_id,
            defaults={"status": Status.CHARGING, "amount": amount, "currency": currency, "customer_id": customer_id},
        )
        if not created:
            _remember_customer(payment, customer_id)
            return None
        try:
            charge = gateway().charge(
                token=token,
                amount=amount,
                currency=currency,
                idempotency_key=charge_key(order_id),
                pay_before=pay_before,
            )
        except Declined as error:
            log.info("charge for order %s declined: %s", order_id, error)
            payment.status, payment.failure_reason = Status.FAILED, str(error)
            payment.save(update_fields=["status", "failure_reason", "updated_at"])
            publish(events.PaymentFailed(order_id=order_id, reason=str(error)), key=order_id)
            return payment
        payment.status, payment.provider_charge_id = Status.CAPTURED, charge.charge_id
        payment.save(update_fields=["status", "provider_charge_id", "updated_at"])
        log.info("captured %s %s for order %s (charge %s)", amount, currency, order_id, charge.charge_id)
        publish(events.PaymentSucceeded(order_id=order_id, amount=amount, currency=currency), key=order_id)
    return payment


def payment_refund(*, order_id: UUID, reason: str) -> Payment:
    """Give back a captured payment; if the order is not charged yet, make sure it never will be."""
    with transaction.atomic():
        payment, created = Payment.objects.select_for_update().get_or_create(
            order_id=order_id, defaults={"status": Status.VOIDED, "failure_reason": f"voided: {reason}"}
        )
        if created or payment.status != Status.CAPTURED:
            return payment
        refund_id = gateway().refund(
            charge_id=payment.provider_charge_id, amount=payment.amount, idempotency_key=refund_key(order_id)
        )
        Refund.objects.create(payment=payment, amount=payment.amount, provider_refund_id=refund_id, reason=reason)
        payment.status = Status.REFUNDED
        payment.save(update_fields=["status", "updated_at"])
        publish(
            events.PaymentRefunded(order_id=order_id, amount=payment.amount, currency=payment.currency, reason=reason),
            key=order_id,
        )
    return payment


def _remember_customer(payment: Payment, customer_id: int) -> None:
    """A cancellation's tombstone learns whose order it was once the order itself reaches us."""
    if payment.customer_id is None:
        payment.customer_id = customer_id
        payment.save(update_fields=["customer_id", "updated_at"])
