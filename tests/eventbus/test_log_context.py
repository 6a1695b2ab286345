"""Log lines written inside a handler carry the trace, span, correlation, event and subscriber."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime
from uuid import uuid4

from django.conf import settings
from opentelemetry.sdk.trace import TracerProvider
from pythonjsonlogger.json import JsonFormatter

from eventbus.kernel.context import handling
from eventbus.kernel.envelope import Envelope
from eventbus.observability.log_context import BusContextFilter


def envelope() -> Envelope:
    return Envelope(
        id=uuid4(),
        source="/test",
        type="busapp.Ping",
        dataversion=1,
        subject="order-1",
        time=datetime.now(UTC),
        correlationid="order-1",
        causationid=None,
        data={"n": 1},
    )


def log_line(formatter: logging.Formatter) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(BusContextFilter())
    logger = logging.getLogger("tests.log_context")
    logger.addHandler(handler)
    try:
        logger.warning("charged %s", 42)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue().strip()


def json_formatter() -> JsonFormatter:
    options = {key: value for key, value in settings.LOGGING["formatters"]["json"].items() if key != "()"}
    return JsonFormatter(**options)


def test_a_json_line_inside_a_handler_has_every_context_field():
    tracer = TracerProvider().get_tracer("test")
    current = envelope()
    with handling(current, "payments.charge_order"), tracer.start_as_current_span("payments.charge_order") as span:
        line = json.loads(log_line(json_formatter()))
    context = span.get_span_context()
    assert line["message"] == "charged 42"
    assert (line["level"], line["logger"]) == ("WARNING", "tests.log_context")
    assert line["trace_id"] == format(context.trace_id, "032x")
    assert line["span_id"] == format(context.span_id, "016x")
    assert (line["correlation_id"], line["event_id"], line["subscriber"]) == (
        "order-1",
        str(current.id),
        "payments.charge_order",
    )
    assert "bus_context" not in line


def test_outside_a_handler_a_json_line_has_no_empty_context_fields():
    line = json.loads(log_line(json_formatter()))
    assert set(line) == {"time", "level", "logger", "message"}


def test_a_text_line_inside_a_handler_ends_with_its_context():
    text = logging.Formatter(settings.LOGGING["formatters"]["text"]["format"])
    with handling(envelope(), "payments.charge_order"):
        line = log_line(text)
    assert line.endswith("subscriber=payments.charge_order]")
    assert "correlation_id=order-1" in line
    assert log_line(text).endswith("charged 42")
