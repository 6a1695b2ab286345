"""What operators do and read: retry, discard, replay, backfill, pause, purge, key rotation; the map; the schemas."""

from eventbus.operations.actions import (
    backfill,
    dead_letters,
    discard,
    pause,
    purge,
    replay,
    resume,
    retry,
    rotate_field_keys,
    status,
)

__all__ = [
    "backfill",
    "dead_letters",
    "discard",
    "pause",
    "purge",
    "replay",
    "resume",
    "retry",
    "rotate_field_keys",
    "status",
]
