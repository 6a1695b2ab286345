"""``make chaos``: the fault matrix against real processes on private servers (docs/reliability.md)."""
