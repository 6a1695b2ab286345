"""Text logs that no input can forge: one record per line.

A message's control characters (a newline in a user name, an escape sequence in an error) are
written escaped (``\\n``, ``\\x1b``), and the lines of a traceback are indented under their record
behind ``  | ``, so nothing that arrives in a field can start a line that looks like a record. The
JSON format needs none of this: python-json-logger escapes each value.
"""

from __future__ import annotations

import logging
import re

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r"}


def escaped(text: str) -> str:
    """``text`` on one line: each control character (tab aside) as its escape."""
    return _CONTROL.sub(_escape, text)


def _escape(found: re.Match[str]) -> str:
    character = found[0]
    if character in _NAMED:
        return _NAMED[character]
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def indented(text: str) -> str:
    """A traceback's lines, each behind a margin that no record starts with."""
    return "\n".join(f"  | {escaped(line)}" for line in text.splitlines())


class TextFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:
        return escaped(super().formatMessage(record))

    def formatException(self, ei: logging._SysExcInfoType) -> str:
        return indented(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return indented(super().formatStack(stack_info))
