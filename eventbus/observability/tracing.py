"""The bus's own spans, on the OpenTelemetry API alone (a no-op until a process sets up an SDK).

A handler's span continues the trace of the code that published its event: its parent is the
span that was current at publish time (carried in the envelope as W3C ``traceparent``, with the
publisher's W3C baggage, which the handler's own publications carry on), so one
trace follows an order from the HTTP request through every handler of its saga, each retry a
span of its own. A relay batch moves events of many traces; its span links to each of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from eventbus.kernel.envelope import Envelope

tracer = trace.get_tracer("eventbus")
SYSTEM = "eventbus"


@contextmanager
def handler_span(envelope: Envelope, *, subscriber: str, attempt: int) -> Iterator[Span]:
    """The CONSUMER span of one attempt of one subscriber, a child of the publishing span."""
    token = otel_context.attach(_publisher_context(envelope))
    try:
        with tracer.start_as_current_span(
            subscriber, kind=SpanKind.CONSUMER, attributes=_attributes(envelope, subscriber, attempt)
        ) as span:
            yield span
    finally:
        otel_context.detach(token)


@contextmanager
def sending_spans(envelopes: Sequence[Envelope], *, subscriber: str, attempts: Sequence[int]) -> Iterator[list[Span]]:
    """One CONSUMER span per event of a claim sent out at once, each in its own event's trace."""
    spans = [
        tracer.start_span(
            subscriber,
            context=_publisher_context(envelope),
            kind=SpanKind.CONSUMER,
            attributes=_attributes(envelope, subscriber, attempt),
        )
        for envelope, attempt in zip(envelopes, attempts, strict=True)
    ]
    try:
        yield spans
    finally:
        for span in spans:
            span.end()


def _attributes(envelope: Envelope, subscriber: str, attempt: int) -> dict[str, AttributeValue]:
    return {
        "messaging.system": SYSTEM,
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "messaging.destination.name": envelope.type,
        "messaging.consumer.group.name": subscriber,
        "messaging.message.id": str(envelope.id),
        "messaging.message.conversation_id": envelope.correlationid,
        "eventbus.correlation_id": envelope.correlationid,
        "eventbus.causation_id": str(envelope.causationid or ""),
        "eventbus.event_version": envelope.dataversion,
        "eventbus.attempt": attempt,
    }


def failed(span: Span, error: BaseException) -> None:
    """Mark a handler span failed (the handler's exception is caught to schedule the retry)."""
    span.record_exception(error)
    span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))


def relayed(trace_parents: Iterable[tuple[str, str]], *, events: int, start_time: int) -> None:
    """Record one relay batch, from ``start_time`` (ns) until now, linked to the trace of every event it moved."""
    links = [Link(context) for context in (_span_context(parent, state) for parent, state in trace_parents) if context]
    attributes: dict[str, AttributeValue] = {
        "messaging.system": SYSTEM,
        "messaging.operation.type": "send",
        "messaging.batch.message_count": events,
    }
    tracer.start_span(
        "eventbus relay", kind=SpanKind.PRODUCER, links=links, attributes=attributes, start_time=start_time
    ).end()


def _publisher_context(envelope: Envelope) -> Context:
    """The publisher's span as parent, and its baggage: what a handler publishes carries both on."""
    carrier = {"traceparent": envelope.traceparent, "tracestate": envelope.tracestate, "baggage": envelope.baggage}
    return propagate.extract({name: value for name, value in carrier.items() if value}, context=Context())


def _span_context(traceparent: str, tracestate: str) -> trace.SpanContext | None:
    if not traceparent:
        return None
    context = propagate.extract({"traceparent": traceparent, "tracestate": tracestate}, context=Context())
    span_context = trace.get_current_span(context).get_span_context()
    return span_context if span_context.is_valid else None
