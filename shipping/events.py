"""What the shipping context publishes. No Django here, only pydantic."""

from uuid import UUID

from eventbus.event import Event


class ShipmentCreated(Event):
    order_id: UUID
    carrier_reference: str


class ShipmentFailed(Event):
    order_id: UUID
    reason: str


class ShipmentCancelled(Event):
    order_id: UUID


class ShipmentCancellationRefused(Event):
    order_id: UUID
    reason: str


class ShipmentDispatched(Event):
    order_id: UUID
