"""Faults a test switches on in a worker process through its environment (tests/busapp/apps.py)."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

from eventbus.kernel.envelope import Envelope
from eventbus.transport.forwarding import Forwarder


def die_once_after_forwarding(marker: Path) -> None:
    """The first process to forward an event is SIGKILLed once the broker has confirmed it, before
    its forwarding delivery is marked done; ``marker`` records that it happened (and that it may not again)."""
    publish = Forwarder.publish

    def publish_then_die(self: Forwarder, envelope: Envelope, **kwargs: Any) -> None:
        publish(self, envelope, **kwargs)
        if not marker.exists():
            marker.write_text(str(envelope.id))
            os.kill(os.getpid(), signal.SIGKILL)

    Forwarder.publish = publish_then_die  # type: ignore[method-assign]
