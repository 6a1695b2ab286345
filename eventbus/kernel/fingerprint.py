"""An error's fingerprint: its exception type and message with the parts that differ per event (ids, uuids,
numbers, times, quoted values) normalised away, so that dead letters failing for the same reason group together.

A delivery's ``last_error`` reads ``ExceptionType: message`` (or a sentence the bus wrote itself, such as
an expired lease); only its first line counts.
"""

import re

LONGEST = 200

_TYPE = re.compile(r"^([A-Za-z_][\w.]*): ?(.*)$")
_NORMALISED = [
    (re.compile(r"\b[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\b", re.IGNORECASE), "<uuid>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"), "<time>"),
    (re.compile(r"\b0x[0-9a-f]+\b", re.IGNORECASE), "<hex>"),
    (re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b", re.IGNORECASE), "<hex>"),
    (re.compile(r"'[^']*'|\"[^\"]*\""), "<value>"),
    (re.compile(r"\b[A-Za-z]+_?\d[\w-]*"), "<id>"),  # ord_123, tok_9f2, A42
    (re.compile(r"[-+]?\d+(?:[.,]\d+)*"), "<n>"),
]
_SPACES = re.compile(r"\s+")


def fingerprint(error: str) -> str:
    """``ExceptionType: message`` with ids, uuids, numbers, times and quoted values replaced by placeholders."""
    first_line = error.strip().split("\n", 1)[0]
    found = _TYPE.match(first_line)
    kind, message = (found[1], found[2]) if found else ("", first_line)
    for pattern, placeholder in _NORMALISED:
        message = pattern.sub(placeholder, message)
    message = _SPACES.sub(" ", message).strip()[:LONGEST]
    return f"{kind}: {message}" if kind else message
