"""What the orders context publishes: its published language. No Django here, only pydantic."""

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from eventbus.kernel import Event, SensitiveStr, upcaster

Money = Decimal


class OrderLine(BaseModel):
    """A line as ordered: the net unit price, and the tax rate that applies to it (0.19 = 19 %)."""

    model_config = ConfigDict(frozen=True)

    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0)
    unit_price: Money = Field(gt=0, decimal_places=2)
    tax_rate: Decimal = Field(default=Decimal(0), ge=0, le=1, decimal_places=4)


class TaxedLine(OrderLine):
    """A line of a placed order, with its tax: net unit price times quantity times rate, to the cent."""

    tax: Money = Field(ge=0, decimal_places=2)


class ShippingAddress(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1, max_length=200)
    line1: str = Field(min_length=1, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    postal_code: str = Field(min_length=1, max_length=20)
    country: str = Field(pattern=r"^[A-Z]{2}$")


class OrderCreated(Event, type="orders.OrderCreated", version=3):
    """v2: each line carries its tax, and ``total`` (what is charged) includes ``tax_total``.
    v3: the card token is sealed (``SensitiveStr``): encrypted in the outbox and on the wire."""

    order_id: UUID
    customer_id: int
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    total: Money
    tax_total: Money
    lines: tuple[TaxedLine, ...]
    shipping_address: ShippingAddress
    payment_token: SensitiveStr
    payment_due_by: datetime


@upcaster("orders.OrderCreated", from_version=1)
def order_created_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """v1 knew no tax: every line at rate 0 with no tax, and the unchanged total all net."""
    lines = [{**line, "tax_rate": "0", "tax": "0.00"} for line in data["lines"]]
    return {**data, "lines": lines, "tax_total": "0.00"}


@upcaster("orders.OrderCreated", from_version=2)
def order_created_v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    """v2 stored the token in clear; v3 reads an unsealed value as it is."""
    return data


class OrderConfirmed(Event, type="orders.OrderConfirmed"):
    order_id: UUID


class OrderCancellationRequested(Event, type="orders.OrderCancellationRequested"):
    """The customer asked to cancel, or a saga deadline passed (payment, shipment); shipping decides
    whether the parcel can still be stopped."""

    order_id: UUID


class OrderCancelled(Event, type="orders.OrderCancelled"):
    order_id: UUID
    reason: str


class PaymentDeadlineReached(Event, type="orders.PaymentDeadlineReached"):
    """Published by orders to itself, delayed until the order's payment deadline."""

    order_id: UUID


class ShipmentDeadlineReached(Event, type="orders.ShipmentDeadlineReached"):
    """Published by orders to itself when an order is paid, delayed until its parcel must be booked."""

    order_id: UUID


class CancellationDeadlineReached(Event, type="orders.CancellationDeadlineReached"):
    """Published by orders to itself with a cancellation request, delayed until shipping must have answered it."""

    order_id: UUID
    requested_at: datetime
