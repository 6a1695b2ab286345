"""What the payments context publishes. No Django here, only pydantic."""

from decimal import Decimal
from uuid import UUID

from pydantic import Field

from eventbus.event import Event


class PaymentSucceeded(Event):
    order_id: UUID
    amount: Decimal
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class PaymentFailed(Event):
    order_id: UUID
    reason: str


class PaymentRefunded(Event):
    order_id: UUID
    amount: Decimal
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    reason: str
