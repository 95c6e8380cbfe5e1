"""OpenTelemetry set-up: one tracer provider per process, exported over OTLP.

Configuration is the standard OTEL_* environment, so operators use what they
already know: OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT (Jaeger accepts
OTLP on :4318 over HTTP), OTEL_TRACES_EXPORTER (``otlp``, ``console`` or
``none``) and OTEL_TRACES_SAMPLER. With no endpoint configured nothing is
exported, but spans still exist, so trace IDs still appear in logs.

HTTP (httpx), SQL (SQLAlchemy) and Redis calls become child spans of whatever
span is current, through the official instrumentation packages.
"""

from __future__ import annotations

import logging
import os
import threading

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
)

__all__ = ["configure_tracing", "current_trace_id", "shutdown_tracing"]

logger = logging.getLogger(__name__)

DEFAULT_SERVICE_NAME = "handoff"
_lock = threading.Lock()
_provider: TracerProvider | None = None


def configure_tracing(
    *,
    service_name: str | None = None,
    extra_processors: tuple[SpanProcessor, ...] = (),
    instrument: bool = True,
) -> TracerProvider:
    """Install the process's tracer provider once; later calls return it.

    ``extra_processors`` lets tests attach an in-memory exporter.
    """
    global _provider  # noqa: PLW0603 - one provider per process, by design
    with _lock:
        if _provider is not None:
            for processor in extra_processors:
                _provider.add_span_processor(processor)
            return _provider
        _provider = _build_provider(service_name, extra_processors)
        trace.set_tracer_provider(_provider)
        if instrument:
            _instrument_libraries()
        return _provider


def shutdown_tracing() -> None:
    """Flush pending spans; call before the process exits."""
    if _provider is not None:
        _provider.force_flush()
        _provider.shutdown()


def current_trace_id() -> str | None:
    """The current trace ID as 32 hex digits, or None outside a span."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


def _build_provider(
    service_name: str | None, extra_processors: tuple[SpanProcessor, ...]
) -> TracerProvider:
    name = service_name or os.environ.get("OTEL_SERVICE_NAME") or DEFAULT_SERVICE_NAME
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    for processor in _exporting_processors():
        provider.add_span_processor(processor)
    for processor in extra_processors:
        provider.add_span_processor(processor)
    return provider


def _exporting_processors() -> list[SpanProcessor]:
    choice = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    if choice == "none":
        return []
    if choice == "console":
        return [SimpleSpanProcessor(ConsoleSpanExporter())]
    if choice == "otlp" or endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
            OTLPSpanExporter,
        )

        logger.info("Exporting traces over OTLP to %r.", endpoint or "the default")
        return [BatchSpanProcessor(OTLPSpanExporter())]
    return []


def _instrument_libraries() -> None:
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor  # noqa: PLC0415
    from opentelemetry.instrumentation.redis import RedisInstrumentor  # noqa: PLC0415
    from opentelemetry.instrumentation.sqlalchemy import (  # noqa: PLC0415
        SQLAlchemyInstrumentor,
    )

    for instrumentor in (
        HTTPXClientInstrumentor(),
        RedisInstrumentor(),
        SQLAlchemyInstrumentor(),
    ):
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument()
