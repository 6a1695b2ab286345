"""Durations and ages in words a person reads at a glance, the same on every page and command."""

from __future__ import annotations


def duration_label(ms: float, *, short: bool = False) -> str:
    """A duration in words a person reads at a glance: 850 ms, 4.0 s, 15 min 3 s, 2 h 5 min; ``short``
    drops the smaller unit past a minute (15 min)."""
    if ms < 1000:
        return f"{ms:.0f} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min" + (f" {seconds} s" if seconds and not short else "")
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h" + (f" {minutes} min" if minutes and not short else "")


def age_label(seconds: float) -> str:
    """How long something has waited, rounded to its largest unit: 45 s, 12 min, 3.5 h."""
    seconds = max(seconds, 0.0)
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"
