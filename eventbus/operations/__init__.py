"""What operators do and read: retry, discard, replay, backfill, hand over, pause, purge, key rotation; the map;
the schemas."""

from eventbus.operations.actions import (
    backfill,
    dead_letter_group,
    dead_letter_groups,
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
from eventbus.operations.left_behind import LeftBehind, left_behind
from eventbus.store import Operator

__all__ = [
    "LeftBehind",
    "Operator",
    "backfill",
    "dead_letter_group",
    "dead_letter_groups",
    "dead_letters",
    "discard",
    "hand_over",
    "left_behind",
    "pause",
    "purge",
    "record",
    "replay",
    "resume",
    "retry",
    "rotate_field_keys",
    "status",
]
