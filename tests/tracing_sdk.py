"""One OpenTelemetry SDK for the test process: a global tracer provider whose spans go to an
in-memory exporter (the SDK's own), installed once, since OpenTelemetry lets a process set its
global provider only once.

Imported as ``tracing_sdk``: pytest puts ``tests/`` on ``sys.path`` for ``tests/conftest.py``.
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

_EXPORTER = InMemorySpanExporter()


def in_memory_spans() -> InMemorySpanExporter:
    """The exporter every span of this process ends in, emptied."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        trace.set_tracer_provider(provider)
    _EXPORTER.clear()
    return _EXPORTER
