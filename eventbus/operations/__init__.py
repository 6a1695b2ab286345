"""What operators do and read: retry, discard, replay, backfill, hand over, pause, purge, key rotation; the map;
the schemas."""

from eventbus.operations.actions import (
    backfill,
    dead_letters,
    discard,
    hand_over,
    pause,
    purge,
    record,
    replay,
    resume,
    retry,
    rotate_field_keys,
    status,
)
from eventbus.store import Operator

__all__ = [
    "Operator",
    "backfill",
    "dead_letters",
    "discard",
    "hand_over",
    "pause",
    "purge",
    "record",
    "replay",
    "resume",
    "retry",
    "rotate_field_keys",
    "status",
]
