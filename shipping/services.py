"""Shipment commands: prepare, book, cancel and dispatch; each publishes what happened.

One Shipment row per order serialises what happens to its parcel, whatever order the news of the
order, its payment and its cancellation arrive in.

A command a handler calls joins the delivery's transaction without a savepoint
(``atomic(savepoint=False)``): whatever fails in it fails the delivery, whose transaction rolls back
whole, so a savepoint would only cost two statements. Called on its own, it is a transaction. A
refusal its caller catches and carries on after (``shipment_dispatch``'s) keeps a savepoint.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import transaction

from eventbus import RetryAfter, publish

from . import events
from .carrier import AlreadyDispatched, NotServed, carrier
from .models import Shipment

log = logging.getLogger(__name__)

Status = Shipment.Status


class ShipmentNotReady(Exception):
    """Payment news came before the order's address did; the bus retries until it is here."""


class ShipmentNotDispatchable(Exception):
    """Only a booked shipment can be dispatched."""


def booking_key(order_id: UUID) -> str:
    return f"order-{order_id}-shipment"


def shipment_prepare(*, order_id: UUID, customer_id: int, address: dict[str, Any]) -> Shipment:
    """Remember where and to whom an order goes, to book it once it is paid.

    A cancellation may have left a tombstone first: it learns the address and customer, and stays
    cancelled.
    """
    with transaction.atomic(savepoint=False):
        shipment, created = Shipment.objects.select_for_update().get_or_create(
            order_id=order_id,
            defaults={"status": Status.AWAITING_PAYMENT, "address": address, "customer_id": customer_id},
        )
        if not created and shipment.address is None:
            shipment.address, shipment.customer_id = address, customer_id
            shipment.save(update_fields=["address", "customer_id", "updated_at"])
    return shipment


@dataclass(frozen=True)
class CarrierAnswer:
    """What the carrier said to a booking: its reference, or why it does not serve the address."""

    reference: str = ""
    not_served: str = ""


def shipment_book(*, order_id: UUID) -> Shipment:
    """Book a paid order's parcel (both steps: the carrier's answer, then its record)."""
    return shipment_record_booking(order_id=order_id, answer=shipment_call_carrier(order_id=order_id))


def shipment_call_carrier(*, order_id: UUID) -> CarrierAnswer | None:
    """Outside any transaction: book at the carrier, with the order's idempotency key.

    None when there is nothing to book (booked, failed or cancelled already).
    """
    shipment = Shipment.objects.filter(order_id=order_id).first()
    if shipment is None or shipment.address is None:
        raise ShipmentNotReady(f"no address for order {order_id} yet")
    if shipment.status != Status.AWAITING_PAYMENT:
        return None
    try:
        reference = carrier().book(country=shipment.address["country"], idempotency_key=booking_key(order_id))
    except NotServed as error:
        return CarrierAnswer(not_served=str(error))
    return CarrierAnswer(reference=reference)


def shipment_record_booking(*, order_id: UUID, answer: CarrierAnswer | None) -> Shipment:
    """Record the carrier's answer and announce it; a no-op if it was recorded already.

    A cancellation that came while the carrier was asked wins: the booking is cancelled again at
    the carrier (the one carrier call left in a transaction, on that rare path).
    """
    with transaction.atomic(savepoint=False):
        shipment = Shipment.objects.select_for_update().get(order_id=order_id)
        if answer is None or shipment.status != Status.AWAITING_PAYMENT:
            if answer is not None and answer.reference and shipment.status == Status.CANCELLED:
                carrier().cancel(reference=answer.reference)
            return shipment
        if answer.not_served:
            _set(shipment, Status.FAILED, failure_reason=answer.not_served)
            publish(events.ShipmentFailed(order_id=order_id, reason="destination_not_served"), key=order_id)
            log.info("shipment for order %s failed: destination_not_served", order_id)
            return shipment
        _set(shipment, Status.BOOKED, carrier_reference=answer.reference)
        publish(events.ShipmentCreated(order_id=order_id, carrier_reference=answer.reference), key=order_id)
        log.info("shipment for order %s booked: %s", order_id, answer.reference)
    return shipment


@dataclass(frozen=True)
class CarrierCancellation:
    """The carrier's answer to cancelling a booked parcel: cancelled, or refused because it has left."""

    reference: str
    dispatched: bool


def shipment_cancel(*, order_id: UUID, answering_request: bool) -> Shipment:
    """Cancel (both steps: the carrier's answer, then its record)."""
    cancellation = shipment_call_carrier_to_cancel(order_id=order_id)
    return shipment_record_cancellation(order_id=order_id, answering_request=answering_request, answer=cancellation)


def shipment_call_carrier_to_cancel(*, order_id: UUID) -> CarrierCancellation | None:
    """Outside any transaction: cancel a booked parcel at the carrier (idempotent there).

    None when no parcel is booked, so there is nothing to ask the carrier.
    """
    shipment = Shipment.objects.filter(order_id=order_id, status=Status.BOOKED).first()
    if shipment is None:
        return None
    try:
        carrier().cancel(reference=shipment.carrier_reference)
    except AlreadyDispatched:
        return CarrierCancellation(shipment.carrier_reference, dispatched=True)
    return CarrierCancellation(shipment.carrier_reference, dispatched=False)


def shipment_record_cancellation(
    *, order_id: UUID, answering_request: bool, answer: CarrierCancellation | None
) -> Shipment:
    """Stop a parcel that has not left; if none is booked yet, make sure none will be.

    ``answer`` is the carrier's, asked before this transaction. A parcel booked after that
    question was asked has not been cancelled at the carrier yet: ``RetryAfter(0)`` asks again.
    A cancellation request (the customer's, or a saga deadline's) is answered once, with
    ShipmentCancelled or, once the parcel has been dispatched, ShipmentCancellationRefused; the
    answer is kept, so a repeated request is not answered twice.
    """
    with transaction.atomic(savepoint=False):
        shipment, _ = Shipment.objects.select_for_update().get_or_create(
            order_id=order_id, defaults={"status": Status.CANCELLED}
        )
        booked = shipment.status == Status.BOOKED
        if booked and (answer is None or answer.reference != shipment.carrier_reference):
            raise RetryAfter(0, f"shipment for {order_id} was booked while the carrier was asked; ask again")
        if booked and answer is not None and answer.dispatched:
            _set(shipment, Status.DISPATCHED)
            publish(events.ShipmentDispatched(order_id=order_id), key=order_id)
            log.info("shipment for order %s dispatched (before its cancellation reached the carrier)", order_id)
        elif shipment.status in {Status.AWAITING_PAYMENT, Status.BOOKED}:
            _set(shipment, Status.CANCELLED)
            log.info("shipment for order %s cancelled", order_id)
        if booked and shipment.status == Status.CANCELLED and not answering_request:
            publish(events.ShipmentCancelled(order_id=order_id), key=order_id)
        if answering_request and not shipment.cancel_request_answer:
            _answer_request(shipment)
    return shipment


def _answer_request(shipment: Shipment) -> None:
    order_id = shipment.order_id
    if shipment.status == Status.DISPATCHED:
        shipment.cancel_request_answer = "refused"
        publish(events.ShipmentCancellationRefused(order_id=order_id, reason="already_dispatched"), key=order_id)
    else:
        shipment.cancel_request_answer = "cancelled"
        publish(events.ShipmentCancelled(order_id=order_id), key=order_id)
    shipment.save(update_fields=["cancel_request_answer", "updated_at"])


def shipment_dispatch(*, order_id: UUID) -> Shipment:
    """Hand a booked parcel to the carrier; from now on it cannot be cancelled."""
    with transaction.atomic():
        shipment = Shipment.objects.select_for_update().get(order_id=order_id)
        if shipment.status != Status.BOOKED:
            raise ShipmentNotDispatchable(f"shipment for {order_id} is {shipment.status}")
        carrier().dispatch(reference=shipment.carrier_reference)
        _set(shipment, Status.DISPATCHED)
        publish(events.ShipmentDispatched(order_id=order_id), key=order_id)
        log.info("shipment for order %s dispatched: %s", order_id, shipment.carrier_reference)
    return shipment


def _set(shipment: Shipment, status: str, **fields: str) -> None:
    shipment.status = status
    for name, value in fields.items():
        setattr(shipment, name, value)
    shipment.save(update_fields=["status", *fields, "updated_at"])
