"""What the orders context publishes: its published language. No Django here, only pydantic."""

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from eventbus.event import Event

Money = Decimal


class OrderLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0)
    unit_price: Money = Field(gt=0, decimal_places=2)


class ShippingAddress(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1, max_length=200)
    line1: str = Field(min_length=1, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    postal_code: str = Field(min_length=1, max_length=20)
    country: str = Field(pattern=r"^[A-Z]{2}$")


class OrderCreated(Event):
    order_id: UUID
    customer_id: int
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    total: Money
    lines: tuple[OrderLine, ...]
    shipping_address: ShippingAddress
    payment_token: str
    payment_due_by: datetime


class OrderConfirmed(Event):
    order_id: UUID


class OrderCancellationRequested(Event):
    """The customer asked to cancel, or the payment deadline passed; shipping decides whether the
    parcel can still be stopped."""

    order_id: UUID


class OrderCancelled(Event):
    order_id: UUID
    reason: str


class PaymentDeadlineReached(Event):
    """Published by orders to itself, delayed until the order's payment deadline."""

    order_id: UUID
