"""A logging filter that tells, on every line logged inside a handler, where in which saga it is.

It adds ``trace_id`` and ``span_id`` (the current OpenTelemetry span), and ``correlation_id``,
``event_id`` and ``subscriber`` (the bus's handler context) to the record — only those that have a
value, so a JSON formatter shows them as fields exactly where they mean something — and
``bus_context``, the same as one bracketed suffix for a plain-text format ("" outside handlers).
"""

from __future__ import annotations

import logging

from opentelemetry import trace

from eventbus.kernel.context import current_envelope, current_subscriber


class BusContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        fields = context_fields()
        for name, value in fields.items():
            setattr(record, name, value)
        record.bus_context = f" [{' '.join(f'{name}={value}' for name, value in fields.items())}]" if fields else ""
        return True


def context_fields() -> dict[str, str]:
    fields = {}
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        fields["trace_id"] = format(span.trace_id, "032x")
        fields["span_id"] = format(span.span_id, "016x")
    envelope = current_envelope()
    if envelope is not None:
        fields["correlation_id"] = envelope.correlationid
        fields["event_id"] = str(envelope.id)
        fields["subscriber"] = current_subscriber()
    return fields
