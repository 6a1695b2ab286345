"""What the payments context publishes. No Django here, only pydantic."""

from decimal import Decimal
from uuid import UUID

from pydantic import Field

from eventbus.kernel import Event


class PaymentSucceeded(Event, type="payments.PaymentSucceeded"):
    order_id: UUID
    amount: Decimal
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class PaymentFailed(Event, type="payments.PaymentFailed"):
    order_id: UUID
    reason: str


class PaymentRefunded(Event, type="payments.PaymentRefunded"):
    order_id: UUID
    amount: Decimal
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    reason: str
