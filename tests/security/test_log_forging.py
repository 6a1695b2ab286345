"""A newline (or an escape sequence) in a logged field cannot forge a record: text logs keep one record
per line, tracebacks indented under theirs; JSON logs escape every value."""

import copy
import json
import logging
import logging.config
import sys

import pytest

FORGED = "alice\n2026-12-02 06:00:00,000 CRITICAL django.security admin logged in"


def formatted(settings, name: str, record: logging.LogRecord) -> str:
    """``record`` through the project's formatter ``name``, as the settings configure it."""
    described = copy.deepcopy(settings.LOGGING["formatters"][name])  # configuring consumes the description
    formatter = logging.config.dictConfigClass({}).configure_formatter(described)
    record.bus_context = ""
    return formatter.format(record)


def record_of(message: str, *args: object, exc_info: object = None) -> logging.LogRecord:
    return logging.LogRecord("orders", logging.INFO, __file__, 1, message, args, exc_info)


def test_a_newline_in_a_field_stays_on_its_records_line(settings):
    line = formatted(settings, "text", record_of("login failed for %s", FORGED))
    assert "\n" not in line
    assert line.endswith("login failed for alice\\n2026-12-02 06:00:00,000 CRITICAL django.security admin logged in")


def test_escape_sequences_are_written_escaped(settings):
    line = formatted(settings, "text", record_of("name %s", "\x1b[2J\rcleared\u2028"))
    assert line.endswith("name \\x1b[2J\\rcleared\\u2028")


def test_a_traceback_is_indented_under_its_record_even_when_its_message_holds_a_newline(settings):
    try:
        raise ValueError(FORGED)
    except ValueError:
        text = formatted(settings, "text", record_of("handler failed", exc_info=sys.exc_info()))
    first, *rest = text.split("\n")
    assert first.endswith("handler failed")
    assert rest
    assert all(line.startswith("  | ") for line in rest)


@pytest.mark.parametrize("message", [FORGED, "\x1b[31mred"])
def test_json_logs_hold_one_record_per_line(settings, message):
    line = formatted(settings, "json", record_of("login failed for %s", message))
    assert "\n" not in line
    assert json.loads(line)["message"] == f"login failed for {message}"
