"""What operators do and read: retry, discard, replay, backfill, pause, purge; the map; the schemas."""

from eventbus.operations.actions import (
    backfill,
    dead_letters,
    discard,
    pause,
    purge,
    replay,
    resume,
    retry,
    status,
)

__all__ = ["backfill", "dead_letters", "discard", "pause", "purge", "replay", "resume", "retry", "status"]
