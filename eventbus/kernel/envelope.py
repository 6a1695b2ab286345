"""The envelope around an event; its attributes are CloudEvents 1.0 context attributes.

``subject`` is the partition key (the aggregate id), ``dataversion`` the event's schema version;
``correlationid``, ``causationid``, ``traceparent``, ``tracestate`` and ``baggage`` (W3C Baggage) are
extension attributes: the whole OpenTelemetry propagation context travels with the event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: UUID
    source: str
    type: str
    dataversion: int
    subject: str
    time: datetime
    correlationid: str
    causationid: UUID | None = None
    traceparent: str = ""
    tracestate: str = ""
    baggage: str = ""
    data: dict[str, Any]

    specversion: str = "1.0"
    datacontenttype: str = "application/json"

    def to_cloudevent(self) -> dict[str, Any]:
        """The envelope as a CloudEvents 1.0 JSON object (empty optional attributes left out)."""
        return {name: value for name, value in self.model_dump(mode="json").items() if value not in ("", None)}
