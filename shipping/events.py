"""What the shipping context publishes. No Django here, only pydantic."""

from uuid import UUID

from eventbus.kernel import Event


class ShipmentCreated(Event, type="shipping.ShipmentCreated"):
    order_id: UUID
    carrier_reference: str


class ShipmentFailed(Event, type="shipping.ShipmentFailed"):
    order_id: UUID
    reason: str


class ShipmentCancelled(Event, type="shipping.ShipmentCancelled"):
    order_id: UUID


class ShipmentCancellationRefused(Event, type="shipping.ShipmentCancellationRefused"):
    order_id: UUID
    reason: str


class ShipmentDispatched(Event, type="shipping.ShipmentDispatched"):
    order_id: UUID
