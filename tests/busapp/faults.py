"""Faults a test switches on in a worker process through its environment (tests/busapp/apps.py)."""

from __future__ import annotations

import os
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eventbus.kernel.envelope import Envelope
from eventbus.transport.confirmations import BrokerUnavailable
from eventbus.transport.forwarding import Forwarder

Refused = BrokerUnavailable | None


def die_once_after_forwarding(marker: Path) -> None:
    """The first process to forward events is SIGKILLed once the broker has confirmed them, before
    their forwarding deliveries are marked done; ``marker`` records that it happened (and that it may not again)."""
    publish_many = Forwarder.publish_many

    def publish_then_die(self: Forwarder, envelopes: Sequence[Envelope], **kwargs: Any) -> list[Refused]:
        outcomes = publish_many(self, envelopes, **kwargs)
        if not marker.exists():
            marker.write_text(str(envelopes[0].id))
            os.kill(os.getpid(), signal.SIGKILL)
        return outcomes

    Forwarder.publish_many = publish_then_die  # type: ignore[method-assign]


def refuse_once_to_forward(marker: Path, event_type: str) -> None:
    """The first event of ``event_type`` to be forwarded is refused, as a broker's nack would: it is not
    sent, and its forwarding delivery is retried after its backoff; ``marker`` holds its event id."""
    publish_many = Forwarder.publish_many

    def refusing_once(self: Forwarder, envelopes: Sequence[Envelope], **kwargs: Any) -> list[Refused]:
        refused = next((found for found in envelopes if found.type == event_type), None)
        if refused is None or marker.exists():
            return publish_many(self, envelopes, **kwargs)
        marker.write_text(str(refused.id))
        outcomes = iter(publish_many(self, [found for found in envelopes if found is not refused], **kwargs))
        nack = BrokerUnavailable("the broker refused it (nack)")
        return [nack if found is refused else next(outcomes) for found in envelopes]

    Forwarder.publish_many = refusing_once  # type: ignore[method-assign]
