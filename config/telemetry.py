"""OpenTelemetry, set up once per process (web, worker, beat) from the standard OTEL_* variables.

Nothing is exported, and nothing is instrumented, unless an exporter is chosen:
``OTEL_TRACES_EXPORTER=otlp`` (the default once ``OTEL_EXPORTER_OTLP_ENDPOINT`` or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` is set; HTTP/protobuf) or ``console`` (one JSON span per
line on stdout, or appended to ``TELEMETRY_CONSOLE_FILE``). ``OTEL_SERVICE_NAME`` names the
service (``shop`` otherwise); ``OTEL_SDK_DISABLED=true`` turns it all off.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, SpanProcessor

_provider: TracerProvider | None = None


def setup() -> bool:
    """Install the tracer provider and the instrumentations, once; whether tracing is on."""
    global _provider
    if _provider is not None:
        return True
    processors = _processors()
    if not processors:
        return False
    # An explicit attribute would win over the environment: pass OTEL_SERVICE_NAME on ourselves.
    _provider = TracerProvider(
        resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME") or "shop"})
    )
    for processor in processors:
        _provider.add_span_processor(processor)
    trace.set_tracer_provider(_provider)
    _instrument()
    return True


def exporter_names() -> list[str]:
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    names = os.environ.get("OTEL_TRACES_EXPORTER", "otlp" if endpoint else "none")
    return [name.strip() for name in names.split(",") if name.strip() not in {"", "none"}]


def _processors() -> list[SpanProcessor]:
    processors: list[SpanProcessor] = []
    for name in exporter_names():
        if name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            processors.append(BatchSpanProcessor(OTLPSpanExporter()))
        elif name == "console":
            processors.append(SimpleSpanProcessor(ConsoleSpanExporter(out=_console(), formatter=_one_line)))
        else:
            raise ValueError(f"OTEL_TRACES_EXPORTER: unsupported exporter {name!r} (otlp, console or none)")
    return processors


def _console() -> TextIO:
    path = os.environ.get("TELEMETRY_CONSOLE_FILE")
    return open(path, "a", buffering=1) if path else sys.stdout


def _one_line(span: ReadableSpan) -> str:
    return span.to_json(indent=None) + "\n"


def _instrument() -> None:
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    DjangoInstrumentor().instrument()
    CeleryInstrumentor().instrument()
    PsycopgInstrumentor().instrument()
    RedisInstrumentor().instrument()
